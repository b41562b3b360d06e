/**
 * The `podnet` command: argument parsing, files in and out, exit codes. Everything it shows is computed by
 * the isomorphic core; this file only reads labs, writes pcaps and prints.
 */
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { parseLab, type LabSpec } from '../scenario/lab.js';
import { budgetsFor, execCommand, runLab, runStep } from '../scenario/run.js';
import type { CommandResult } from '../apps/shell.js';
import { describeStop, settle, stopFor, type Budgets } from '../scenario/budget.js';
import { parseBandwidth, parseDuration } from '../scenario/units.js';
import { loadCluster } from '../scenario/manifests.js';
import { bringUp, buildCluster } from '../cluster/runtime.js';
import { clusterMachine, clusterMachineNames, runOnMachine } from '../scenario/cluster-shell.js';
import { runClusterSteps } from '../scenario/cluster-run.js';
import type { StepResult } from '../scenario/step-context.js';
import { buildLab } from '../scenario/build.js';
import { runScale } from '../scenario/scale.js';
import { BGP_SCALE_MAX_NODES, BgpScaleError } from '../scenario/bgp-scale.js';
import { bgpBenchJson, bgpBenchText, formatBgpTable, meshTooBig, runBgpBench, runBgpTable } from './bench-bgp.js';
import { DemoInputError, loadedWarnings, runDemo } from './demo.js';
import { DatastoreError } from '../control/datastore/types.js';
import { openDatastore, parseDatastoreFlag, type DatastoreChoice, type OpenedDatastore } from './datastore-flag.js';
import { formatWarnings, type ClusterWarning } from '../cluster/cluster-warnings.js';
import { holdsClusterDoc } from '../scenario/cluster-doc.js';
import type { BackendType } from '../control/flannel/backends.js';
import { traceLab } from '../scenario/trace.js';
import { formatSpecErrors } from '../scenario/source.js';
import { checkPcapTarget, PcapOutput, type PcapTarget } from './pcap-out.js';
import { DEFAULT_RECORDING_CAP, RecordingCap } from '../observe/recorder.js';
import { formatHopTable } from '../observe/table.js';
import { LabBuildError } from '../scenario/build.js';
import { cmdGet, GET_USAGE, GetUsageError } from './get.js';
import { cmdPortForward, cmdServe, SERVE_USAGE, ServeUsageError } from './serve.js';
import { cmdUp, UP_USAGE, UpUsageError } from './up.js';
import { cmdVerify, VERIFY_USAGE } from './verify.js';
import { cmdPolicy, POLICY_USAGE, PolicyFileError, PolicyUsageError } from './policy.js';
import { BENCH_POLICY_USAGE, cmdBenchPolicy } from './bench-policy.js';
import { cmdUi, UI_USAGE, UiUsageError } from './ui.js';

const USAGE = `podnet - a byte-accurate network emulator

Usage:
  podnet demo [--act 1|2] [--backend vxlan|host-gw|udp] [--compare] [--file CLUSTER.yaml]
              [--pcap DIR|FILE.pcapng | --no-pcap] [--datastore memory|etcd://HOST:PORT] [--json] [--no-explain]
  podnet demo --cni calico [--backend ipip|bgp|vxlan] [--file CLUSTER.yaml] [...]
                                             a k3s-like two-node cluster with Flannel: leases, pods, routes;
                                             with --cni calico the notes' master and node with Calico (IP-in-IP
                                             unless --backend), their blocks, BGP sessions and BIRD's routes;
                                             act 1: one pod-to-pod ping across nodes, hop by hop; act 2: a
                                             laptop's curl through ServiceLB, Traefik and kube-proxy to a pod,
                                             and dig and curl by Service name from a pod (both acts unless
                                             --act); pcaps go to ./podnet-demo-pcap unless --pcap or --no-pcap
  podnet bench cluster --nodes N --pods-per-node M [--pairs K] [--backend B] [--json]
                                             build a big cluster and ping K random pod pairs
  podnet bench bgp --nodes N --mode mesh|rr [--bandwidth RATE] [--json] | --table
                                             a Calico BGP cluster (full mesh, or 2 route reflectors) run
                                             until every node has every block's route: sessions, routes
                                             and iptables rules per node, convergence time; the nodes
                                             share a switch at RATE (default 10Gbps); --table: 10, 100,
                                             1,000 nodes in both modes
  podnet run LAB.yaml|CLUSTER.yaml [--pcap DIR|FILE.pcapng] [--seed N] [--verbose] [--json] [BUDGETS]
            [--datastore D] [--backend B]    build a lab or a cluster, run its steps (a cluster's may scale,
                                             delete pods, add and remove nodes, restart flanneld), check
                                             expectations
  podnet trace LAB.yaml --from NODE --to NODE|IP [--icmp] [--sport N] [--dport N]
                        [--pcap DIR|FILE.pcapng] [--seed N] [--json] [--no-explain] [--after-steps] [BUDGETS]
                                             send one packet (UDP 88 -> 99 by default, echoed back)
                                             on a freshly powered-on lab and print every hop
  podnet exec LAB.yaml|CLUSTER.yaml NODE|POD [--fresh] [--seed N] [--pcap DIR|FILE.pcapng] [--datastore D] [BUDGETS]
              -- COMMAND [ARGS...]
                                             run a command on a node or in a pod (ping, traceroute, dig,
                                             nslookup, host, getent hosts, curl, wget -q, nc,
                                             ip addr|link|route|neigh, bridge fdb|link, iptables-save,
                                             iptables -L -n|-S, conntrack -L, ss, netstat -n, route -n,
                                             arp -n, sysctl, cat: Debian 12's tools, in a pod too, not its
                                             image's own) after the lab's steps (or on a fresh lab with
                                             --fresh); exits with its status
${GET_USAGE}
${SERVE_USAGE}
${UP_USAGE}
${VERIFY_USAGE}
${POLICY_USAGE}
${BENCH_POLICY_USAGE}
${UI_USAGE}
  podnet --help | --version

--pcap DIR writes one pcap per link into DIR (files named after both ends, e.g. A-eth0__sw1-p1.pcap, ~2 on
a clash); --pcap FILE.pcapng writes one pcapng file, one interface per link. A .pcapng file must not exist.
Links plugged in during the run are captured too.
--datastore (clusters): without it flanneld runs k3s's kube subnet manager (node podCIDRs 10.42.0.0/24,
  10.42.1.0/24, ... in join order); memory runs flannel's etcd subnet manager on an embedded store (random
  subnets), etcd://HOST:PORT runs it on a real etcd.
BUDGETS, per step (also spec.limits in a lab): --max-events N (default 10000000 engine events) and
  --max-sim-time DURATION (default 1h of simulated time, e.g. 90s, 2h). A step that goes over one, or
  that a broadcast storm stops, fails with a message naming it; the steps after it are not run.
  run and trace keep at most --max-recorded-events N events for tables and JSON (default 200000) and say
  how many they left out.

Exit status: 0 when every expectation held, 1 when one failed, 2 on bad usage or a bad lab file.`;

/** A usage problem: printed with the usage text, exit 2. */
class UsageError extends Error {}

interface Flags {
  positional: string[];
  values: Map<string, string>;
  bools: Set<string>;
  /** Words after `--`, passed on untouched (exec's command). */
  rest: string[];
}

const VALUE_FLAGS = new Set([
  '--pcap',
  '--seed',
  '--from',
  '--to',
  '--sport',
  '--dport',
  '--backend',
  '--cni',
  '--datastore',
  '--file',
  '--nodes',
  '--pods-per-node',
  '--pairs',
  '--max-events',
  '--max-sim-time',
  '--max-recorded-events',
  '--act',
  '--mode',
  '--bandwidth',
]);
const BOOL_FLAGS = new Set([
  '--verbose',
  '--json',
  '--icmp',
  '--no-explain',
  '--after-steps',
  '--help',
  '-h',
  '--version',
  '--fresh',
  '--compare',
  '--no-pcap',
  '--table',
]);

function parseFlags(args: string[]): Flags {
  const f: Flags = { positional: [], values: new Map(), bools: new Set(), rest: [] };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      f.rest = args.slice(i + 1);
      break;
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (VALUE_FLAGS.has(name)) {
      const v = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : args[++i];
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value`);
      f.values.set(name, v);
    } else if (BOOL_FLAGS.has(a)) f.bools.add(a);
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else f.positional.push(a);
  }
  return f;
}

const BUDGET_FLAGS = ['--max-events', '--max-sim-time'];

/** The options each command that shares parseFlags reads (the usage text lists the same). */
const COMMAND_FLAGS: Readonly<Record<string, readonly string[]>> = {
  run: [
    '--seed',
    '--verbose',
    '--pcap',
    '--json',
    '--max-recorded-events',
    '--datastore',
    '--backend',
    ...BUDGET_FLAGS,
  ],
  trace: [
    '--from',
    '--to',
    '--icmp',
    '--sport',
    '--dport',
    '--pcap',
    '--seed',
    '--json',
    '--no-explain',
    '--after-steps',
    '--max-recorded-events',
    ...BUDGET_FLAGS,
  ],
  exec: ['--fresh', '--seed', '--pcap', '--datastore', '--backend', ...BUDGET_FLAGS],
  demo: [
    '--act',
    '--backend',
    '--cni',
    '--compare',
    '--file',
    '--pcap',
    '--no-pcap',
    '--datastore',
    '--json',
    '--no-explain',
  ],
  'bench cluster': ['--nodes', '--pods-per-node', '--pairs', '--backend', '--json'],
  'bench bgp': ['--nodes', '--mode', '--bandwidth', '--json', '--table'],
};

/** A usage error for an option `command` does not take (another command's: it would be ignored). */
function checkFlags(f: Flags, command: string): void {
  const allowed = COMMAND_FLAGS[command] ?? [];
  for (const name of [...f.values.keys(), ...f.bools])
    if (!allowed.includes(name)) throw new UsageError(`${command} does not take ${name}`);
}

function intFlag(f: Flags, name: string, min: number, max: number): number | undefined {
  const v = f.values.get(name);
  if (v === undefined) return undefined;
  if (!/^[0-9]+$/.test(v) || Number(v) < min || Number(v) > max)
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  return Number(v);
}

/** --max-events and --max-sim-time, when given. */
function budgetFlags(f: Flags): Partial<Budgets> {
  const b: Partial<Budgets> = {};
  const n = intFlag(f, '--max-events', 1, Number.MAX_SAFE_INTEGER);
  if (n !== undefined) b.maxEvents = n;
  const t = f.values.get('--max-sim-time');
  if (t !== undefined) {
    const d = parseDuration(t);
    if (d === undefined || d === 0)
      throw new UsageError(`--max-sim-time must be a duration such as 90s or 2h, got ${JSON.stringify(t)}`);
    b.maxSimTime = d;
  }
  return b;
}

/** --max-recorded-events, or the default cap. */
function recordingCap(f: Flags): number {
  return intFlag(f, '--max-recorded-events', 0, Number.MAX_SAFE_INTEGER) ?? DEFAULT_RECORDING_CAP;
}

function loadLab(file: string): LabSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const r = parseLab(file, text);
  if (!r.ok) {
    throw new LabFileError(formatSpecErrors(r.errors));
  }
  return r.lab;
}

/** A lab that does not validate: printed without usage, exit 2. */
class LabFileError extends Error {}

/** --pcap (or `dflt`), checked before anything runs: a usage error when it cannot be written. */
function pcapTarget(f: Flags, dflt?: string): PcapTarget | undefined {
  const arg = f.values.get('--pcap') ?? dflt;
  if (arg === undefined) return undefined;
  const r = checkPcapTarget(arg);
  if (!r.ok) throw new UsageError(r.error);
  return r.target;
}

/** Creates the checked --pcap directory or file. */
function openPcap(t: PcapTarget | undefined): PcapOutput | undefined {
  if (t === undefined) return undefined;
  const r = PcapOutput.open(t);
  if (!r.ok) throw new UsageError(r.error);
  return r.value;
}

function examplesDir(): string {
  // dist/src/cli/main.js -> repo root
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../..', '../..']) {
    const d = resolve(here, up, 'examples');
    if (existsSync(d)) return d;
  }
  return resolve(here, '../../../examples');
}

function cmdRun(f: Flags, out: (s: string) => void, err: (s: string) => void): number | Promise<number> {
  const file = f.positional[1];
  if (file === undefined || f.positional.length > 2) throw new UsageError('run takes one lab or cluster file');
  if (isClusterFile(file)) return cmdRunCluster(f, file, out, err);
  const spec = loadLab(file);
  const seed = intFlag(f, '--seed', 0, 0xffff_ffff);
  const verbose = f.bools.has('--verbose');
  const pcap = openPcap(pcapTarget(f));
  let res: ReturnType<typeof runLab>;
  try {
    res = runLab(spec, {
      ...(seed !== undefined ? { seed } : {}),
      prepare: (lab) => pcap?.attach(lab.network),
      // per-hop tables are printed only with --verbose: without it, keep only what the checks need
      record: verbose ? 'all' : 'needed',
      budgets: budgetFlags(f),
      cap: new RecordingCap(recordingCap(f)),
    });
  } catch (e) {
    pcap?.discard();
    throw e;
  }
  const files = pcap?.finish() ?? [];
  if (f.bools.has('--json')) {
    out(
      JSON.stringify(
        {
          lab: spec.name,
          ok: res.ok,
          steps: res.steps.map((x) => stepJson(x, verbose)),
          notRun: res.notRun,
          pcaps: files,
          // a lab has nothing podnet plans around or leaves out yet; the key is there for scripts that read both
          warnings: [],
        },
        null,
        2,
      ),
    );
    return res.ok ? 0 : 1;
  }
  out(`lab ${spec.name}${spec.description ? `: ${spec.description.trim()}` : ''}`);
  return printSteps(out, res, verbose, pcap);
}

/** One step's result in `run --json` (labs and clusters alike); events only with --verbose. */
function stepJson(s: StepResult, verbose: boolean): Record<string, unknown> {
  return {
    name: s.name,
    ok: s.ok,
    failures: s.failures,
    output: s.output,
    ...(s.stopped !== undefined ? { stopped: s.stopped } : {}),
    ...(verbose ? { events: s.events, eventsOmitted: s.omitted } : {}),
  };
}

/** The steps' results as `podnet run` prints them (labs and clusters alike); the exit status. */
function printSteps(
  out: (s: string) => void,
  res: { steps: StepResult[]; notRun: string[] },
  verbose: boolean,
  pcap: PcapOutput | undefined,
): number {
  for (const s of res.steps) {
    out('');
    out(`${s.ok ? 'PASS' : 'FAIL'}  ${s.name}  (${s.where})`);
    if (s.output) out(indent(s.output));
    if (verbose && s.events.some((e) => e.kind !== 'note')) out(indent(formatHopTable(s.events)));
    if (verbose && s.omitted > 0)
      out(`  (recording capped: ${s.omitted} more events of this step were not kept; the table above is partial)`);
    for (const x of s.failures) out(x === s.stopped ? `  ${x}` : `  expected: ${x}`);
  }
  for (const name of res.notRun) {
    out('');
    out(`SKIP  ${name}  (not run: an earlier step was stopped)`);
  }
  out('');
  const failed = res.steps.filter((s) => !s.ok).length;
  out(
    `${res.steps.length - failed} passed, ${failed} failed${res.notRun.length ? `, ${res.notRun.length} not run` : ''}`,
  );
  if (pcap !== undefined) out(pcap.describe());
  return failed === 0 && res.notRun.length === 0 ? 0 : 1;
}

/** `podnet run CLUSTER.yaml`: builds the cluster and runs its steps. */
async function cmdRunCluster(
  f: Flags,
  file: string,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  if (f.values.has('--seed'))
    throw new UsageError("--seed is for labs: a cluster's seed is its spec.seed (it names its pods too)");
  const loaded = loadCluster([{ file, text: readFileSync(file, 'utf8') }]);
  if (!loaded.ok) throw new LabFileError(formatSpecErrors(loaded.errors));
  printWarnings(err, loadedWarnings(loaded.cluster));
  const verbose = f.bools.has('--verbose');
  const backend = backendFlag(f);
  const pcapAt = pcapTarget(f);
  const ds = openDatastore(datastoreFlag(f));
  try {
    const rt = await buildCluster(loaded.cluster.plan, { ...ds.build, ...(backend !== undefined ? { backend } : {}) });
    await ds.settle(rt);
    // the steps start in a cluster that has been up a minute, as `podnet get` shows it
    bringUp(rt);
    const pcap = openPcap(pcapAt);
    pcap?.attach(rt.network);
    const res = await runClusterSteps(rt, loaded.cluster.run, {
      file,
      record: verbose ? 'all' : 'needed',
      budgets: budgetFlags(f),
      cap: new RecordingCap(recordingCap(f)),
    });
    const files = pcap?.finish() ?? [];
    if (f.bools.has('--json')) {
      out(
        JSON.stringify(
          {
            cluster: rt.plan.cluster.name,
            ok: res.ok,
            steps: res.steps.map((x) => stepJson(x, verbose)),
            notRun: res.notRun,
            pcaps: files,
            warnings: loadedWarnings(loaded.cluster).map((w) => w.message),
          },
          null,
          2,
        ),
      );
      return res.ok ? 0 : 1;
    }
    out(`cluster ${rt.plan.cluster.name}: ${rt.nodes.size} nodes, ${rt.pods.size} pods`);
    if (loaded.cluster.run.steps.length === 0)
      out('(the Cluster document has no steps: add spec.steps, or see `podnet demo --file`)');
    return printSteps(out, res, verbose, pcap);
  } finally {
    await ds.close();
  }
}

function cmdTrace(f: Flags, out: (s: string) => void, fileOverride?: string): number {
  const file = fileOverride ?? f.positional[1];
  if (file === undefined || f.positional.length > (fileOverride ? 1 : 2))
    throw new UsageError('trace takes one lab file');
  const from = f.values.get('--from');
  const to = f.values.get('--to');
  if (from === undefined || to === undefined) throw new UsageError('trace needs --from NODE and --to NODE|IP');
  const spec = loadLab(file);
  const pcapAt = pcapTarget(f);
  const seed = intFlag(f, '--seed', 0, 0xffff_ffff);
  const r = traceLab(spec, {
    from,
    to,
    protocol: f.bools.has('--icmp') ? 'icmp' : 'udp',
    srcPort: intFlag(f, '--sport', 1, 65535) ?? 88,
    dstPort: intFlag(f, '--dport', 1, 65535) ?? 99,
    afterSteps: f.bools.has('--after-steps'),
    capture: pcapAt !== undefined,
    budgets: budgetFlags(f),
    cap: recordingCap(f),
    ...(seed !== undefined ? { seed } : {}),
  });
  if (!r.ok) {
    if (r.error.startsWith('--after-steps: ')) {
      out(r.error);
      return 1;
    }
    throw new UsageError(r.error);
  }
  const pcap = openPcap(pcapAt);
  pcap?.add(r.captures);
  const files = pcap?.finish() ?? [];
  if (f.bools.has('--json')) {
    out(
      JSON.stringify(
        {
          lab: spec.name,
          from,
          to,
          delivered: r.delivered,
          replied: r.replied,
          ...(r.stopped !== undefined ? { stopped: r.stopped } : {}),
          events: r.events,
          eventsOmitted: r.omitted,
          pcaps: files,
        },
        null,
        2,
      ),
    );
    return r.delivered && r.stopped === undefined ? 0 : 1;
  }
  out(r.title);
  out('');
  out(formatHopTable(r.events, { explain: !f.bools.has('--no-explain') }));
  out('');
  out(r.summary);
  if (files.length) out(`pcaps: ${files.join(', ')}`);
  return r.delivered && r.stopped === undefined ? 0 : 1;
}

async function cmdExec(
  f: Flags,
  out: (s: string) => void,
  err: (s: string) => void,
  write: (s: string) => void,
): Promise<number> {
  const [, file, node] = f.positional;
  if (file === undefined || node === undefined || f.positional.length > 3)
    throw new UsageError('exec takes a lab or cluster file and a node or pod name');
  if (f.rest.length === 0)
    throw new UsageError('exec needs a command after --, e.g. podnet exec lab.yaml A -- ping -c 2 E');
  if (isClusterFile(file)) return execInCluster(f, file, node, out, err, write);
  const spec = loadLab(file);
  const seed = intFlag(f, '--seed', 0, 0xffff_ffff);
  const lab = buildLab(spec, seed);
  if (!lab.ipNodes.has(node))
    throw new UsageError(
      `${file} has no host or router named ${JSON.stringify(node)} (has: ${[...lab.ipNodes.keys()].join(', ')})`,
    );
  const pcap = openPcap(pcapTarget(f));
  pcap?.attach(lab.network);
  const budgets = budgetsFor(spec, budgetFlags(f));
  if (!f.bools.has('--fresh'))
    for (const [i, s] of spec.steps.entries()) {
      const r = runStep(lab, s, { budgets, record: 'needed', index: i + 1 });
      if (r.stopped !== undefined) {
        pcap?.finish();
        out(r.stopped);
        return 1;
      }
    }
  let result: CommandResult | undefined;
  execCommand(lab, node, f.rest, (r) => (result = r));
  const stop = settle(lab.engine, lab.network, budgets);
  pcap?.finish();
  if (stop !== undefined) {
    out(`${f.rest[0]}: stopped: ${describeStop(stop)}`);
    return 1;
  }
  if (result === undefined) {
    out(`${f.rest[0]}: did not finish (the network went quiet without an answer)`);
    return 1;
  }
  printResult(result, out, write);
  return result.status;
}

/**
 * Prints what the command printed, as it printed it: a newline after its last line only when the tool
 * wrote one (`curl -s` of a body without a final newline prints no newline; `ping` ends its lines).
 */
function printResult(r: CommandResult, out: (s: string) => void, write: (s: string) => void): void {
  if (r.unterminated === true) write(r.stdout);
  else if (r.stdout !== '') out(r.stdout);
}

/** Whether `file` holds a Cluster document; an unreadable file is left to loadLab to report. */
function isClusterFile(file: string): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  return holdsClusterDoc(text);
}

/** Prints the WARNINGS and NOT EMULATED sections (on stderr, so a command's own output stays clean). */
function printWarnings(err: (s: string) => void, ws: readonly ClusterWarning[]): void {
  const lines = formatWarnings(ws);
  if (lines.length > 0) err(['', ...lines].join('\n'));
}

/** exec on a cluster: a pod (name or namespace/name) or a node; names resolve through its /etc/hosts and DNS. */
async function execInCluster(
  f: Flags,
  file: string,
  target: string,
  out: (s: string) => void,
  err: (s: string) => void,
  write: (s: string) => void,
): Promise<number> {
  const loaded = loadCluster([{ file, text: readFileSync(file, 'utf8') }]);
  if (!loaded.ok) throw new LabFileError(formatSpecErrors(loaded.errors));
  printWarnings(err, loadedWarnings(loaded.cluster));
  // A Pending pod has no sandbox to run in: say so, as kubectl does, rather than fail to find it.
  const pending = loaded.cluster.plan.pods.find(
    (p) => p.node === undefined && (`${p.namespace}/${p.name}` === target || p.name === target),
  );
  if (pending !== undefined) {
    err(
      `podnet: pod ${pending.namespace}/${pending.name} is Pending (${pending.pendingReason ?? 'not scheduled'}): it runs nowhere, so there is nothing to exec in`,
    );
    return 1;
  }
  const backend = backendFlag(f);
  const pcapAt = pcapTarget(f);
  const ds = openDatastore(datastoreFlag(f));
  try {
    return await execOnBuilt(loaded.cluster.plan, f, target, file, { out, err, write }, ds, backend, pcapAt);
  } finally {
    await ds.close();
  }
}

/** exec on a cluster, built on the store --datastore names. */
async function execOnBuilt(
  plan: Parameters<typeof buildCluster>[0],
  f: Flags,
  target: string,
  file: string,
  { out, err, write }: { out: (s: string) => void; err: (s: string) => void; write: (s: string) => void },
  ds: OpenedDatastore,
  backend: BackendType | undefined,
  pcapAt: ReturnType<typeof pcapTarget>,
): Promise<number> {
  const c = await buildCluster(plan, { ...ds.build, ...(backend !== undefined ? { backend } : {}) });
  await ds.settle(c);
  // the command runs in a cluster that has been up a minute, as `podnet get` shows it: probes have passed
  bringUp(c);
  const failed = c.failedPods.find((p) => p.id === target || p.id.endsWith(`/${target}`));
  if (failed !== undefined && clusterMachine(c, target) === undefined) {
    err(`podnet: pod ${failed.id} on ${failed.node} failed to start (CNI ADD: ${failed.error}): nothing to exec in`);
    return 1;
  }
  const where = clusterMachine(c, target);
  if (where === undefined)
    throw new UsageError(`${file} has no pod or node named ${JSON.stringify(target)} (${clusterMachineNames(c)})`);
  const pcap = openPcap(pcapAt);
  pcap?.attach(c.network);
  let result: CommandResult | undefined;
  runOnMachine(where, f.rest, (r) => (result = r));
  // a cluster's control plane keeps timers (leases, resyncs), so it never goes quiet: 600 s unless told
  const budgets = budgetsFor({ limits: { maxSimTime: 600_000_000_000 } }, budgetFlags(f));
  const end = c.engine.runBounded(budgets.maxSimTime, budgets.maxEvents);
  pcap?.finish();
  // a spent time budget is normal here once the command is done
  if (result === undefined || end === 'event-budget') {
    const stop = end === 'idle' ? undefined : stopFor(end, c.engine, c.network, budgets);
    out(`${f.rest[0]}: ${stop === undefined ? 'did not finish' : `stopped: ${describeStop(stop)}`}`);
    return 1;
  }
  printResult(result, out, write);
  return result.status;
}

function datastoreFlag(f: Flags): DatastoreChoice {
  const d = parseDatastoreFlag(f.values.get('--datastore'));
  if (typeof d === 'string') throw new UsageError(d);
  return d;
}

function backendFlag(f: Flags): BackendType | undefined {
  const b = f.values.get('--backend');
  if (b === undefined) return undefined;
  if (b !== 'vxlan' && b !== 'host-gw' && b !== 'udp')
    throw new UsageError(`--backend must be vxlan, host-gw or udp, got ${JSON.stringify(b)}`);
  return b;
}

/** --backend ipip|bgp|vxlan with --cni calico: the pools' encapsulation. */
function calicoModeFlag(f: Flags): 'ipip' | 'bgp' | 'vxlan' | undefined {
  const b = f.values.get('--backend');
  if (b === undefined) return undefined;
  if (b !== 'ipip' && b !== 'bgp' && b !== 'vxlan')
    throw new UsageError(`with --cni calico, --backend must be ipip, bgp or vxlan, got ${JSON.stringify(b)}`);
  return b;
}

/** --act 1|2: one act of the demo (both when absent). */
function actFlag(f: Flags): 1 | 2 | undefined {
  const a = f.values.get('--act');
  if (a === undefined) return undefined;
  if (a !== '1' && a !== '2') throw new UsageError(`--act must be 1 or 2, got ${JSON.stringify(a)}`);
  if (f.bools.has('--compare')) throw new UsageError('--act and --compare exclude each other');
  return a === '1' ? 1 : 2;
}

async function cmdDemo(f: Flags, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (f.positional.length > 1) throw new UsageError('demo takes no positional arguments (use --file CLUSTER.yaml)');
  const cni = f.values.get('--cni');
  if (cni !== undefined && cni !== 'flannel' && cni !== 'calico')
    throw new UsageError(`--cni must be flannel or calico, got ${JSON.stringify(cni)}`);
  const file =
    f.values.get('--file') ?? join(examplesDir(), cni === 'calico' ? 'cluster-calico-ipip.yaml' : 'cluster-demo.yaml');
  if (!existsSync(file)) throw new UsageError(`--file ${file}: no such file`);
  // Calico's "backends" are its pool modes; Flannel's are flanneld's
  const calicoMode = cni === 'calico' ? calicoModeFlag(f) : undefined;
  if (cni === 'calico' && f.bools.has('--compare'))
    throw new UsageError("--compare compares Flannel's backends; it does not take --cni calico");
  const backend = cni === 'calico' ? undefined : backendFlag(f);
  const datastore = datastoreFlag(f);
  const act = actFlag(f);
  if (f.bools.has('--no-pcap') && f.values.has('--pcap'))
    throw new UsageError('--pcap and --no-pcap exclude each other');
  // the demo writes its pcaps unless told not to (the issue's "writes pcaps"); --compare has none
  const pcapAt = f.bools.has('--no-pcap') || f.bools.has('--compare') ? undefined : pcapTarget(f, 'podnet-demo-pcap');
  const r = await runDemo({
    file,
    ...(backend !== undefined ? { backend } : {}),
    ...(cni !== undefined ? { cni } : {}),
    ...(calicoMode !== undefined ? { calicoMode } : {}),
    datastore,
    ...(act !== undefined ? { act } : {}),
    compare: f.bools.has('--compare'),
    pcap: pcapAt !== undefined,
    json: f.bools.has('--json'),
    explain: !f.bools.has('--no-explain'),
  });
  const pcap = r.captures.length > 0 ? openPcap(pcapAt) : undefined;
  pcap?.add(r.captures);
  const files = pcap?.finish() ?? [];
  if (f.bools.has('--json')) out(JSON.stringify({ ...(r.json as object), pcaps: files }, null, 2));
  else {
    out(r.text);
    if (pcap !== undefined) out(`${pcap.describe()} (open the node uplinks to see the VXLAN headers)`);
    printWarnings(err, r.warnings);
  }
  return r.status;
}

async function cmdBench(f: Flags, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (f.positional[1] === 'bgp' && f.positional.length === 2) return await cmdBenchBgp(f, out);
  if (f.positional[1] !== 'cluster' || f.positional.length > 2)
    throw new UsageError('bench takes one workload: cluster, bgp or policy');
  const nodes = intFlag(f, '--nodes', 2, 30000);
  const ppn = intFlag(f, '--pods-per-node', 1, 250);
  if (nodes === undefined || ppn === undefined)
    throw new UsageError('bench cluster needs --nodes N and --pods-per-node M');
  const pairs = intFlag(f, '--pairs', 0, 100000) ?? 100;
  const backend = backendFlag(f);
  const t0 = performance.now();
  const progress = (phase: string, done: number, total: number): void =>
    err(`  ${phase} ${done}/${total} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const r = await runScale(nodes, ppn, pairs, {
    ...(backend !== undefined ? { backend } : {}),
    ...(f.bools.has('--json') ? {} : { progress }),
  });
  const wallSeconds = +((performance.now() - t0) / 1000).toFixed(3);
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  const line = {
    nodes: r.nodes,
    pods: r.pods,
    pairsChecked: r.pairsChecked,
    pairsReachable: r.pairsReachable,
    wallSeconds,
    peakRssBytes,
  };
  if (f.bools.has('--json')) out(JSON.stringify(line));
  else
    out(
      `${r.nodes} nodes, ${r.pods} pods built${r.failedPods ? ` (${r.failedPods} pods failed to start)` : ''}; ${r.pairsReachable}/${r.pairsChecked} sampled pod pairs reachable; ${wallSeconds} s, peak RSS ${(peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
    );
  return r.pairsReachable === r.pairsChecked && r.failedPods === 0 ? 0 : 1;
}

async function cmdBenchBgp(f: Flags, out: (s: string) => void): Promise<number> {
  if (f.bools.has('--table')) {
    if (f.values.has('--nodes') || f.values.has('--mode') || f.values.has('--bandwidth') || f.bools.has('--json'))
      throw new UsageError('bench bgp --table takes no other option');
    out(formatBgpTable(runBgpTable(() => undefined)));
    return 0;
  }
  const nodes = intFlag(f, '--nodes', 2, BGP_SCALE_MAX_NODES);
  const mode = f.values.get('--mode');
  if (nodes === undefined || (mode !== 'mesh' && mode !== 'rr'))
    throw new UsageError('bench bgp needs --nodes N and --mode mesh|rr (or --table)');
  if (mode === 'rr' && nodes < 3) throw new UsageError('bench bgp --mode rr needs at least 3 nodes');
  const tooBig = mode === 'mesh' ? meshTooBig(nodes, getHeapStatistics().heap_size_limit) : undefined;
  if (tooBig !== undefined) throw new UsageError(`bench bgp: ${tooBig}`);
  const bw = f.values.get('--bandwidth');
  const bps = bw === undefined ? undefined : parseBandwidth(bw);
  if (bps === 0 || (bw !== undefined && bps === undefined))
    throw new UsageError(`bench bgp --bandwidth takes a bit rate such as 1Gbps or 10Gbps, got '${bw}'`);
  const r = await runBgpBench(nodes, mode, bps);
  out(f.bools.has('--json') ? bgpBenchJson(r) : bgpBenchText(r));
  return 0;
}

/** The words that name a usage block: a command, and for bench and policy its subcommand. */
function commandKey(words: readonly string[]): string | undefined {
  const [first, second] = words;
  if (first === undefined) return undefined;
  return (first === 'bench' || first === 'policy') && second !== undefined ? `${first} ${second}` : first;
}

/**
 * What a usage error prints after its message: the usage of the command given (every block of USAGE
 * for it, as `exec` has two), or all of USAGE when there is none or it is unknown. A mistyped flag
 * should not bury its own message under a hundred lines of other commands.
 */
export function usageOf(argv: readonly string[]): string {
  const key = commandKey(argv.filter((a) => !a.startsWith('-')));
  if (key === undefined) return USAGE;
  const lines = USAGE.split('\n');
  const picked: string[] = [];
  let inBlock = false;
  for (const line of lines) {
    const head = /^ {2}podnet (\S+)(?: (\S+))?/.exec(line);
    if (head !== null) {
      // `podnet bench` alone: every bench command's block
      const k = commandKey([head[1]!, ...(head[2] !== undefined ? [head[2]] : [])]);
      inBlock = k === key || k?.startsWith(`${key} `) === true;
    } else if (!line.startsWith('   ')) inBlock = false;
    if (inBlock) picked.push(line);
  }
  if (picked.length === 0) return USAGE;
  return `Usage:\n${picked.join('\n')}\n\npodnet --help lists every command, with the flags they share (BUDGETS, --pcap, --datastore).`;
}

/**
 * Runs the CLI with `argv` (without node and script), printing lines through `out`/`err` and text that ends
 * without a newline (exec's unterminated output) through `write`. Returns the exit code.
 */
export async function main(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s + '\n'),
  err: (s: string) => void = (s) => process.stderr.write(s + '\n'),
  write: (s: string) => void = (s) => process.stdout.write(s),
): Promise<number> {
  try {
    // get has kubectl's flags (-o, -n, -A), so it reads its own arguments
    if (argv[0] === 'get' && !argv.includes('--help') && !argv.includes('-h'))
      return await cmdGet(argv.slice(1), out, err);
    // serve and port-forward have kubectl's flags (-n, --address) and run until interrupted
    if ((argv[0] === 'serve' || argv[0] === 'port-forward') && !argv.includes('--help') && !argv.includes('-h'))
      return argv[0] === 'serve'
        ? await cmdServe(argv.slice(1), out, err)
        : await cmdPortForward(argv.slice(1), out, err);
    // the real kernel: up, down, exec --real (before `--`) read their own arguments
    const dashes = argv.indexOf('--');
    const realExec = argv[0] === 'exec' && argv.slice(0, dashes < 0 ? argv.length : dashes).includes('--real');
    if ((argv[0] === 'up' || argv[0] === 'down' || realExec) && !argv.includes('--help') && !argv.includes('-h'))
      return cmdUp(argv, out, err);
    if (argv[0] === 'verify' && !argv.includes('--help') && !argv.includes('-h'))
      return await cmdVerify(argv.slice(1), out, err);
    // policy and bench policy read their own arguments (--port, --protocol, --pods, --policies)
    if (argv[0] === 'policy' && !argv.includes('--help') && !argv.includes('-h'))
      return await cmdPolicy(argv.slice(1), out, err);
    if (argv[0] === 'bench' && argv[1] === 'policy' && !argv.includes('--help') && !argv.includes('-h'))
      return await cmdBenchPolicy(argv.slice(2), out, err);
    if (argv[0] === 'ui' && !argv.includes('--help') && !argv.includes('-h'))
      return await cmdUi(argv.slice(1), out, err);
    const f = parseFlags(argv);
    const cmd = f.positional[0];
    if (f.bools.has('--version')) {
      out('podnet 0.1.0');
      return 0;
    }
    if (f.bools.has('--help') || f.bools.has('-h') || cmd === 'help') {
      out(USAGE);
      return 0;
    }
    if (cmd === 'run' || cmd === 'trace' || cmd === 'exec' || cmd === 'demo') checkFlags(f, cmd);
    if (cmd === 'bench' && (f.positional[1] === 'cluster' || f.positional[1] === 'bgp'))
      checkFlags(f, `bench ${f.positional[1]}`);
    switch (cmd) {
      case 'run':
        return await cmdRun(f, out, err);
      case 'trace':
        return cmdTrace(f, out);
      case 'exec':
        return await cmdExec(f, out, err, write);
      case 'demo':
        return await cmdDemo(f, out, err);
      case 'bench':
        return await cmdBench(f, out, err);
      case undefined:
        throw new UsageError('no command given');
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
    }
  } catch (e) {
    if (
      e instanceof UsageError ||
      e instanceof GetUsageError ||
      e instanceof ServeUsageError ||
      e instanceof UpUsageError ||
      e instanceof PolicyUsageError ||
      e instanceof UiUsageError
    ) {
      err(`podnet: ${e.message}\n\n${usageOf(argv)}`);
      return 2;
    }
    if (
      e instanceof LabFileError ||
      e instanceof LabBuildError ||
      e instanceof DemoInputError ||
      e instanceof PolicyFileError
    ) {
      err(e.message);
      return 2;
    }
    // bench bgp: a cluster that did not converge (or did not have the sessions it was configured with)
    if (e instanceof BgpScaleError) {
      err(`podnet: ${e.message}`);
      return 1;
    }
    // --datastore etcd:// that does not answer (or fails mid-way)
    if (e instanceof DatastoreError) {
      err(`podnet: datastore: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => '  ' + l)
    .join('\n');
}
