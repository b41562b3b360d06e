/**
 * The kernel parameters podnet models, as `sysctl NAME...` (procps 4.0) and `cat /proc/sys/...` read
 * them: forwarding, the default TTL, proxy ARP, ICMP redirects, the ICMP rate limits, the ARP timers of
 * each device, and net.bridge.bridge-nf-call-iptables where br_netfilter is loaded. A parameter Linux has
 * and podnet does not model says so by name; changing one (`-w`, `-p`) is not emulated.
 */
import type { IpNode } from '../net/ip-node.js';

/** Every modelled parameter of `node` by its dotted name, with its value as /proc/sys shows it. */
export function sysctlTable(node: IpNode): Map<string, string> {
  const c = node.config;
  const t = new Map<string, string>();
  const fwd = c.forwarding ? '1' : '0';
  const devs = ['all', 'default', 'lo', ...node.devs.map((d) => d.name)];
  t.set('net.ipv4.ip_forward', fwd);
  t.set('net.ipv4.ip_default_ttl', String(c.defaultTtl));
  for (const d of devs) {
    const dev = node.dev(d);
    t.set(`net.ipv4.conf.${d}.forwarding`, fwd);
    t.set(`net.ipv4.conf.${d}.proxy_arp`, dev?.proxyArp === true ? '1' : '0');
    t.set(`net.ipv4.conf.${d}.send_redirects`, c.sendRedirects ? '1' : '0');
    // IN_DEV_RX_REDIRECTS: `all` is off on a router (ip_forward clears it) and on on a host
    const accept = d === 'all' ? node.acceptsRedirects : true;
    t.set(`net.ipv4.conf.${d}.accept_redirects`, accept ? '1' : '0');
  }
  t.set('net.ipv4.icmp_ratelimit', String(Math.round(c.icmpRate.ratelimitNs / 1e6)));
  t.set('net.ipv4.icmp_ratemask', String(c.icmpRate.ratemask));
  t.set('net.ipv4.icmp_msgs_per_sec', String(c.icmpRate.msgsPerSec));
  t.set('net.ipv4.icmp_msgs_burst', String(c.icmpRate.msgsBurst));
  for (const d of ['lo', ...node.devs.map((x) => x.name)]) {
    const a = c.arp;
    t.set(`net.ipv4.neigh.${d}.base_reachable_time_ms`, String(Math.round(a.reachableNs / 1e6)));
    t.set(`net.ipv4.neigh.${d}.retrans_time_ms`, String(Math.round(a.retransNs / 1e6)));
    t.set(`net.ipv4.neigh.${d}.mcast_solicit`, String(a.maxProbes));
    t.set(`net.ipv4.neigh.${d}.ucast_solicit`, String(a.ucastProbes));
    t.set(`net.ipv4.neigh.${d}.delay_first_probe_time`, String(Math.round(a.delayProbeNs / 1e9)));
    t.set(`net.ipv4.neigh.${d}.unres_qlen`, String(a.queueLen));
    // in USER_HZ (100 a second)
    t.set(`net.ipv4.neigh.${d}.locktime`, String(Math.round(a.locktimeNs / 1e7)));
  }
  // /proc/sys/net/bridge exists once br_netfilter is loaded (k3s loads it), where it is 1
  if (node.bridgeNfCallIptables) t.set('net.bridge.bridge-nf-call-iptables', '1');
  return t;
}

const NOT_MODELLED = (key: string): string =>
  `podnet: ${key} is not modelled (podnet's sysctl knows ip_forward, ip_default_ttl, conf.*.forwarding, proxy_arp, send_redirects and accept_redirects, the icmp_* limits, neigh.*'s ARP timers and bridge-nf-call-iptables)`;

/** A path under /proc/sys as its dotted name, or undefined for another path. */
function procKey(path: string): string | undefined {
  const m = /^\/proc\/sys\/(.+)$/.exec(path);
  return m === null ? undefined : m[1]!.replaceAll('/', '.');
}

/** `cat PATH` for a path under /proc/sys: the value and its newline, or what to say. */
export function catProcSys(
  node: IpNode,
  path: string,
): { ok: true; text: string } | { ok: false; text: string } | undefined {
  const key = procKey(path);
  if (key === undefined) return undefined;
  const v = sysctlTable(node).get(key);
  if (v !== undefined) return { ok: true, text: `${v}\n` };
  if (key === 'net.bridge.bridge-nf-call-iptables')
    return { ok: false, text: `cat: ${path}: No such file or directory (br_netfilter is not loaded)` };
  return { ok: false, text: `cat: ${path}: ${NOT_MODELLED(key)}` };
}

/** `sysctl [-n] [-e] NAME...` on `node`. */
export function sysctlCommand(node: IpNode, args: readonly string[]): { status: number; stdout: string } {
  let valuesOnly = false;
  let ignore = false;
  const keys: string[] = [];
  for (const a of args) {
    if (a === '-n' || a === '--values') valuesOnly = true;
    else if (a === '-e' || a === '--ignore') ignore = true;
    else if (a === '-o' || a === '-x') continue;
    else if (a.startsWith('-') || a.includes('='))
      return {
        status: 255,
        stdout: `podnet: sysctl ${a} is not emulated (podnet's sysctl reads NAME... with -n and -e)`,
      };
    else keys.push(a.replaceAll('/', '.'));
  }
  if (keys.length === 0)
    return { status: 1, stdout: "sysctl: no variables specified\nTry `sysctl --help' for more information." };
  const table = sysctlTable(node);
  const out: string[] = [];
  let status = 0;
  for (const k of keys) {
    const v = table.get(k);
    if (v !== undefined) out.push(valuesOnly ? v : `${k} = ${v}`);
    else if (k === 'net.bridge.bridge-nf-call-iptables') {
      if (!ignore) out.push(`sysctl: cannot stat /proc/sys/${k.replaceAll('.', '/')}: No such file or directory`);
      status = 1;
    } else {
      out.push(NOT_MODELLED(k));
      status = 1;
    }
  }
  return { status, stdout: out.join('\n') };
}
