/**
 * flanneld's --ip-masq rules, word for word as pkg/trafficmngr/iptables/iptables.go builds them (the
 * --random-fully variant, which every kernel podnet models supports), as iptables-restore --noflush input.
 */
import { formatCidr, type Ipv4Prefix } from '../../wire/addr.js';
import type { Ruleset } from '../../net/netfilter/rules.js';

const C = '-m comment --comment "flanneld masq"';
const F = '-m comment --comment "flanneld forward"';

/** The nat rules (MasqRules) and filter rules (ForwardRules) for `network` and this node's `lease`. */
export function flannelMasqRules(network: Ipv4Prefix, lease: Ipv4Prefix): string {
  const n = formatCidr(network);
  const sn = formatCidr(lease);
  return [
    '*nat',
    ':FLANNEL-POSTRTG - [0:0]',
    // -I: runs before other POSTROUTING rules
    `-I POSTROUTING 1 ${C} -j FLANNEL-POSTRTG`,
    // kube-proxy's mark: no double NAT
    `-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 ${C} -j RETURN`,
    // inside the overlay: never NAT
    `-A FLANNEL-POSTRTG -s ${n} -d ${n} ${C} -j RETURN`,
    // pods to the world (not multicast): masquerade
    `-A FLANNEL-POSTRTG -s ${n} ! -d 224.0.0.0/4 ${C} -j MASQUERADE --random-fully`,
    // external traffic arriving for this node's own pods keeps its source
    `-A FLANNEL-POSTRTG ! -s ${n} -d ${sn} ${C} -j RETURN`,
    // the host itself towards the overlay: masquerade
    `-A FLANNEL-POSTRTG ! -s ${n} -d ${n} ${C} -j MASQUERADE --random-fully`,
    'COMMIT',
    '*filter',
    ':FLANNEL-FWD - [0:0]',
    `-I FORWARD 1 ${F} -j FLANNEL-FWD`,
    `-A FLANNEL-FWD -s ${n} ${F} -j ACCEPT`,
    `-A FLANNEL-FWD -d ${n} ${F} -j ACCEPT`,
    'COMMIT',
  ].join('\n');
}

/**
 * Takes out the jumps a previous flanneld inserted into POSTROUTING and FORWARD, so that applying
 * flannelMasqRules again (whose chain declarations flush FLANNEL-POSTRTG and FLANNEL-FWD) leaves each rule
 * once: flannel's ensure loop checks for its rules before adding them.
 */
export function removeFlannelJumps(rs: Ruleset): void {
  for (const [table, chain, target] of [
    ['nat', 'POSTROUTING', 'FLANNEL-POSTRTG'],
    ['filter', 'FORWARD', 'FLANNEL-FWD'],
  ] as const) {
    const c = rs[table].get(chain);
    if (c === undefined) continue;
    c.rules = c.rules.filter((r) => !(r.target?.kind === 'JUMP' && r.target.chain === target));
  }
}
