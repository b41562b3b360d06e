/**
 * What sits outside a cluster on its underlay: the `internet` router every node's default route points to,
 * and outside clients (a laptop). The router stands in for the whole internet: a local route for 0.0.0.0/0
 * (Linux AnyIP, `ip route add local 0.0.0.0/0 dev lo`) makes every address beyond the underlay its own, so
 * a ping to 8.8.8.8 is answered there, and a TCP connection to any port of any such address is accepted
 * and then left silent (a server that answers nothing: a client sees the handshake complete and waits).
 * Its upstream DNS server (UDP and TCP 53) answers spec.internet.dns and NXDOMAIN for every other name.
 * runtime.ts places these machines; this file equips them.
 */
import type { Network } from '../link/device.js';
import type { LinkProps } from '../link/channel.js';
import type { Switch } from '../link/switch.js';
import { IpNode } from '../net/ip-node.js';
import type { IfAddr } from '../net/netdev.js';
import { UdpStack } from '../transport/udp.js';
import { TcpStack } from '../transport/tcp.js';
import { formatIpv4, type Ipv4 } from '../wire/addr.js';
import { DnsServer } from '../apps/dns/server.js';
import { serveDnsOverTcp } from '../apps/dns/tcp.js';
import type { InternetSpec, OutsideClientSpec } from './cluster-spec.js';

/** A machine on the underlay that is not a node: the internet router or an outside client. */
export interface OutsideHost {
  name: string;
  ip: Ipv4;
  stack: IpNode;
  udp: UdpStack;
  tcp: TcpStack;
  /** Its /etc/resolv.conf (nameserver: the internet's DNS server). */
  resolvConf: string;
}

/** The internet router with its DNS server. */
export interface Internet extends OutsideHost {
  dns: DnsServer;
}

/** /etc/resolv.conf of a machine whose upstream DNS server is the internet router at `dns`. */
export function upstreamResolvConf(dns: Ipv4): string {
  return `nameserver ${formatIpv4(dns)}\n`;
}

/** Address blocks the internet stand-in never claims as its own. */
const NOT_ON_THE_INTERNET: readonly IfAddr[] = [
  { addr: 0x0a000000, len: 8 }, // 10.0.0.0/8
  { addr: 0xac100000, len: 12 }, // 172.16.0.0/12
  { addr: 0xc0a80000, len: 16 }, // 192.168.0.0/16
  { addr: 0x64400000, len: 10 }, // 100.64.0.0/10
  { addr: 0xa9fe0000, len: 16 }, // 169.254.0.0/16
];

/**
 * Makes `router` the internet: every address off its connected subnets is its own, it serves DNS for
 * `spec.dns` on 53 and accepts TCP on every other port. `router` already has its underlay addresses.
 */
export function equipInternet(router: IpNode, spec: InternetSpec): Internet {
  router.addLocalRoute({ addr: 0, len: 0 });
  // ... except what no internet host answers for: private (RFC 1918), shared (RFC 6598) and link-local
  // (RFC 3927) addresses, among them the cluster's pod and Service CIDRs: a ClusterIP is kube-proxy's to
  // answer, never the internet's.
  for (const p of NOT_ON_THE_INTERNET) router.excludeFromLocalRoutes(p);
  const udp = new UdpStack(router);
  const tcp = new TcpStack(router);
  const hosts = spec.dns.map((e) => `${formatIpv4(e.ip)} ${e.name}`).join('\n');
  // the nodes' upstream resolver: a listed name gets its A record, any other is NXDOMAIN, answered as a
  // recursive resolver answers (RA set, AA clear), so nslookup in a pod says "Non-authoritative answer"
  const dns = new DnsServer(udp, { hosts: { text: hosts }, recursive: true });
  serveDnsOverTcp(dns, tcp, 53);
  tcp.listenOnEveryPort(() => undefined);
  const ip = spec.address.addr;
  return { name: router.name, ip, stack: router, udp, tcp, dns, resolvConf: upstreamResolvConf(ip) };
}

/** Builds outside client `c` on switch `sw` (port `portName`), its default route via `gateway`. */
export function buildOutsideClient(
  network: Network,
  sw: Switch,
  c: OutsideClientSpec,
  o: { mac: number; gateway: Ipv4; dns: Ipv4; link: Partial<LinkProps> },
): OutsideHost {
  const stack = new IpNode(network, c.name);
  stack.addNic('eth0', o.mac);
  stack.addAddress('eth0', c.address);
  stack.routes.add({ dst: 0, len: 0, via: o.gateway, dev: 'eth0' });
  network.connect(stack.port('eth0')!, sw.addSwitchPort(c.name), o.link);
  return {
    name: c.name,
    ip: c.address.addr,
    stack,
    udp: new UdpStack(stack),
    tcp: new TcpStack(stack),
    resolvConf: upstreamResolvConf(o.dns),
  };
}
