/**
 * The portmap plugin (plugins/meta/portmap, iptables backend): for the `portMappings` capability,
 * hostPort on the node's local addresses is DNATed to podIP:containerPort, with traffic from the pod
 * network itself (hairpin) and from 127.0.0.1 marked 0x2000 for masquerade. The chains are the reference
 * plugin's, written as iptables-save prints them:
 *
 *   PREROUTING, OUTPUT:    -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
 *   CNI-HOSTPORT-DNAT:     -p tcp -m comment --comment "dnat name: ..." -m multiport --dports 8080,8443 -j CNI-DN-<21 hex>
 *   CNI-DN-<21 hex>:       -s <pod net> -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK
 *                          -s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK
 *                          -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.99.0.2:80
 *   CNI-HOSTPORT-SETMARK:  -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000
 *   POSTROUTING (first):   -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ
 *   CNI-HOSTPORT-MASQ:     -m mark --mark 0x2000/0x2000 -j MASQUERADE
 *
 * Not modelled: route_localnet on the host interface (IpNode has no such switch) and the UDP conntrack
 * flush after ADD.
 */
import { isJsonArray, isJsonObject, jsonString } from '../../wire/json.js';
import { formatIpv4, parseIpv4, prefixMask } from '../../wire/addr.js';
import { commentMatch, formatChainName } from './ipmasq.js';
import {
  appendUnique,
  chainExists,
  clearAndDeleteChain,
  deleteJumpsTo,
  ensureChain,
  insertRule,
  ruleExists,
} from './iptables.js';
import type { CniPlugin, NetConf, PluginCtx } from './plugin.js';
import { CniErrorCode, SUPPORTED_VERSIONS, cidrOf, fail, ok, type CniOutcome, type CniResult } from './types.js';
import type { IpNode } from '../../net/ip-node.js';

/** Summary chains shared by every container (never renamed: upgrades depend on them). */
export const TOP_LEVEL_DNAT_CHAIN = 'CNI-HOSTPORT-DNAT';
export const SET_MARK_CHAIN = 'CNI-HOSTPORT-SETMARK';
export const MARK_MASQ_CHAIN = 'CNI-HOSTPORT-MASQ';
/** The default mark bit (13: 0x2000), as kubelet's hostport code used. */
export const DEFAULT_MARK_MASQ_BIT = 13;

/** One entry of runtimeConfig.portMappings. */
export interface PortMapEntry {
  hostPort: number;
  containerPort: number;
  protocol: string;
  hostIP?: string;
}

interface PortMapConf {
  name: string;
  snat: boolean;
  markBit: number;
  mappings: PortMapEntry[];
  /** The container's IPv4 address with its prefix length (as in prevResult). */
  container?: { addr: number; len: number };
}

function parseConf(conf: NetConf, ifName: string, prev: CniResult | undefined): CniOutcome<PortMapConf> {
  const rc = isJsonObject(conf.runtimeConfig) ? conf.runtimeConfig : {};
  const raw = isJsonArray(rc.portMappings) ? rc.portMappings : [];
  const mappings: PortMapEntry[] = [];
  for (const m of raw) {
    if (!isJsonObject(m))
      return fail(CniErrorCode.DecodingFailure, 'failed to parse config: portMappings entries must be objects');
    const e: PortMapEntry = {
      hostPort: Number(m.hostPort ?? 0),
      containerPort: Number(m.containerPort ?? 0),
      protocol: jsonString(m.protocol),
    };
    if (typeof m.hostIP === 'string' && m.hostIP !== '') e.hostIP = m.hostIP;
    if (!(e.containerPort > 0)) return fail(CniErrorCode.Internal, `Invalid container port number: ${e.containerPort}`);
    if (!(e.hostPort > 0)) return fail(CniErrorCode.Internal, `Invalid host port number: ${e.hostPort}`);
    mappings.push(e);
  }
  const markBit = typeof conf.markMasqBit === 'number' ? conf.markMasqBit : DEFAULT_MARK_MASQ_BIT;
  if (markBit < 0 || markBit > 31) return fail(CniErrorCode.Internal, `MasqMarkBit must be between 0 and 31`);
  const pm: PortMapConf = { name: conf.name, snat: conf.snat !== false, markBit, mappings };
  // the container address: the first IPv4 address on a sandbox interface called ifName
  for (const ip of prev?.ips ?? []) {
    if (ip.interface !== undefined) {
      const intf = prev!.interfaces?.[ip.interface];
      if (intf !== undefined && (intf.name !== ifName || (intf.sandbox ?? '') === '')) continue;
    }
    const a = cidrOf(ip.address);
    if (a !== undefined && pm.container === undefined) pm.container = a;
  }
  return ok(pm);
}

function dnatChainName(name: string, id: string): string {
  return formatChainName(name, id, 'DN-');
}

/** The DN chain's rules and its entry rules in CNI-HOSTPORT-DNAT (fillDnatRules). */
function dnatRules(pm: PortMapConf, id: string): { rules: string[]; entries: string[] } {
  const c = pm.container!;
  const comment = commentMatch(`dnat name: "${pm.name}" id: "${id}"`.slice(0, 256));
  const byProto = new Map<string, number[]>();
  for (const e of pm.mappings) byProto.set(e.protocol, [...(byProto.get(e.protocol) ?? []), e.hostPort]);
  const entries: string[] = [];
  for (const proto of [...byProto.keys()].sort()) {
    const ports = byProto.get(proto)!;
    // multiport takes at most 15 ports
    for (let i = 0; i < ports.length; i += 15)
      entries.push(`-p ${proto} ${comment} -m multiport --dports ${ports.slice(i, i + 15).join(',')}`);
  }
  const mark = `-j ${SET_MARK_CHAIN}`;
  const podNet = `${formatIpv4((c.addr & prefixMask(c.len)) >>> 0)}/${c.len}`;
  const rules: string[] = [];
  for (const e of pm.mappings) {
    const host = e.hostIP !== undefined ? parseIpv4(e.hostIP) : undefined;
    const dst = host !== undefined && host !== 0 ? `-d ${formatIpv4(host)}/32 ` : '';
    const match = `-p ${e.protocol} -m ${e.protocol} --dport ${e.hostPort}`;
    if (pm.snat) {
      rules.push(`-s ${podNet} ${dst}${match} ${mark}`);
      rules.push(`-s 127.0.0.1/32 ${dst}${match} ${mark}`);
    }
    rules.push(`${dst}${match} -j DNAT --to-destination ${formatIpv4(c.addr)}:${e.containerPort}`);
  }
  return { rules, entries };
}

function markDef(bit: number): string {
  const v = `0x${((1 << bit) >>> 0).toString(16)}`;
  return `${v}/${v}`;
}

function forwardPorts(node: IpNode, pm: PortMapConf, id: string): CniOutcome<void> {
  const steps: CniOutcome<void>[] = [];
  if (pm.snat) {
    ensureChain(node, 'nat', SET_MARK_CHAIN);
    steps.push(
      appendUnique(
        node,
        'nat',
        SET_MARK_CHAIN,
        `-m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark ${markDef(pm.markBit)}`,
      ),
    );
    ensureChain(node, 'nat', MARK_MASQ_CHAIN);
    steps.push(appendUnique(node, 'nat', MARK_MASQ_CHAIN, `-m mark --mark ${markDef(pm.markBit)} -j MASQUERADE`));
    // prepended, or the bridge's masquerade rules would take the packet first
    const entry = `-m comment --comment "CNI portfwd requiring masquerade" -j ${MARK_MASQ_CHAIN}`;
    if (!ruleExists(node, 'nat', 'POSTROUTING', entry)) steps.push(insertRule(node, 'nat', 'POSTROUTING', 1, entry));
  }
  ensureChain(node, 'nat', TOP_LEVEL_DNAT_CHAIN);
  for (const c of ['PREROUTING', 'OUTPUT'])
    steps.push(appendUnique(node, 'nat', c, `-m addrtype --dst-type LOCAL -j ${TOP_LEVEL_DNAT_CHAIN}`));
  const chain = dnatChainName(pm.name, id);
  teardown(node, chain);
  ensureChain(node, 'nat', chain);
  const { rules, entries } = dnatRules(pm, id);
  for (const r of rules) steps.push(appendUnique(node, 'nat', chain, r));
  for (const e of entries) steps.push(appendUnique(node, 'nat', TOP_LEVEL_DNAT_CHAIN, `${e} -j ${chain}`));
  return steps.find((s) => !s.ok) ?? ok(undefined);
}

function teardown(node: IpNode, chain: string): void {
  deleteJumpsTo(node, 'nat', chain);
  clearAndDeleteChain(node, 'nat', chain);
}

function add(ctx: PluginCtx, conf: NetConf, prev: CniResult | undefined): CniOutcome<CniResult> {
  if (prev === undefined) return fail(CniErrorCode.Internal, 'must be called as chained plugin');
  const pm = parseConf(conf, ctx.ifName, prev);
  if (!pm.ok) return pm;
  if (pm.value.mappings.length > 0 && pm.value.container !== undefined) {
    const r = forwardPorts(ctx.host.node, pm.value, ctx.containerId);
    if (!r.ok) return fail(r.error.code, `failed to create top-level DNAT chain: ${r.error.msg}`);
  }
  return ok({ ...prev, cniVersion: conf.cniVersion });
}

/** The portmap plugin. */
export const portmapPlugin: CniPlugin = {
  type: 'portmap',
  supportedVersions: SUPPORTED_VERSIONS,
  add,

  del(ctx, conf) {
    const pm = parseConf(conf, ctx.ifName, undefined);
    if (!pm.ok) return pm;
    // idempotent: whatever chain exists for this container goes, with the rules that jump to it
    teardown(ctx.host.node, dnatChainName(conf.name, ctx.containerId));
    teardown(ctx.host.node, formatChainName(conf.name, ctx.containerId, 'SN-'));
    return ok(undefined);
  },

  check(ctx, conf, prev) {
    if (prev === undefined) return fail(CniErrorCode.Internal, 'must be called as chained plugin');
    const pm = parseConf(conf, ctx.ifName, prev);
    if (!pm.ok) return pm;
    if (pm.value.mappings.length === 0 || pm.value.container === undefined) return ok(undefined);
    const node = ctx.host.node;
    const chain = dnatChainName(conf.name, ctx.containerId);
    if (!chainExists(node, 'nat', chain))
      return fail(CniErrorCode.Internal, `could not check ipv4 dnat: chain ${chain} not found in iptables table nat`);
    const { rules, entries } = dnatRules(pm.value, ctx.containerId);
    for (const r of rules)
      if (!ruleExists(node, 'nat', chain, r))
        return fail(
          CniErrorCode.Internal,
          `could not check ipv4 dnat: rule ${r} in chain ${chain} not found in table nat`,
        );
    for (const e of entries)
      if (!ruleExists(node, 'nat', TOP_LEVEL_DNAT_CHAIN, `${e} -j ${chain}`))
        return fail(
          CniErrorCode.Internal,
          `could not check ipv4 dnat: rule ${e} in chain ${TOP_LEVEL_DNAT_CHAIN} not found in table nat`,
        );
    return ok(undefined);
  },

  status() {
    return ok(undefined);
  },
};
