/**
 * The notes' two-subnet workload, the same as ns-3's reference (bench/ns3/seed_topology.cc):
 * hosts A-D behind two switches and router1, E-H behind two switches and router2, routers point-to-point;
 * 10 Gbps links, 1 us on the LANs and 10 us between the routers. Every host of A-D sends `packets` UDP
 * datagrams of 64 bytes, one every `interval`, to each of E-H and to each other host of A-D: 28 flows.
 * A packet-hop is one frame put on one link (ns-3 counts MacTx the same way), ARP included.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLab } from '../src/scenario/lab.js';
import { buildLab, type LabNetwork } from '../src/scenario/build.js';
import { captureLinks } from '../src/observe/capture.js';

/** One measured run. */
export interface WorkloadResult {
  hops: number;
  datagramsSent: number;
  datagramsReceived: number;
  events: number;
  wallSeconds: number;
  pcapBytes: number;
}

/** Builds the lab with the benchmark's link speeds. */
export function buildWorkload(labFile: string): LabNetwork {
  const r = parseLab(labFile, readFileSync(labFile, 'utf8'));
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  const spec = r.lab;
  spec.steps = [];
  spec.linkDefaults = { ...spec.linkDefaults, bandwidth: 10_000_000_000, latency: 1_000 };
  return buildLab(spec);
}

/** Runs the 28 flows; returns counts and the wall time of the simulation alone. */
export async function runWorkload(
  labFile: string,
  packets: number,
  intervalNs: number,
  pcap: boolean,
): Promise<WorkloadResult> {
  const lab = buildWorkload(labFile);
  // with pcap, every link's capture streams to its own file, as `podnet run --pcap DIR` does
  const dir = pcap ? mkdtempSync(join(tmpdir(), 'podnet-bench-')) : '';
  const fds: number[] = [];
  const caps = pcap
    ? captureLinks(lab.network, (name) => {
        const fd = openSync(join(dir, name), 'w');
        fds.push(fd);
        return (chunk) => void writeSync(fd, chunk);
      })
    : [];
  const left = ['A', 'B', 'C', 'D'];
  const right = ['E', 'F', 'G', 'H'];
  let received = 0;
  for (const n of [...left, ...right]) lab.udp.get(n)!.bind(9, () => received++);
  const payload = new Uint8Array(64);
  let sent = 0;
  left.forEach((s, si) => {
    const stack = lab.udp.get(s)!;
    const dsts = [...right, ...left.filter((x) => x !== s)].map((d) => lab.ipNodes.get(d)!.primaryAddress!);
    for (const dst of dsts) {
      let k = 0;
      const tick = (): void => {
        stack.send(49152, dst, 9, payload);
        sent++;
        if (++k < packets) lab.engine.schedule(intervalNs, tick);
      };
      lab.engine.at(1_000_000 * (si + 1), tick);
    }
  });
  const t0 = process.hrtime.bigint();
  lab.engine.run();
  for (const c of caps) c.writer.flush();
  const wallSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const fd of fds) closeSync(fd);
  if (pcap) rmSync(dir, { recursive: true });
  let hops = 0;
  for (const l of lab.network.links) hops += l.ab.transmitted + l.ba.transmitted;
  return {
    hops,
    datagramsSent: sent,
    datagramsReceived: received,
    events: lab.engine.eventsRun,
    wallSeconds,
    pcapBytes: caps.reduce((a, c) => a + c.writer.byteLength, 0),
  };
}
