/**
 * DNS queries answered per wall second inside the emulation: a client keeps `concurrency` queries
 * outstanding against the cluster DNS server of the DNS lab (client - router - server, 100 µs links),
 * each answer releasing the next query, until `queries` have been answered. The mix is what a pod's
 * resolver sends: a Service A record, an NXDOMAIN from the search list (SOA in authority), and an SRV
 * with additional data. Every query and answer is encoded, sent as real frames across two links each way
 * (ARP, IPv4, UDP checksums), parsed and answered by the plugin chain. Run directly for one JSON line:
 * `node dist/bench/dns.js [queries] [concurrency]`.
 */
import { pathToFileURL } from 'node:url';
import { buildDns, emptyDnsMessage, parseDns } from '../src/wire/dns.js';
import { DnsServer } from '../src/apps/dns/server.js';
import { CLUSTER_ZONE, REVERSE_ZONE, dnsLab, ip } from '../src/apps/dns/testing.js';

/** One measured run. */
export interface DnsBenchResult {
  queries: number;
  answered: number;
  /** Answers with the expected RCODE and answer count. */
  correct: number;
  wallSeconds: number;
  queriesPerSecond: number;
  /** Simulated time the run took, in seconds. */
  simSeconds: number;
  events: number;
}

const MIX: { name: string; type: number; rcode: number; answers: number }[] = [
  { name: 'kubernetes.default.svc.cluster.local.', type: 1, rcode: 0, answers: 1 },
  { name: 'www.example.org.default.svc.cluster.local.', type: 1, rcode: 3, answers: 0 },
  { name: '_https._tcp.kubernetes.default.svc.cluster.local.', type: 33, rcode: 0, answers: 1 },
];

/** Answers `queries` DNS queries with `concurrency` in flight; returns the rate and what it measured. */
export function runDnsBench(queries = 20_000, concurrency = 32): DnsBenchResult {
  const l = dnsLab(1);
  new DnsServer(l.udp.dns, { zones: [CLUSTER_ZONE, REVERSE_ZONE] });
  const server = ip('10.43.0.10');
  const templates = MIX.map((q) =>
    buildDns({ ...emptyDnsMessage({ rd: true }), questions: [{ name: q.name, type: q.type, class: 1 }] }),
  );
  let sent = 0;
  let answered = 0;
  let correct = 0;
  const kindOf = new Map<number, number>();
  const port = l.udp.client.bind(0, (d) => {
    const r = parseDns(d.payload);
    answered++;
    if (r.ok) {
      const want = MIX[kindOf.get(r.value.id) ?? -1];
      if (want !== undefined && r.value.rcode === want.rcode && r.value.answers.length === want.answers) correct++;
      kindOf.delete(r.value.id);
    }
    if (sent < queries) send();
  });
  const send = (): void => {
    const kind = sent % MIX.length;
    const id = sent & 0xffff;
    const bytes = templates[kind]!.slice();
    bytes[0] = id >>> 8;
    bytes[1] = id & 0xff;
    kindOf.set(id, kind);
    sent++;
    l.udp.client.send(port, server, 53, bytes);
  };
  for (let i = 0; i < Math.min(concurrency, queries); i++) send();
  const t0 = process.hrtime.bigint();
  l.engine.run();
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return {
    queries,
    answered,
    correct,
    wallSeconds,
    queriesPerSecond: Math.round(answered / wallSeconds),
    simSeconds: l.engine.now / 1e9,
    events: l.engine.eventsRun,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const queries = Number(process.argv[2] ?? 20_000);
  const concurrency = Number(process.argv[3] ?? 32);
  runDnsBench(2_000, concurrency); // warm the JIT
  const r = runDnsBench(queries, concurrency);
  console.log(
    JSON.stringify({
      metric: 'dns-queries-per-sec',
      value: r.queriesPerSecond,
      ...r,
      wallSeconds: +r.wallSeconds.toFixed(3),
    }),
  );
}
