/**
 * IP masquerading for a container's addresses, as the bridge plugin sets it up (plugins pkg/ip
 * ipmasq_linux.go SetupIPMasq / TeardownIPMasq) and names it (pkg/utils FormatChainName, FormatComment):
 *
 *   -A POSTROUTING -s 10.99.0.2/32 -m comment --comment "name: \"net\" id: \"cid\"" -j CNI-<24 hex>
 *   -A CNI-<24 hex> -d 10.99.0.0/24 -m comment --comment "..." -j ACCEPT
 *   -A CNI-<24 hex> ! -d 224.0.0.0/4 -m comment --comment "..." -j MASQUERADE
 *
 * The hex is the start of sha512(network name + container ID), so the name is the reference plugin's.
 */
import type { IpNode } from '../../net/ip-node.js';
import { formatIpv4, prefixMask } from '../../wire/addr.js';
import type { IfAddr } from '../../net/netdev.js';
import { goQuote } from './go-format.js';
import { appendUnique, clearAndDeleteChain, deleteRule, ensureChain } from './iptables.js';
import { hex, sha512, utf8 } from '../../wire/digest.js';
import type { CniOutcome } from './types.js';

/** iptables' limit on chain names that the plugins stay within. */
export const MAX_CHAIN_LENGTH = 28;

/** utils.MustFormatChainNameWithPrefix: "CNI-" + prefix + sha512(name+id) in hex, cut to 28 characters. */
export function formatChainName(name: string, id: string, prefix = ''): string {
  return `CNI-${prefix}${hex(sha512(utf8(name + id)))}`.slice(0, MAX_CHAIN_LENGTH);
}

/** The bridge's per-container masquerade chain. */
export function ipMasqChainName(name: string, id: string): string {
  return formatChainName(name, id);
}

/** utils.FormatComment: `name: "<net>" id: "<cid>"` with Go %q quoting. */
export function ipMasqComment(name: string, id: string): string {
  return `name: ${goQuote(name)} id: ${goQuote(id)}`;
}

/** A comment match as iptables-save prints it (double quotes, `"` and `\` escaped). */
export function commentMatch(comment: string): string {
  return `-m comment --comment "${comment.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

/** SetupIPMasq for one address (`a` with host bits, as the plugin passes ipc.Address). */
export function setupIpMasq(node: IpNode, a: IfAddr, chain: string, comment: string): CniOutcome<void> {
  const c = commentMatch(comment);
  const net = `${formatIpv4((a.addr & prefixMask(a.len)) >>> 0)}/${a.len}`;
  ensureChain(node, 'nat', chain);
  // traffic to the pod network is left alone; multicast is not masqueraded either
  for (const spec of [`-d ${net} ${c} -j ACCEPT`, `! -d 224.0.0.0/4 ${c} -j MASQUERADE`]) {
    const r = appendUnique(node, 'nat', chain, spec);
    if (!r.ok) return r;
  }
  return appendUnique(node, 'nat', 'POSTROUTING', `-s ${formatIpv4(a.addr)}/32 ${c} -j ${chain}`);
}

/** TeardownIPMasq: the POSTROUTING jump goes, then the chain. Missing pieces are fine. */
export function teardownIpMasq(node: IpNode, a: IfAddr, chain: string, comment: string): void {
  const c = commentMatch(comment);
  deleteRule(node, 'nat', 'POSTROUTING', `-s ${formatIpv4(a.addr)}/32 ${c} -j ${chain}`);
  // plugins before v0.7 wrote the address with its prefix length
  deleteRule(
    node,
    'nat',
    'POSTROUTING',
    `-s ${formatIpv4((a.addr & prefixMask(a.len)) >>> 0)}/${a.len} ${c} -j ${chain}`,
  );
  clearAndDeleteChain(node, 'nat', chain);
}
