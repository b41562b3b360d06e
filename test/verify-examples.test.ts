/**
 * `podnet verify` on every example lab the kernel here can build: each runs its steps in emulation and on
 * the real kernel, and every difference must be one listed below with its reason (found by verify, each
 * checked against the kernel's source or the real tool; see the report of issue 13). A new difference
 * fails the test. Examples the kernel cannot build, or that verify cannot run in the time of a test, are
 * listed with the reason; the test fails if an example is in neither list.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLab } from '../src/scenario/lab.js';
import { verifyLab } from '../src/realtime/real-lab-verify.js';
import type { FrameDiff } from '../src/realtime/real-lab-compare.js';
import { requireNetns } from './support/netns.js';
import { requirePeer } from './support/peers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Examples verify does not run here, and why. */
const NOT_RUN: Record<string, string> = {
  ipip: 'this kernel has no ipip module',
  'router-on-a-stick': 'this kernel has no 8021q module (and its bridge no VLAN filtering for the switch)',
  vlans: "this kernel's bridge has no VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING): RTNETLINK Operation not supported",
  'udp-encap': "flanneld's udp backend needs its userspace agent behind the TUN device; podnet up does not run it",
  'switch-loop':
    'a switching loop without STP is a real broadcast storm on the kernel (podnet stops it; Linux does not)',
  'switch-loop-stp': "35 s of real STP timers (listening, learning): over a test's budget; run podnet verify by hand",
  dns: "the lab's DNS servers run in emulation only; podnet up starts none, so dig has no real peer",
  tools:
    "the lab's DNS and HTTP servers run in emulation only; podnet up starts none, so dig and curl have no real peer (its ping, traceroute and nc texts are checked against the real tools in test/tool-texts.test.ts and src/apps)",
};

/** A known difference: which frames and fields it covers, and why it is there. */
interface Known {
  step?: number;
  label?: RegExp;
  /** Matches the field (the empty string for a frame only one side sent). */
  field?: RegExp;
  why: string;
}

/** Per example, the differences known today. */
const KNOWN: Record<string, Known[]> = {
  'same-subnet': [],
  'hub-vs-switch': [],
  'two-subnets': [],
  'vxlan-mtu': [],
  'vxlan-tenants': [],
  'vxlan-migration': [],
  'vxlan-nat-gateway': [],
};

const known = (lab: string, d: FrameDiff): Known | undefined =>
  (KNOWN[lab] ?? []).find(
    (k) =>
      (k.step === undefined || k.step === d.step) &&
      (k.label === undefined || k.label.test(d.label)) &&
      (k.field === undefined || k.field.test(d.field ?? '')),
  );

const examples = readdirSync(resolve(ROOT, 'examples'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => ({ name: f.replace(/\.yaml$/, ''), text: readFileSync(resolve(ROOT, 'examples', f), 'utf8') }))
  .filter((x) => /^kind: Lab$/m.test(x.text));

describe('podnet verify on the example labs', () => {
  it('every example lab is either verified or listed with the reason it is not', () => {
    for (const x of examples)
      assert.ok(x.name in KNOWN || x.name in NOT_RUN, `examples/${x.name}.yaml is in neither list`);
    for (const name of [...Object.keys(KNOWN), ...Object.keys(NOT_RUN)])
      assert.ok(
        examples.some((x) => x.name === name),
        `${name} is listed but is not an example lab`,
      );
  });

  it('the real kernel and podnet differ only where known', async (t) => {
    if (
      !requireNetns(t) ||
      !requirePeer(t, 'tcpdump', { bin: 'tcpdump', install: 'apt-get install -y tcpdump' }) ||
      !requirePeer(t, 'ping', { bin: 'ping', install: 'apt-get install -y iputils-ping' }) ||
      !requirePeer(t, 'traceroute', { bin: 'traceroute', install: 'apt-get install -y traceroute' }) ||
      !requirePeer(t, 'python3', { bin: 'python3', install: 'apt-get install -y python3' })
    )
      return;
    const run = examples.filter((x) => x.name in KNOWN);
    // the labs mostly wait (ping intervals, timeouts): run side by side, each in its own namespaces
    const results = await Promise.all(
      run.map(async (x) => {
        const r = parseLab(`examples/${x.name}.yaml`, x.text);
        assert.ok(r.ok);
        return { name: x.name, result: await verifyLab(r.lab, { prefix: `pn-${process.pid}-${x.name}-` }) };
      }),
    );
    const unknown: string[] = [];
    for (const { name, result } of results) {
      let used = 0;
      for (const l of result.links)
        for (const d of l.diffs) {
          if (known(name, d) !== undefined) used++;
          else
            unknown.push(
              `${name} ${l.link} step ${d.step} frame ${d.frame} ${d.label}${d.field ? ` ${d.field}` : ''}: real ${d.real}, emulated ${d.emulated}`,
            );
        }
      t.diagnostic(`${name}: ${used} known difference(s); real steps: ${result.realSteps.join('; ')}`);
    }
    assert.deepEqual(unknown, [], `new differences between the kernel and podnet:\n${unknown.join('\n')}`);
  });
});
