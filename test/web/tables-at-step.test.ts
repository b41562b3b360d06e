/**
 * The device inspector in steps mode shows the tables at the selected instant, not at the end of the run.
 * examples/two-subnets.yaml: step 1 sends UDP from A to E (10.0.1.2), step 3 pings H (10.0.1.5), both
 * behind router2. router2's neighbour table must hold neither before step 1's frame reaches it, E but not
 * H at the end of step 1, and both from step 3 on; sw1's MAC table is empty at the instant A sends its
 * first frame (the switch has not received it yet) and knows A right after.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handle } from '../../src/web/core/handle.js';
import type { DeviceTable, RunRequest, RunResult } from '../../src/web/core/protocol.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const text = readFileSync(join(root, 'examples', 'two-subnets.yaml'), 'utf8');
const file = 'two-subnets.yaml';
const STEPS: RunRequest = { mode: 'steps' };

async function tablesAt(device: string, time: number, step: number): Promise<DeviceTable[]> {
  const r = (await handle({ id: 2, type: 'tables', text, file, run: STEPS, device, time, step })).msg;
  assert.equal(r.type, 'tables', JSON.stringify(r).slice(0, 300));
  return r.type === 'tables' ? r.tables : [];
}

const table = (ts: DeviceTable[], title: string) => ts.find((t) => t.title.startsWith(title))?.text ?? '';

test("steps mode: a device's tables are the ones at the selected instant, step by step", async () => {
  const ran = (await handle({ id: 1, type: 'run', text, file, run: STEPS })).msg;
  assert.equal(ran.type, 'ran');
  const run: RunResult = (ran as { result: RunResult }).result;
  assert.match(run.steps[0]!.name, /^A sends UDP 88 -> 99 to E/);
  assert.match(run.steps[2]!.name, /^A pings H/);
  const lastOf = (i: number) => run.events[run.steps[i + 1]!.firstEvent - 1]!;
  const first = run.events.find((e) => e.kind === 'frame')!;
  assert.equal(first.device, 'A');

  // the first instant: nothing has reached router2 or sw1 yet
  const atStart = await tablesAt('router2', first.time, 0);
  assert.doesNotMatch(table(atStart, 'ip neigh'), /10\.0\.1\.2 /);
  assert.match((await tablesAt('sw1', first.time, 0))[0]!.text, /^VLAN\s+MAC\s+port\s+age\s*$/m);
  assert.doesNotMatch((await tablesAt('sw1', first.time, 0))[0]!.text, /02:00:00:00:00:aa/);
  // once sw1 has had A's first frame, it knows A on p1
  const sw1Got = run.events.find((e) => e.kind === 'frame' && e.device === 'sw1')!;
  assert.match((await tablesAt('sw1', sw1Got.time, 0))[0]!.text, /02:00:00:00:00:aa\s+p1/);

  // the end of step 1: E resolved, H not yet
  const afterUdp = table(await tablesAt('router2', lastOf(0).time, 0), 'ip neigh');
  assert.match(afterUdp, /^10\.0\.1\.2 dev eth0 lladdr 02:00:00:00:00:ae /m);
  assert.doesNotMatch(afterUdp, /10\.0\.1\.5 /);
  // the end of step 3: H too
  const afterPing = table(await tablesAt('router2', lastOf(2).time, 2), 'ip neigh');
  assert.match(afterPing, /^10\.0\.1\.2 dev eth0 lladdr 02:00:00:00:00:ae /m);
  assert.match(afterPing, /^10\.0\.1\.5 dev eth0 lladdr 02:00:00:00:00:b1 /m);
  // the title says the instant
  assert.match((await tablesAt('router2', lastOf(0).time, 0))[0]!.title, /\(t=\d+\.\d{6}s\)$/);
});
