/**
 * Bounded runs, end to end: the switch-loop lab through the real `podnet` program (exit 1 within seconds,
 * the storm message, bounded memory), `trace` on it terminating, both step budgets ending a step with a
 * message naming them, and the recording cap saying what it left out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLab } from '../src/scenario/lab.js';
import { runLab } from '../src/scenario/run.js';
import { RecordingCap } from '../src/observe/recorder.js';
import { EXAMPLES_DIR, loadExample } from './support/examples.js';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../src/cli/bin.js');
const LOOP = join(EXAMPLES_DIR, 'switch-loop.yaml');

function podnet(...args: string[]): { code: number | null; out: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--max-old-space-size=512', BIN, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 256 * 2 ** 20,
  });
  return { code: r.status, out: r.stdout + r.stderr, ms: performance.now() - t0 };
}

test('podnet run on the switch loop exits 1 within seconds, naming the storm and the loop', () => {
  // a 512 MB heap limit: if recording were unbounded, V8 would abort (exit 134) instead
  const r = podnet('run', LOOP);
  assert.equal(r.code, 1, r.out);
  assert.match(
    r.out,
    /step 1 \(A pings B; .*\) stopped: broadcast storm: frame ARP request 02:00:00:00:00:0a -> ff:ff:ff:ff:ff:ff .*crossed sw1:p2 -> sw2:p1 -> sw2:p2 -> sw1:p3 -> sw1:p2 \d+ times/,
  );
  assert.match(r.out, /the switches form a loop \(enable STP\)/);
  assert.match(r.out, /0 passed, 1 failed/);
  assert.ok(r.ms < 30_000, `took ${r.ms} ms`);
});

test('podnet trace on the switch loop terminates with the storm message', () => {
  const r = podnet('trace', LOOP, '--from', 'A', '--to', 'B', '--no-explain');
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /trace stopped: broadcast storm: .* the switches form a loop \(enable STP\)/);
});

test('podnet exec after the loop lab steps reports the storm instead of hanging', () => {
  const r = podnet('exec', LOOP, 'A', '--', 'ping', '-c', '1', 'B');
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /stopped: broadcast storm/);
});

test('--max-events ends the looping step first, naming the event budget; bad values are usage errors', () => {
  const r = podnet('run', LOOP, '--max-events', '5000');
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /step 1 \(.*\) stopped: event budget of 5,000 events exhausted at t=0\.\d+s/);
  assert.equal(podnet('run', LOOP, '--max-sim-time', 'soon').code, 2);
  assert.equal(podnet('run', LOOP, '--max-events', '0').code, 2);
});

const lab = (limits: string, steps: string): string => `apiVersion: podnet.dev/v1alpha1
kind: Lab
metadata: { name: budgets }
spec:
  ${limits}
  nodes:
    - { name: A, kind: host, interfaces: [{ name: eth0, address: 10.0.0.1/24 }] }
    - { name: B, kind: host, interfaces: [{ name: eth0, address: 10.0.0.2/24 }] }
    - { name: sw, kind: switch, ports: [p1, p2] }
  links:
    - { a: "A:eth0", b: "sw:p1" }
    - { a: "B:eth0", b: "sw:p2" }
  steps:
${steps}`;

function parse(text: string): ReturnType<typeof loadExample> {
  const r = parseLab('budgets.yaml', text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.lab;
}

test('the simulated-time budget (spec.limits.maxSimTime) stops a step that is still busy, and later steps do not run', () => {
  // 5 pings one second apart need 4 s; the budget is 2 s
  const spec = parse(
    lab(
      'limits: { maxSimTime: 2s }',
      `    - { ping: { from: A, to: B, count: 5 }, expect: { received: 5 } }
    - { ping: { from: B, to: A, count: 1 }, expect: { received: 1 } }
`,
    ),
  );
  const r = runLab(spec);
  assert.equal(r.ok, false);
  assert.equal(r.steps.length, 1);
  assert.deepEqual(r.notRun, ['ping B -> A']);
  assert.match(
    r.steps[0]!.failures.join('\n'),
    /^step 1 \(ping A -> B\) stopped: simulated-time budget of 2s exhausted at t=2s with events still pending/,
  );
  // the same lab within budget passes: the budget, not the lab, failed it
  assert.ok(runLab(spec, { budgets: { maxSimTime: 10_000_000_000 } }).ok);
});

test('the event budget (spec.limits.maxEvents) is per step and exact', () => {
  const spec = parse(
    lab('limits: { maxEvents: 5 }', `    - { ping: { from: A, to: B, count: 1 }, expect: { received: 1 } }\n`),
  );
  const r = runLab(spec);
  assert.match(r.steps[0]!.stopped ?? '', /^step 1 \(ping A -> B\) stopped: event budget of 5 events exhausted/);
  assert.ok(runLab(spec, { budgets: { maxEvents: 1000 } }).ok);
  assert.throws(() => parse(lab('limits: { maxEvents: 0 }', '    - { wait: 1s }\n')));
});

test('recording is capped across the run, with the count of what was left out', () => {
  const spec = parse(
    lab(
      '',
      `    - { ping: { from: A, to: B, count: 3 }, expect: { received: 3 } }
    - { ping: { from: B, to: A, count: 3 }, expect: { received: 3 } }
`,
    ),
  );
  const full = runLab(spec);
  const total = full.steps.reduce((n, s) => n + s.events.length, 0);
  assert.ok(full.steps.every((s) => s.omitted === 0));
  const cap = new RecordingCap(10);
  const capped = runLab(spec, { cap });
  assert.ok(capped.ok, 'checks that need no frames still pass');
  assert.equal(capped.steps[0]!.events.length, 10);
  assert.equal(capped.steps[1]!.events.length, 0);
  assert.equal(capped.steps[0]!.omitted + capped.steps[1]!.omitted, total - 10);
  // 'needed' keeps no notes and no frames when no check needs them
  const needed = runLab(spec, { record: 'needed' });
  assert.ok(needed.ok);
  assert.deepEqual(
    needed.steps.map((s) => s.events.length),
    [0, 0],
  );
});

test('podnet run --verbose says when the recording cap cut a table short', () => {
  // about 12,000 frames before the storm trips, with notes and drops some 40,000 events: over a cap of 20,000
  const r = podnet('run', LOOP, '--verbose', '--max-recorded-events', '20000');
  assert.equal(r.code, 1);
  assert.match(r.out, /recording capped: \d+ more events of this step were not kept/);
});
