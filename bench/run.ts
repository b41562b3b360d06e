/**
 * `npm run bench`: packet-hops per second on the notes' two-subnet workload, with and without pcap, and
 * engine events per second; one JSON line per figure. `--ns3` also runs ns-3 on the same workload in the
 * same session and prints the ratio (the machine is shared: compare within one run, not across runs).
 * Then the Services workloads of services.ts (median of --repeat runs).
 * Options: --packets N (per flow, default 5000), --repeat N (best of N, default 3), --ns3.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWorkload, type WorkloadResult } from './two-subnets.js';
import { runEncap, type EncapMode, type EncapResult } from './encap.js';
import { runTcpBulk } from './tcp-bulk.js';
import { runDnsBench } from './dns.js';
import { runServicesBench } from './services.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v <= 0) {
    console.error(`usage: npm run bench -- [--packets N] [--repeat N] [--ns3]`);
    process.exit(2);
  }
  return v;
};
const packets = opt('--packets', 5000);
const repeat = opt('--repeat', 3);
const lab = join(root, 'examples/two-subnets.yaml');

async function best(pcap: boolean): Promise<WorkloadResult> {
  let b: WorkloadResult | undefined;
  for (let i = 0; i < repeat; i++) {
    const r = await runWorkload(lab, packets, 100_000, pcap);
    if (b === undefined || r.wallSeconds < b.wallSeconds) b = r;
  }
  return b!;
}

await runWorkload(lab, 200, 100_000, true); // warm the JIT
const plain = await best(false);
const withPcap = await best(true);
const line = (o: object): void => console.log(JSON.stringify(o));
const hps = (r: WorkloadResult): number => Math.round(r.hops / r.wallSeconds);
line({
  metric: 'packet-hops-per-sec',
  value: hps(plain),
  pcap: false,
  hops: plain.hops,
  datagramsSent: plain.datagramsSent,
  datagramsReceived: plain.datagramsReceived,
  wallSeconds: +plain.wallSeconds.toFixed(3),
});
line({
  metric: 'packet-hops-per-sec',
  value: hps(withPcap),
  pcap: true,
  hops: withPcap.hops,
  pcapBytes: withPcap.pcapBytes,
  wallSeconds: +withPcap.wallSeconds.toFixed(3),
});
line({ metric: 'pcap-cost-ratio', value: +(withPcap.wallSeconds / plain.wallSeconds).toFixed(3) });
line({ metric: 'engine-events-per-sec', value: Math.round(plain.events / plain.wallSeconds), events: plain.events });
// encapsulation: the same flow routed, through VXLAN and through IP-in-IP (best of `repeat`)
const encap = (mode: EncapMode): EncapResult => {
  let b: EncapResult | undefined;
  for (let i = 0; i < repeat; i++) {
    const r = runEncap(mode, packets * 20);
    if (b === undefined || r.wallSeconds < b.wallSeconds) b = r;
  }
  return b!;
};
runEncap('vxlan', 2000);
const routed = encap('routed');
for (const r of [routed, encap('vxlan'), encap('ipip')]) {
  line({
    metric: 'encap-packet-hops-per-sec',
    mode: r.mode,
    value: Math.round(r.hops / r.wallSeconds),
    vsRouted: +(r.hops / r.wallSeconds / (routed.hops / routed.wallSeconds)).toFixed(3),
    bytesOnCoreLink: r.bytesOnCoreLink,
    delivered: r.delivered,
    datagrams: r.datagrams,
  });
}
// TCP: a bulk transfer over three hops (1 Gbps links): simulated goodput and the wall time it took
{
  const mb = opt('--tcp-mb', 100);
  const r = runTcpBulk(mb);
  line({
    metric: 'tcp-bulk',
    megabytes: mb,
    simulatedGoodputMbps: +(r.simulatedGoodputBps / 1e6).toFixed(1),
    retransmissions: r.retransmissions,
    wallSeconds: +r.wallSeconds.toFixed(3),
    wallMBps: +(mb / r.wallSeconds).toFixed(1),
  });
}
// DNS: queries answered per wall second by an emulated server (UDP, hosts records)
{
  const r = runDnsBench(20_000, 64);
  line({ metric: 'dns-queries-per-sec', ...r });
}
// Services: DNS through kube-proxy to CoreDNS, HTTP through ServiceLB and Traefik (median of `repeat` runs)
for (const w of await runServicesBench(repeat)) line({ metric: `services-${w.name}`, ...w.run });
if (args.includes('--ns3')) {
  const script = resolve(root, 'bench/ns3/run.sh');
  if (!existsSync(script)) {
    line({ metric: 'ns3-packet-hops-per-sec', error: `not found: ${script}` });
  } else {
    const r = spawnSync('bash', [script], { encoding: 'utf8', env: { ...process.env, PACKETS: String(packets) } });
    const out = r.stdout.trim().split('\n').pop() ?? '';
    try {
      const ns3 = JSON.parse(out) as { value: number };
      line(ns3);
      line({
        metric: 'podnet-vs-ns3-ratio',
        value: +(hps(plain) / ns3.value).toFixed(2),
        podnet: hps(plain),
        ns3: ns3.value,
      });
    } catch {
      line({ metric: 'ns3-packet-hops-per-sec', error: (r.stderr || out).slice(0, 500) });
    }
  }
}
