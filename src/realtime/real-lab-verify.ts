/**
 * `podnet verify LAB`: the lab's steps run twice, in emulation (podnet's own taps on every link) and on the
 * realized lab (`up` under a per-process prefix, tcpdump on every link, the real programs), then every
 * link's frames compared step by step and field by field (real-lab-compare.ts). The real lab is always
 * taken down again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildLab } from '../scenario/build.js';
import { runStep } from '../scenario/run.js';
import type { LabSpec } from '../scenario/lab-types.js';
import { captureLinks } from '../observe/capture.js';
import { parsePcap, type PcapRecord } from '../observe/pcap.js';
import { noHttpServerWarning, planUp, type RealLabPlan } from './real-lab-plan.js';
import { realLabDown, realLabUp, runCommand } from './real-lab-run.js';
import { runRealStep, type RealStepContext } from './real-lab-steps.js';
import {
  compareFrames,
  decodeFrame,
  forgiveTimerSlack,
  TIMER_SLACK_NS,
  RoleMap,
  type DecodeOptions,
  type DecodedFrame,
  type FrameDiff,
} from './real-lab-compare.js';

/** The outcome of verifying a lab. */
export interface VerifyResult {
  lab: string;
  /** Per link (`A:eth0--sw1:p1`), its differences. */
  links: { link: string; diffs: FrameDiff[] }[];
  /** Per step, what the real programs did. */
  realSteps: string[];
  /** Warnings from `up` (a module it went on without) and the plan. */
  warnings: string[];
}

/** The lab could not be built on this kernel (what `up` said). */
export class VerifyUpError extends Error {}

/** How verify runs. */
export interface VerifyOptions {
  /** Namespace prefix of the realized lab (default `pn-<pid>-<lab>-`). */
  prefix?: string;
  /** How long the captures must stay quiet for a real step to count as settled (default 300 ms). */
  quietMs?: number;
}

interface LinkEnds {
  a: { node: string; port: string };
  b: { node: string; port: string };
}

const linkId = (l: LinkEnds): string => `${l.a.node}:${l.a.port}--${l.b.node}:${l.b.port}`;

/**
 * Runs the steps in emulation on the real run's clock: step i starts `offsets[i]` ns after the first (as
 * on the real lab, where starting programs and waiting for quiet take seconds) and runs no longer than
 * it did there (or starts at once if the step before ran longer), and frames after `endNs` (the real captures' end, counted from the first step) are
 * left out. Neighbour timers (DELAY, PROBE) then fall in the same step on both sides. Per link, its frames
 * and the simulated start time of each step.
 */
function emulate(
  spec: LabSpec,
  offsets: readonly number[],
  endNs: number,
  reachable: ReadonlyMap<string, ReadonlyMap<string, number>>,
): { frames: Map<string, PcapRecord[]>; stepStarts: number[]; end: number } {
  const lab = buildLab(spec);
  for (const [name, node] of lab.ipNodes) {
    const byDev = reachable.get(name);
    if (byDev !== undefined) node.config.arp = { ...node.config.arp, reachableByDev: byDev };
  }
  const caps = captureLinks(lab.network);
  const stepStarts: number[] = [];
  const t0 = lab.engine.now;
  for (const [i, s] of spec.steps.entries()) {
    const at = t0 + Math.round(offsets[i] ?? 0);
    if (lab.engine.now < at) lab.engine.run(at);
    stepStarts.push(lab.engine.now);
    // the step may take as long as the real one did: what is still pending then (a TIME-WAIT, an ARP
    // retry) goes on during the next step, as it does on the real lab
    const next = t0 + Math.round(offsets[i + 1] ?? endNs);
    const r = runStep(lab, s, { record: 'needed', index: i + 1, budgets: { maxSimTime: Math.max(1, next - at) } });
    if (r.stopped !== undefined && lab.network.stormWatch.report !== undefined) break;
  }
  if (lab.engine.now < t0 + endNs) lab.engine.run(t0 + endNs);
  const frames = new Map<string, PcapRecord[]>();
  for (const c of caps) {
    const p = parsePcap(c.writer.bytes());
    if (!p.ok) continue;
    const kept = p.value.records.filter((r) => r.timeNs <= t0 + endNs);
    frames.set(c.linkId, [...(frames.get(c.linkId) ?? []), ...kept]);
  }
  return { frames, stepStarts, end: t0 + endNs };
}

/** A running tcpdump on one link end. */
interface RealCapture {
  link: string;
  file: string;
  stop: () => Promise<void>;
}

/** Starts tcpdump on `dev` in `ns` and resolves once it listens. */
function startTcpdump(ns: string, dev: string, file: string, link: string): Promise<RealCapture> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'ip',
      ['netns', 'exec', ns, 'tcpdump', '-i', dev, '-n', '-s', '0', '--immediate-mode', '-U', '-Z', 'root', '-w', file],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let err = '';
    let exited = false;
    const exit = new Promise<void>((r) => child.on('close', () => ((exited = true), r())));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      err += s;
      if (err.includes('listening on'))
        resolve({
          link,
          file,
          stop: async () => {
            if (exited) return;
            child.kill('SIGINT');
            const t = setTimeout(() => child.kill('SIGKILL'), 5000);
            await exit;
            clearTimeout(t);
          },
        });
    });
    void exit.then(() => {
      if (!err.includes('listening on')) reject(new Error(`tcpdump on ${dev} in ${ns}: ${err.trim()}`));
    });
  });
}

/** scripts/whoami.py: traefik/whoami's answer from a real socket (from dist/src/realtime/, three up). */
const WHOAMI_PY = fileURLToPath(new URL('../../../scripts/whoami.py', import.meta.url));

/**
 * podnet's whoami servers (`http: { ports }`) on the real lab: scripts/whoami.py on each port, answering
 * the bytes podnet's whoami answers, over the kernel's TCP. Resolves once every one listens.
 */
async function startHttpServers(spec: LabSpec, plan: RealLabPlan, servers: ChildProcess[]): Promise<void> {
  const mine = spec.nodes.flatMap((n) =>
    n.kind === 'host' || n.kind === 'router'
      ? n.httpPorts.map((port) =>
          spawn('ip', ['netns', 'exec', plan.prefix + n.name, 'python3', WHOAMI_PY, String(port), n.name], {
            stdio: ['ignore', 'pipe', 'pipe'],
          }),
        )
      : [],
  );
  servers.push(...mine);
  await Promise.all(
    mine.map(
      (c) =>
        new Promise<void>((resolve, reject) => {
          let out = '';
          let err = '';
          c.stdout?.setEncoding('utf8').on('data', (x: string) => {
            out += x;
            if (out.startsWith('ready\n')) resolve();
          });
          c.stderr?.setEncoding('utf8').on('data', (x: string) => (err += x));
          c.on('close', () => reject(new Error(`whoami.py exited: ${err.trim()}`)));
        }),
    ),
  );
  for (const c of mine) c.removeAllListeners('close');
}

/** Waits until every veth of the lab has carrier and every bridge port (without STP) forwards. */
async function waitUntilUp(plan: RealLabPlan): Promise<void> {
  const end = Date.now() + 5000;
  for (;;) {
    const waiting = plan.namespaces.filter(({ ns }) => {
      const r = runCommand({ argv: ['ip', '-n', ns, '-j', '-d', 'link', 'show'] });
      const links = JSON.parse(r.stdout || '[]') as {
        operstate?: string;
        linkinfo?: { info_kind?: string; info_slave_kind?: string; info_slave_data?: { state?: string } };
      }[];
      return links.some(
        (l) =>
          (l.linkinfo?.info_kind === 'veth' && l.operstate !== 'UP') ||
          (l.linkinfo?.info_slave_kind === 'bridge' &&
            !['forwarding', 'blocking', 'listening', 'learning'].includes(l.linkinfo.info_slave_data?.state ?? '')),
      );
    });
    if (waiting.length === 0 || Date.now() > end) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Verifies `spec` on this machine (root): returns the differences per link. */
export async function verifyLab(spec: LabSpec, o: VerifyOptions = {}): Promise<VerifyResult> {
  const plan = planUp(spec, o.prefix ?? `pn-${process.pid}-${spec.name}-`);
  const up = realLabUp(plan);
  if (!up.ok) throw new VerifyUpError(up.error);
  const dir = mkdtempSync(join(tmpdir(), 'podnet-verify-'));
  const caps: RealCapture[] = [];
  const realSteps: string[] = [];
  const stepStarts: number[] = [];
  let realEnd = 0;
  let reachable = new Map<string, Map<string, number>>();
  const servers: ChildProcess[] = [];
  try {
    await waitUntilUp(plan);
    reachable = reachableTimes(plan);
    const capture = async (l: LinkEnds): Promise<void> => {
      const file = join(dir, `${caps.length}.pcap`);
      caps.push(await startTcpdump(plan.prefix + l.a.node, l.a.port, file, linkId(l)));
    };
    for (const l of spec.links) await capture(l);
    await startHttpServers(spec, plan, servers);
    const settle = quietWaiter(caps, o.quietMs ?? 300);
    const ctx: RealStepContext = { spec, plan, onLink: (a, b) => capture({ a, b }) };
    for (const s of spec.steps) {
      stepStarts.push(wallNs());
      realSteps.push(await runRealStep(ctx, s.action, settle));
    }
    await settle();
    realEnd = wallNs();
  } finally {
    for (const p of servers) p.kill('SIGKILL');
    for (const c of caps) await c.stop();
    realLabDown(plan);
  }
  const real = new Map<string, PcapRecord[]>();
  for (const c of caps) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(c.file);
    } catch {
      continue;
    }
    const p = parsePcap(bytes);
    if (p.ok) real.set(c.link, [...(real.get(c.link) ?? []), ...p.value.records]);
  }
  rmSync(dir, { recursive: true, force: true });
  const first = stepStarts[0] ?? realEnd;
  const emu = emulate(
    spec,
    stepStarts.map((t) => t - first),
    realEnd - first,
    reachable,
  );
  const dec: DecodeOptions = {
    vxlanPorts: new Set(
      spec.nodes.flatMap((n) => (n.kind === 'host' || n.kind === 'router' ? n.vxlans : [])).map((v) => v.port),
    ),
    stp: spec.nodes.some(
      (n) => (n.kind === 'switch' && n.stp !== undefined) || ('bridges' in n && n.bridges.some((b) => b.stp)),
    ),
  };
  const roles = new RoleMap();
  const ids = [...new Set([...spec.links.map(linkId), ...emu.frames.keys(), ...real.keys()])];
  const links = ids.map((link) => {
    const r = bySteps(real.get(link) ?? [], stepStarts, dec);
    const e = bySteps(emu.frames.get(link) ?? [], emu.stepStarts, dec);
    forgiveTimerSlack(r, e, [...emu.stepStarts, emu.end], TIMER_SLACK_NS);
    const diffs: FrameDiff[] = [];
    for (let s = 0; s <= spec.steps.length; s++) diffs.push(...compareFrames(s, r[s] ?? [], e[s] ?? [], roles));
    return { link, diffs };
  });
  // verify runs whoami.py where up starts no HTTP server
  const served = new Set(
    spec.nodes.flatMap((n) =>
      n.kind === 'host' || n.kind === 'router' ? [noHttpServerWarning(n.name, n.httpPorts)] : [],
    ),
  );
  const warnings = [...plan.warnings.filter((w) => !served.has(w)), ...up.warnings];
  return { lab: spec.name, links, realSteps, warnings };
}

/**
 * Per node, per device, the reachable_time the kernel drew for its ARP table (neigh_rand_reach_time: a
 * random value in [base/2, 3*base/2), `reachable` in `ip ntable show`, in ms), for the emulation to use.
 */
function reachableTimes(plan: RealLabPlan): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const { node, ns } of plan.namespaces) {
    const r = runCommand({ argv: ['ip', '-n', ns, 'ntable', 'show', 'name', 'arp_cache'] });
    const byDev = new Map<string, number>();
    let dev: string | undefined;
    for (const line of r.stdout.split('\n')) {
      const d = /^\s+dev (\S+)/.exec(line);
      if (d !== null) dev = d[1];
      const t = /\breachable (\d+)/.exec(line);
      if (t !== null && dev !== undefined) {
        byDev.set(dev, Number(t[1]) * 1_000_000);
        dev = undefined;
      }
    }
    out.set(node, byDev);
  }
  return out;
}

/** The wall clock in ns, as tcpdump stamps frames (microseconds since the epoch). */
const wallNs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1e3) * 1e3;

/**
 * Frames split by step: [0] before the first step, [i] during step i (1-based); noise left out. Each keeps
 * its capture time.
 */
function bySteps(records: PcapRecord[], starts: number[], o: DecodeOptions): DecodedFrame[][] {
  const out: DecodedFrame[][] = starts.map(() => []);
  out.push([]);
  for (const r of records) {
    let s = 0;
    while (s < starts.length && r.timeNs >= starts[s]!) s++;
    const f = decodeFrame(r.data, o);
    f.timeNs = r.timeNs;
    if (!f.noise) out[s]!.push(f);
  }
  return out;
}

/** A settle for real steps: resolves once no capture file has grown for `quietMs`. */
function quietWaiter(caps: RealCapture[], quietMs: number): () => Promise<void> {
  const size = (): number =>
    caps.reduce((n, c) => {
      try {
        return n + statSync(c.file).size;
      } catch {
        return n;
      }
    }, 0);
  return async () => {
    let last = size();
    let since = Date.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 25));
      const now = size();
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since >= quietMs) return;
    }
  };
}
