/**
 * Felix's iptables and ipsets that issue 11 needs (felix/rules/nat.go, static.go, masq_mgr.go):
 * - the ipsets `cali40masq-ipam-pools` (pools with natOutgoing) and `cali40all-ipam-pools` (every pool),
 *   hash:net, `family inet hashsize 1024 maxelem 1048576` as Felix creates them;
 * - nat: `POSTROUTING -j cali-POSTROUTING`, then cali-fip-snat and cali-nat-outgoing, whose one rule
 *   masquerades what leaves a masq pool for a destination outside every pool, `--random-fully`;
 * The rule texts are Felix's as iptables-save prints them; the `cali:` comments are Felix's rule hashes
 * (felix/generictables/rules.go RuleHashes: SHA-224 chained from the chain name over the rendered rule,
 * URL-safe base64, 16 characters; appended rules hash under "<chain>*appends*"), recomputed in the tests.
 * The ipset names are those of released Calico (up to v3.31); Calico's main branch renamed
 * all-ipam-pools to network-ip-pools in May 2026, which changes that rule's hash to W_qq_N2KSTWyCvrX.
 * The filter table (cali-FORWARD, the workload and policy chains) is felix-policy-render.ts's, programmed by
 * the cluster's policy enforcer (cluster/calico-policy-enforcer.ts); the raw and mangle tables are not modelled.
 */
import type { IpNode } from '../../net/ip-node.js';
import type { TableName } from '../../net/netfilter/rules.js';
import { Ipset } from '../../net/netfilter/ipset.js';
import { appendUnique, ensureChain, makeRule } from '../cni/iptables.js';
import type { FelixPool } from './felix-types.js';

/** Felix's IPv4 ipset of the pools whose traffic is masqueraded (IPSetIDNATOutgoingMasqPools). */
export const MASQ_POOLS_SET = 'cali40masq-ipam-pools';
/** Felix's IPv4 ipset of all pools (IPSetIDNATOutgoingAllPools in Calico up to v3.31). */
export const ALL_POOLS_SET = 'cali40all-ipam-pools';
/** Felix's size for its ipsets (MaxIPSetSize). */
export const FELIX_IPSET_MAXELEM = 1048576;

/** Felix's rules, by chain, as iptables-save prints them. */
export const FELIX_NAT_RULES = {
  POSTROUTING: ['-A POSTROUTING -m comment --comment "cali:0i8pjzKKPyA34aQD" -j cali-POSTROUTING'],
  'cali-POSTROUTING': [
    '-A cali-POSTROUTING -m comment --comment "cali:Z-c7XtVd2Bq7s_hA" -j cali-fip-snat',
    '-A cali-POSTROUTING -m comment --comment "cali:nYKhEzDlr11Jccal" -j cali-nat-outgoing',
  ],
  'cali-nat-outgoing': [
    `-A cali-nat-outgoing -m comment --comment "cali:flqWnvo8yq4ULQLa" -m set --match-set ${MASQ_POOLS_SET} src -m set ! --match-set ${ALL_POOLS_SET} dst -j MASQUERADE --random-fully`,
  ],
} as const;

/** Sets the members of a Felix ipset, creating it first (`ipset create NAME hash:net ... maxelem 1048576`). */
function syncIpset(node: IpNode, name: string, members: readonly FelixPool[]): void {
  const reg = node.enableNetfilter().ipsets;
  let s = reg.get(name);
  if (s === undefined) {
    const made = reg.create(name, 'hash:net', { hashsize: 1024, maxelem: FELIX_IPSET_MAXELEM });
    if (!(made instanceof Ipset)) return;
    s = made;
  }
  s.flush();
  for (const p of members) s.add(p.cidr);
}

/** Replaces the rules of a Felix-owned chain with `lines` (each "-A CHAIN ..."). */
function syncChain(node: IpNode, t: TableName, chain: string, lines: readonly string[]): void {
  ensureChain(node, t, chain);
  const c = node.enableNetfilter().ruleset[t].get(chain)!;
  c.rules = [];
  for (const line of lines) {
    const r = makeRule(t, chain, line.slice(`-A ${chain} `.length));
    if (!r.ok) throw new Error(`felix: bad rule ${line}: ${r.error.msg}`);
    c.rules.push(r.value);
  }
}

/** A jump from a built-in chain, added once (Felix's inserted/appended rules). */
function jumpOnce(node: IpNode, t: TableName, chain: string, line: string): void {
  const r = appendUnique(node, t, chain, line.slice(`-A ${chain} `.length));
  if (!r.ok) throw new Error(`felix: bad rule ${line}: ${r.error.msg}`);
}

/** Programs the ipsets and chains for `pools` (natOutgoing active when any enabled pool has it). */
export function programFelixIptables(node: IpNode, pools: readonly FelixPool[]): void {
  const enabled = pools.filter((p) => !p.disabled);
  const masq = enabled.filter((p) => p.natOutgoing);
  syncIpset(node, MASQ_POOLS_SET, masq);
  syncIpset(node, ALL_POOLS_SET, pools);
  syncChain(node, 'nat', 'cali-fip-snat', []);
  syncChain(node, 'nat', 'cali-nat-outgoing', masq.length > 0 ? FELIX_NAT_RULES['cali-nat-outgoing'] : []);
  syncChain(node, 'nat', 'cali-POSTROUTING', FELIX_NAT_RULES['cali-POSTROUTING']);
  jumpOnce(node, 'nat', 'POSTROUTING', FELIX_NAT_RULES.POSTROUTING[0]);
}
