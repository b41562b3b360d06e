/**
 * Every lab under examples/ validates, explains itself in a comment header, and runs with every step's
 * expectations holding. For the notes' two walkthroughs the per-hop rows are checked against the notes'
 * tables, written out by hand here from the notes (not copied from program output):
 * "同一子网通信" (A -> C on one subnet) and "跨物理子网通信" (A -> E across router1 and router2, UDP 88 -> 99).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLab } from '../src/scenario/run.js';
import { traceLab } from '../src/scenario/trace.js';
import type { TraceEvent } from '../src/observe/recorder.js';
import { EXAMPLES_DIR, exampleNames, failureReport, loadExample } from './support/examples.js';

/** The notes write MACs as xx:xx:xx:xx:xx:aa; the labs use the locally administered 02:00:00:00:00:aa. */
const mac = (last: string): string => `02:00:00:00:00:${last}`;
const BROADCAST = 'ff:ff:ff:ff:ff:ff';

test('there are examples, and each opens with a comment saying what it shows', () => {
  const names = exampleNames();
  for (const want of ['two-subnets.yaml', 'same-subnet.yaml', 'hub-vs-switch.yaml', 'vlans.yaml']) {
    assert.ok(names.includes(want), `examples/${want} is missing (found ${names.join(', ')})`);
  }
  for (const n of names) {
    const first = readFileSync(join(EXAMPLES_DIR, n), 'utf8').split('\n')[0] ?? '';
    assert.match(first, /^# \S/, `examples/${n} should start with a comment header`);
  }
});

/**
 * Examples that show a failure on purpose, and the message the failing step must give. switch-loop is the
 * loop without STP: its ping never completes, the storm detector stops it.
 */
const EXPECTED_TO_FAIL: Record<string, RegExp> = {
  'switch-loop.yaml':
    /^step 1 \(.*\) stopped: broadcast storm: frame ARP request 02:00:00:00:00:0a -> ff:ff:ff:ff:ff:ff .* crossed sw1:p2 -> sw2:p1 -> sw2:p2 -> sw1:p3 -> sw1:p2 \d+ times in \d+\.\d ms .*the switches form a loop \(enable STP\)$/,
};

for (const name of exampleNames()) {
  const failure = EXPECTED_TO_FAIL[name];
  if (failure !== undefined) {
    test(`examples/${name}: fails as it should, in milliseconds of simulated time`, () => {
      const r = runLab(loadExample(name));
      assert.equal(r.ok, false);
      const stopped = r.steps.find((s) => s.stopped !== undefined);
      assert.ok(stopped?.stopped !== undefined, `no step was stopped:\n${failureReport(r)}`);
      assert.match(stopped.stopped, failure);
      assert.ok(r.lab.engine.now < 10_000_000, `stopped at t=${r.lab.engine.now} ns`);
    });
    continue;
  }
  test(`examples/${name}: every step passes`, () => {
    const spec = loadExample(name);
    assert.ok(spec.steps.length > 0, 'an example without steps shows nothing');
    for (const s of spec.steps) {
      // traffic and MAC tables are what a person checks; other steps (wait, link changes, routes) just act or print
      const checkable =
        s.action.kind === 'ping' ||
        s.action.kind === 'udp' ||
        (s.action.kind === 'show' && s.action.what === 'mac-table');
      const checks = Object.values(s.expect).filter((v) => v !== undefined).length;
      if (checkable) assert.ok(checks > 0, `step "${s.name}" (${s.action.kind}) expects nothing`);
    }
    const r = runLab(spec);
    assert.equal(r.steps.length, spec.steps.length);
    assert.ok(r.ok, `examples/${name} failed:\n${failureReport(r)}`);
  });
}

/** One frame put on a wire, reduced to the columns of the notes' tables (plus where and TTL). */
interface Row {
  device: string;
  out: string;
  srcMac: string;
  dstMac: string;
  srcIp: string | undefined;
  dstIp: string | undefined;
  srcPort?: number | undefined;
  dstPort?: number | undefined;
  ttl?: number | undefined;
}

function rows(events: TraceEvent[], protocol: string): Row[] {
  return events.flatMap((e) => {
    if (e.kind !== 'frame' || e.frame.protocol !== protocol) return [];
    const f = e.frame;
    const r: Row = {
      device: e.device,
      out: e.outPort,
      srcMac: f.srcMac,
      dstMac: f.dstMac,
      srcIp: f.srcIp,
      dstIp: f.dstIp,
    };
    if (protocol === 'UDP') Object.assign(r, { srcPort: f.srcPort, dstPort: f.dstPort, ttl: f.ttl });
    return [r];
  });
}

test("two-subnets: trace A -> E (UDP 88 -> 99) has the MACs and IPs of the notes' tables at every hop", () => {
  const t = traceLab(loadExample('two-subnets.yaml'), {
    from: 'A',
    to: 'E',
    protocol: 'udp',
    srcPort: 88,
    dstPort: 99,
    afterSteps: false,
    capture: false,
  });
  assert.ok(t.ok, t.ok ? '' : t.error);
  assert.equal(t.delivered, true, 'E got the datagram');
  assert.equal(t.replied, true, 'A got the answer');

  // The notes mislabel E as 10.0.0.6; E sits on the other subnet, 10.0.1.2. IPs and ports never change
  // along the way; the MACs change at every router, and each router takes one off the TTL.
  const go = { srcIp: '10.0.0.2', dstIp: '10.0.1.2', srcPort: 88, dstPort: 99 };
  const back = { srcIp: '10.0.1.2', dstIp: '10.0.0.2', srcPort: 99, dstPort: 88 };
  const expected: Row[] = [
    // 去包, A--->路由1: aa -> ca, on A's wire and again out of sw1 toward router1
    { device: 'A', out: 'eth0', srcMac: mac('aa'), dstMac: mac('ca'), ...go, ttl: 64 },
    { device: 'sw1', out: 'p3', srcMac: mac('aa'), dstMac: mac('ca'), ...go, ttl: 64 },
    // 路由1--->路由2: cb -> cc on the point-to-point link
    { device: 'router1', out: 'eth1', srcMac: mac('cb'), dstMac: mac('cc'), ...go, ttl: 63 },
    // 路由2--->E: cd -> ae, out of router2 and through sw3
    { device: 'router2', out: 'eth0', srcMac: mac('cd'), dstMac: mac('ae'), ...go, ttl: 62 },
    { device: 'sw3', out: 'p1', srcMac: mac('cd'), dstMac: mac('ae'), ...go, ttl: 62 },
    // 回包, E--->路由2: ae -> cd
    { device: 'E', out: 'eth0', srcMac: mac('ae'), dstMac: mac('cd'), ...back, ttl: 64 },
    { device: 'sw3', out: 'p3', srcMac: mac('ae'), dstMac: mac('cd'), ...back, ttl: 64 },
    // 路由2--->路由1: cc -> cb
    { device: 'router2', out: 'eth1', srcMac: mac('cc'), dstMac: mac('cb'), ...back, ttl: 63 },
    // 路由1--->A: ca -> aa
    { device: 'router1', out: 'eth0', srcMac: mac('ca'), dstMac: mac('aa'), ...back, ttl: 62 },
    { device: 'sw1', out: 'p1', srcMac: mac('ca'), dstMac: mac('aa'), ...back, ttl: 62 },
  ];
  assert.deepEqual(rows(t.events, 'UDP'), expected);

  // Before any of that, A asks for its gateway's MAC; router1 answers with the notes' row
  // (src ..:ca, dst ..:aa, 10.0.0.1 -> 10.0.0.2).
  const arp = rows(t.events, 'ARP request');
  assert.deepEqual(arp[0], {
    device: 'A',
    out: 'eth0',
    srcMac: mac('aa'),
    dstMac: BROADCAST,
    srcIp: '10.0.0.2',
    dstIp: '10.0.0.1',
  });
  const replies = rows(t.events, 'ARP reply').filter((r) => r.device === 'router1');
  assert.deepEqual(replies, [
    { device: 'router1', out: 'eth0', srcMac: mac('ca'), dstMac: mac('aa'), srcIp: '10.0.0.1', dstIp: '10.0.0.2' },
  ]);
});

test("same-subnet: trace A -> C follows the notes' three tables (ARP request, ARP reply, data both ways)", () => {
  const t = traceLab(loadExample('same-subnet.yaml'), {
    from: 'A',
    to: 'C',
    protocol: 'udp',
    srcPort: 88,
    dstPort: 99,
    afterSteps: false,
    capture: false,
  });
  assert.ok(t.ok, t.ok ? '' : t.error);
  assert.equal(t.delivered, true);
  assert.equal(t.replied, true);
  // Table 1: A's ARP broadcast, src ..:aa dst ff:ff:ff:ff:ff:ff, 10.0.0.2 asking for 10.0.0.4. sw1 floods
  // it to B (p2) and to sw2 (p4); sw2 floods it to C (p1) and D (p2); nobody else sends a request.
  const who = { srcMac: mac('aa'), dstMac: BROADCAST, srcIp: '10.0.0.2', dstIp: '10.0.0.4' };
  assert.deepEqual(rows(t.events, 'ARP request'), [
    { device: 'A', out: 'eth0', ...who },
    { device: 'sw1', out: 'p2', ...who },
    { device: 'sw1', out: 'p4', ...who },
    { device: 'sw2', out: 'p1', ...who },
    { device: 'sw2', out: 'p2', ...who },
  ]);
  // Table 2: C answers, unicast, src ..:ac dst ..:aa, 10.0.0.4 -> 10.0.0.2; the switches now know A.
  const isAt = { srcMac: mac('ac'), dstMac: mac('aa'), srcIp: '10.0.0.4', dstIp: '10.0.0.2' };
  assert.deepEqual(rows(t.events, 'ARP reply'), [
    { device: 'C', out: 'eth0', ...isAt },
    { device: 'sw2', out: 'p3', ...isAt },
    { device: 'sw1', out: 'p1', ...isAt },
  ]);
  // Table 3: A-->C is aa -> ac, C-->A is ac -> aa; one subnet, so no TTL change and no MAC rewrite.
  const ac = {
    srcMac: mac('aa'),
    dstMac: mac('ac'),
    srcIp: '10.0.0.2',
    dstIp: '10.0.0.4',
    srcPort: 88,
    dstPort: 99,
    ttl: 64,
  };
  const ca = {
    srcMac: mac('ac'),
    dstMac: mac('aa'),
    srcIp: '10.0.0.4',
    dstIp: '10.0.0.2',
    srcPort: 99,
    dstPort: 88,
    ttl: 64,
  };
  assert.deepEqual(rows(t.events, 'UDP'), [
    { device: 'A', out: 'eth0', ...ac },
    { device: 'sw1', out: 'p4', ...ac },
    { device: 'sw2', out: 'p1', ...ac },
    { device: 'C', out: 'eth0', ...ca },
    { device: 'sw2', out: 'p3', ...ca },
    { device: 'sw1', out: 'p1', ...ca },
  ]);
});
