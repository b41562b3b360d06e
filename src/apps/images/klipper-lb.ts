/**
 * klipper-lb (rancher/klipper-lb, rancher/mirrored-klipper-lb), the container k3s's ServiceLB runs once per
 * LoadBalancer port on each node. Its entry script (k3s-io/klipper-lb `entry`, start_proxy) writes a
 * port's forwarding into the pod's own netfilter and then sleeps: with SRC_PORT, DEST_PROTO, DEST_PORT,
 * DEST_IPS and SRC_RANGES from the environment (k3s pkg/cloudprovider/servicelb.go sets them),
 *   iptables -t filter -I FORWARD -s <range> -p <proto> --dport <DEST_PORT> -j ACCEPT    (each range)
 * and for each IPv4 destination, when /proc/sys/net/ipv4/ip_forward is 1:
 *   iptables -t filter -A FORWARD -d <ip>/32 -p <proto> --dport <DEST_PORT> -j DROP
 *   iptables -t nat -I PREROUTING -p <proto> --dport <SRC_PORT> -j DNAT --to <ip>:<DEST_PORT>
 *   iptables -t nat -I POSTROUTING -d <ip>/32 -p <proto> -j MASQUERADE
 * The pod's sysctl net.ipv4.ip_forward=1 (servicelb.go's securityContext, applied by the runtime before
 * the container starts) is set here too. IPv6 ranges and destinations go to ip6tables: podnet is IPv4 only
 * and leaves them out. Nothing listens: the portmap plugin's hostPort DNAT brings node:port to the pod.
 */
import { parseIptablesSave } from '../../net/netfilter/iptables-restore.js';
import type { ContainerContext, ImageBehaviour, RunningContainer } from './types.js';

/**
 * The script's rules as iptables-restore --noflush lines, each in the form iptables-save prints it (a
 * `-p tcp` rule's --dport gets its implicit `-m tcp`; `-s 0.0.0.0/0` is no match and is not printed;
 * DNAT's `--to` is getopt's unique prefix of --to-destination). Checked against iptables v1.8.9 in a netns.
 */
export function klipperLbRules(
  env: Readonly<Record<string, string>>,
): { ok: true; text: string } | { ok: false; error: string } {
  const proto = (env.DEST_PROTO ?? '').toLowerCase();
  const srcPort = env.SRC_PORT ?? '';
  const destPort = env.DEST_PORT ?? '';
  if (!['tcp', 'udp', 'sctp'].includes(proto))
    return { ok: false, error: `iptables v1.8.9: unknown protocol "${env.DEST_PROTO ?? ''}" specified` };
  if (!/^[0-9]+$/.test(srcPort) || !/^[0-9]+$/.test(destPort))
    return {
      ok: false,
      error: `iptables v1.8.9: invalid port/service \`${/^[0-9]+$/.test(srcPort) ? destPort : srcPort}' specified`,
    };
  // the script's `for x in ${LIST}` splits on whitespace (servicelb.go joins SRC_RANGES with spaces); commas
  // separate too (DEST_IPS from status.hostIPs)
  const words = (list: string | undefined): string[] =>
    (list ?? '').split(/[\s,]+/).filter((w) => w !== '' && !w.includes(':'));
  const filter: string[] = [];
  const nat: string[] = [];
  for (const range of words(env.SRC_RANGES)) {
    const src = range === '0.0.0.0/0' ? '' : `-s ${range} `;
    filter.push(`-I FORWARD ${src}-p ${proto} -m ${proto} --dport ${destPort} -j ACCEPT`);
  }
  for (const ip of words(env.DEST_IPS)) {
    filter.push(`-A FORWARD -d ${ip}/32 -p ${proto} -m ${proto} --dport ${destPort} -j DROP`);
    nat.push(`-I PREROUTING -p ${proto} -m ${proto} --dport ${srcPort} -j DNAT --to-destination ${ip}:${destPort}`);
    nat.push(`-I POSTROUTING -d ${ip}/32 -p ${proto} -j MASQUERADE`);
  }
  return { ok: true, text: ['*filter', ...filter, 'COMMIT', '*nat', ...nat, 'COMMIT', ''].join('\n') };
}

/** klipper-lb: the entry script's iptables rules in the pod's netns, then nothing (it waits on a fifo). */
export const klipperLbImage: ImageBehaviour = {
  repositories: ['rancher/klipper-lb', 'rancher/mirrored-klipper-lb'],
  summary:
    'ServiceLB: DNATs SRC_PORT to DEST_IPS:DEST_PORT in the pod (FORWARD ACCEPT/DROP, PREROUTING DNAT, POSTROUTING MASQUERADE); listens on nothing',
  start(ctx: ContainerContext): RunningContainer {
    const rules = klipperLbRules(ctx.env ?? {});
    if (!rules.ok) return { listening: [], exited: rules.error, stop: () => {} };
    ctx.node.config.forwarding = true;
    const nf = ctx.node.enableNetfilter();
    const applied = parseIptablesSave(rules.text, nf.ruleset, { noflush: true });
    if (!applied.ok) return { listening: [], exited: applied.errors.map((e) => e.message).join('; '), stop: () => {} };
    ctx.node.enableNetfilter(applied.ruleset);
    // the rules stay in the pod's netns until the pod is deleted, as the script leaves them
    return { listening: [], stop: () => {} };
  },
};
