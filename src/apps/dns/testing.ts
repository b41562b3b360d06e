/**
 * A small network for exercising DNS, shared by the DNS tests, the tshark check and the benchmark (not
 * by the servers themselves): a pod-like client, a cluster DNS server, an upstream nameserver and a spare
 * host, each on its own subnet behind one router, like a node's pod network, service network and the
 * outside. Addresses follow k3s's defaults: pods 10.42.0.0/16, services 10.43.0.0/16, cluster DNS
 * 10.43.0.10.
 *
 * Until the TCP stack is wired in, `connect` stands in for TCP with in-memory streams (stream.ts) that
 * reach a DnsServer's serveStream directly: they do not cross the emulated links, so captures show UDP only.
 */
import { Engine, US } from '../../sim/engine.js';
import { Network } from '../../link/device.js';
import { parseIpv4, type Ipv4 } from '../../wire/addr.js';
import { type DnsRecord, DNS_CLASS_IN, txtData } from '../../wire/dns.js';
import type { ZoneConfig } from './zone.js';
import { IpNode } from '../../net/ip-node.js';
import { UdpStack } from '../../transport/udp.js';
import type { DnsServer } from './server.js';
import { type StreamConnector, memoryStreamPair } from './stream.js';

/** The lab's hosts and their UDP layers. */
export interface DnsLab {
  readonly engine: Engine;
  readonly network: Network;
  readonly router: IpNode;
  /** 10.42.0.2: a pod. */
  readonly client: IpNode;
  /** 10.43.0.10: the cluster DNS server's address. */
  readonly dns: IpNode;
  /** 10.44.0.53: an upstream nameserver. */
  readonly upstream: IpNode;
  /** 10.45.0.9: a host with nothing listening on port 53 (ICMP port unreachable). */
  readonly spare: IpNode;
  readonly udp: {
    readonly client: UdpStack;
    readonly dns: UdpStack;
    readonly upstream: UdpStack;
    readonly spare: UdpStack;
  };
  /** DNS servers reachable through `connect`, by address. */
  readonly streamServers: Map<Ipv4, DnsServer>;
  /** Opens an in-memory stream from the client to a server in `streamServers` (a TCP stand-in). */
  readonly connect: StreamConnector;
}

/** Parses a dotted quad, throwing on typos in test data. */
export function ip(text: string): Ipv4 {
  const v = parseIpv4(text);
  if (v === undefined) throw new Error(`bad address ${text}`);
  return v;
}

/** Builds the lab: every link `latency` ns long (default 100 µs) and infinitely fast. */
export function dnsLab(seed = 1, latency = 100 * US): DnsLab {
  const engine = new Engine(seed);
  const network = new Network(engine);
  const router = new IpNode(network, 'router', { forwarding: true });
  const hosts: [string, string][] = [
    ['client', '10.42.0'],
    ['dns', '10.43.0'],
    ['upstream', '10.44.0'],
    ['spare', '10.45.0'],
  ];
  const host: Record<string, IpNode> = {};
  const last: Record<string, number> = { client: 2, dns: 10, upstream: 53, spare: 9 };
  hosts.forEach(([name, net], i) => {
    const rdev = `eth${i}`;
    router.addNic(rdev, 0x02_00_00_00_01_00 + i);
    router.addAddress(rdev, { addr: ip(`${net}.1`), len: 24 });
    const h = new IpNode(network, name);
    h.addNic('eth0', 0x02_00_00_00_02_00 + i);
    h.addAddress('eth0', { addr: ip(`${net}.${last[name]}`), len: 24 });
    h.routes.add({ dst: 0, len: 0, via: ip(`${net}.1`), dev: 'eth0' });
    network.connect(h.port('eth0')!, router.port(rdev)!, { bandwidth: 0, latency });
    host[name] = h;
  });
  const streamServers = new Map<Ipv4, DnsServer>();
  const client = host.client!;
  let clientPort = 40000;
  const connect: StreamConnector = (dst, port) => {
    const server = streamServers.get(dst);
    if (server === undefined || server.port !== port) return undefined;
    const [mine, theirs] = memoryStreamPair(engine, { latency: 2 * latency });
    server.serveStream(theirs, { src: client.primaryAddress!, srcPort: clientPort++ });
    return mine;
  };
  return {
    engine,
    network,
    router,
    client,
    dns: host.dns!,
    upstream: host.upstream!,
    spare: host.spare!,
    udp: {
      client: new UdpStack(client),
      dns: new UdpStack(host.dns!),
      upstream: new UdpStack(host.upstream!),
      spare: new UdpStack(host.spare!),
    },
    streamServers,
    connect,
  };
}

/** A record, for test zones. */
export function rr(name: string, ttl: number, data: DnsRecord['data']): DnsRecord {
  return { name, class: DNS_CLASS_IN, ttl, data };
}

/** The SOA CoreDNS's kubernetes plugin serves for cluster.local (serial fixed here). */
export const CLUSTER_SOA: DnsRecord = rr('cluster.local.', 30, {
  type: 'SOA',
  mname: 'ns.dns.cluster.local.',
  rname: 'hostmaster.cluster.local.',
  serial: 1700000000,
  refresh: 7200,
  retry: 1800,
  expire: 86400,
  minimum: 30,
});

/**
 * cluster.local as CoreDNS would serve it for a few objects: the kubernetes Service (A, SRV), an
 * ExternalName Service (CNAME out of the zone), an alias inside it, a CNAME loop and a dangling CNAME,
 * the schema TXT record, and `big` with 40 TXT records (about 2.5 KB, to force truncation).
 */
export const CLUSTER_ZONE: ZoneConfig = {
  origin: 'cluster.local.',
  records: [
    CLUSTER_SOA,
    rr('kubernetes.default.svc.cluster.local.', 5, { type: 'A', address: ip('10.43.0.1') }),
    rr('_https._tcp.kubernetes.default.svc.cluster.local.', 5, {
      type: 'SRV',
      priority: 0,
      weight: 100,
      port: 443,
      target: 'kubernetes.default.svc.cluster.local.',
    }),
    rr('web.default.svc.cluster.local.', 5, { type: 'CNAME', target: 'www.example.org.' }),
    rr('alias.default.svc.cluster.local.', 5, { type: 'CNAME', target: 'kubernetes.default.svc.cluster.local.' }),
    rr('loop1.default.svc.cluster.local.', 5, { type: 'CNAME', target: 'loop2.default.svc.cluster.local.' }),
    rr('loop2.default.svc.cluster.local.', 5, { type: 'CNAME', target: 'loop1.default.svc.cluster.local.' }),
    rr('dangling.default.svc.cluster.local.', 5, { type: 'CNAME', target: 'gone.default.svc.cluster.local.' }),
    rr('dns-version.cluster.local.', 5, txtData('1.1.0')),
    ...Array.from({ length: 40 }, (_, i) => rr('big.cluster.local.', 5, txtData(`record ${i} ${'x'.repeat(40)}`))),
  ],
};

/** The service network's reverse zone (CoreDNS serves in-addr.arpa for Services with `kubernetes ... in-addr.arpa`). */
export const REVERSE_ZONE: ZoneConfig = {
  origin: '43.10.in-addr.arpa.',
  records: [
    rr('43.10.in-addr.arpa.', 30, {
      type: 'SOA',
      mname: 'ns.dns.43.10.in-addr.arpa.',
      rname: 'hostmaster.43.10.in-addr.arpa.',
      serial: 1700000000,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: 30,
    }),
    rr('1.0.43.10.in-addr.arpa.', 5, { type: 'PTR', target: 'kubernetes.default.svc.cluster.local.' }),
  ],
};

/** What the upstream nameserver knows: example.org. */
export const UPSTREAM_ZONE: ZoneConfig = {
  origin: 'example.org.',
  records: [
    rr('example.org.', 3600, {
      type: 'SOA',
      mname: 'ns.example.org.',
      rname: 'admin.example.org.',
      serial: 1,
      refresh: 2,
      retry: 3,
      expire: 4,
      minimum: 60,
    }),
    rr('www.example.org.', 300, { type: 'A', address: ip('192.0.2.10') }),
  ],
};

/** A root zone for an upstream that should say NXDOMAIN about everything else. */
export const ROOT_ZONE: ZoneConfig = {
  origin: '.',
  records: [
    rr('.', 86400, {
      type: 'SOA',
      mname: 'a.root-servers.net.',
      rname: 'nstld.verisign-grs.com.',
      serial: 2026010100,
      refresh: 1800,
      retry: 900,
      expire: 604800,
      minimum: 86400,
    }),
  ],
};
