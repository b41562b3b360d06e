/**
 * The rule index (rule-index.ts) against the walk it replaces: the same random rulesets and packets go
 * through two netfilters, one walking every rule as the kernel does (useRuleIndex = false) and one through
 * the index, and everything a person could observe must be equal after every packet: each packet's verdict
 * and drop reason (chain and rule number), the mark, every rule's and policy's counters (`iptables-save -c`),
 * the statistic match's random draws and the recent lists. Rules change between packets in every way the
 * code changes them (push, splice, a new array, a new chain in the table), so a stale index would show.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Engine } from '../../sim/engine.js';
import { formatIpv4, type Ipv4 } from '../../wire/addr.js';
import { Netfilter, type NetfilterHost } from './netfilter.js';
import { formatIptablesSave, parseIptablesSave } from './iptables-restore.js';
import { parseRule, tokenize } from './rule-parse.js';
import { MIN_RUN, compiledChain, indexRuns } from './rule-index.js';
import type { Rule, Ruleset } from './rules.js';

/** The addresses rules and packets draw from: few, so that keys collide and runs hold several rules a key. */
const POOL = [0x0a000001, 0x0a000002, 0x0a000003, 0x0a000004, 0x0a000105, 0x0a000106];
const addr = (i: number): string => formatIpv4(POOL[i % POOL.length]!);

/** One generated rule line for chain `c` (no `-A c`). */
function ruleLine(kind: number, a: number, b: number, target: number): string {
  const matches = [
    `-d ${addr(a)}/32`,
    `-s ${addr(a)}/32`,
    `-d ${addr(a)}/32 -p tcp --dport ${80 + (b % 2)}`,
    `-s ${addr(a)}/32 -d ${addr(b)}/32`,
    `-d ${addr(a)}/32 -m mark --mark 0x1/0x1`,
    `-s ${addr(a)}/32 -m conntrack --ctstate NEW`,
    `-d ${addr(a)}/32 -m statistic --mode random --probability 0.5`,
    `-s ${addr(a)}/32 -m recent --name seen --set`,
    // unkeyed: they end a run
    `! -d ${addr(a)}/32`,
    `-d 10.0.0.0/24`,
    `-p udp`,
    `-m recent --name seen --rcheck`,
  ][kind % 12]!;
  const targets = [
    '',
    '-j ACCEPT',
    '-j DROP',
    '-j RETURN',
    '-j MARK --set-xmark 0x1/0x1',
    '-j MARK --set-xmark 0x0/0x1',
    '-j SUB',
    '-g SUB',
    '-j REJECT',
  ];
  return `${matches} ${targets[target % targets.length]!}`.trim();
}

interface RuleSpec {
  kind: number;
  a: number;
  b: number;
  target: number;
}

const ruleArb: fc.Arbitrary<RuleSpec> = fc.record({
  // keyed kinds (0-7) weigh more, so runs of MIN_RUN and longer are common
  kind: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 7 }) }, fc.integer({ min: 8, max: 11 })),
  a: fc.nat(POOL.length - 1),
  b: fc.nat(POOL.length - 1),
  target: fc.nat(8),
});

function ruleset(main: RuleSpec[], sub: RuleSpec[]): Ruleset {
  const text = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':IDX - [0:0]',
    ':SUB - [0:0]',
    '-A FORWARD -j IDX',
    '-A FORWARD -m mark --mark 0x1/0x1 -j ACCEPT',
    ...main.map((r) => `-A IDX ${ruleLine(r.kind, r.a, r.b, r.target)}`),
    // SUB never jumps (no loops); its own jumps become ACCEPT
    ...sub.map((r) => `-A SUB ${ruleLine(r.kind, r.a, r.b, r.target).replace(/-[jg] SUB/, '-j ACCEPT')}`),
    'COMMIT',
    '',
  ].join('\n');
  const r = parseIptablesSave(text);
  assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.errors));
  return r.ruleset;
}

function parsed(spec: RuleSpec): Rule {
  const line = ruleLine(spec.kind, spec.a, spec.b, spec.target);
  const r = parseRule(tokenize(line)!, line, 'filter');
  if (typeof r === 'string') assert.fail(r);
  return r;
}

/** A netfilter on a stub node that records its drops and answers. */
function netfilter(rs: Ruleset, indexed: boolean): { nf: Netfilter; log: string[] } {
  const log: string[] = [];
  const engine = new Engine(7);
  const host: NetfilterHost = {
    name: 'g',
    engine,
    isLocal: () => false,
    masqueradeAddress: () => undefined,
    note: () => {},
    drop: (reason, _f, _p, detail) => log.push(`drop ${reason}: ${detail}`),
    reject: (_f, _l, _d, type, code) => log.push(`reject ${type}/${code}`),
    resetTcp: () => log.push('reset'),
  };
  const nf = new Netfilter(host, rs);
  nf.useRuleIndex = indexed;
  return { nf, log };
}

interface PacketSpec {
  src: number;
  dst: number;
  tcp: boolean;
  sport: number;
  dport: number;
  flags: number;
}

const packetArb: fc.Arbitrary<PacketSpec> = fc.record({
  src: fc.nat(POOL.length - 1),
  dst: fc.nat(POOL.length - 1),
  tcp: fc.boolean(),
  sport: fc.constantFrom(1000, 1001, 80),
  dport: fc.constantFrom(80, 81, 1000),
  flags: fc.constantFrom(0x02, 0x12, 0x10),
});

/** Ethernet + IPv4 + the first 20 bytes of TCP or 8 of UDP; checksums do not matter to the filter table. */
function frame(p: PacketSpec): { frame: Uint8Array; ipLen: number } {
  const l4 = p.tcp ? 20 : 8;
  const f = new Uint8Array(14 + 20 + l4);
  f[12] = 0x08;
  const ip = (o: number, v: Ipv4): void => {
    f[o] = v >>> 24;
    f[o + 1] = (v >>> 16) & 0xff;
    f[o + 2] = (v >>> 8) & 0xff;
    f[o + 3] = v & 0xff;
  };
  f[14] = 0x45;
  f[16] = 0;
  f[17] = 20 + l4;
  f[22] = 64;
  f[23] = p.tcp ? 6 : 17;
  ip(26, POOL[p.src]!);
  ip(30, POOL[p.dst]!);
  f[34] = p.sport >> 8;
  f[35] = p.sport & 0xff;
  f[36] = p.dport >> 8;
  f[37] = p.dport & 0xff;
  if (p.tcp) {
    f[46] = 0x50;
    f[47] = p.flags;
  }
  return { frame: f, ipLen: 20 + l4 };
}

/** Sends `p` through PREROUTING and FORWARD: the verdict and the mark it left. */
function forward(nf: Netfilter, p: PacketSpec): string {
  const { frame: f, ipLen } = frame(p);
  const ctx = nf.prerouting(f, ipLen, 'eth0');
  if (ctx === undefined) return 'gone';
  const ok = nf.forward(f, ipLen, ctx, 'eth0', 'eth1');
  if (ok) nf.postrouting(f, ipLen, ctx, 'eth1');
  return `${ok ? 'pass' : 'stop'} mark=${ctx.mark}`;
}

/** A change both netfilters undergo between packets. */
type Change =
  | { kind: 'push'; rule: RuleSpec }
  | { kind: 'insert'; at: number; rule: RuleSpec }
  | { kind: 'delete'; at: number }
  | { kind: 'replace'; rules: RuleSpec[] }
  | { kind: 'retarget' };

const changeArb: fc.Arbitrary<Change> = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), rule: ruleArb }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(40), rule: ruleArb }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(40) }),
  fc.record({ kind: fc.constant('replace' as const), rules: fc.array(ruleArb, { maxLength: 30 }) }),
  fc.constant({ kind: 'retarget' as const }),
);

/** Applies `c` to `nf`'s IDX chain the way the code changes chains (array methods, a new array, a new chain). */
function change(nf: Netfilter, c: Change): void {
  const filter = nf.ruleset.filter;
  const idx = filter.get('IDX')!;
  switch (c.kind) {
    case 'push':
      idx.rules.push(parsed(c.rule));
      return;
    case 'insert':
      idx.rules.splice(Math.min(c.at, idx.rules.length), 0, parsed(c.rule));
      return;
    case 'delete':
      if (idx.rules.length > 0) idx.rules.splice(c.at % idx.rules.length, 1);
      return;
    case 'replace':
      idx.rules = c.rules.map(parsed);
      return;
    case 'retarget': {
      // SUB becomes a new chain object that drops everything: jumps must follow the table, not the old chain
      const old = filter.get('SUB')!;
      const line = '-j DROP';
      const r = parseRule(tokenize(line)!, line, 'filter');
      assert.ok(typeof r !== 'string');
      filter.set('SUB', { ...old, rules: [r] });
      return;
    }
  }
}

type Step = { packet: PacketSpec } | { change: Change };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: packetArb.map((packet) => ({ packet })) },
  { weight: 1, arbitrary: changeArb.map((c) => ({ change: c })) },
);

describe('netfilter rule index', () => {
  it('finds the runs of exact-address rules, by destination and else by source, in rule order', () => {
    const lines = [
      '-p udp -j ACCEPT',
      ...Array.from({ length: MIN_RUN }, (_, i) =>
        i % 2 === 0 ? `-d ${addr(i % 3)}/32` : `-s ${addr(1)}/32 -d 10.0.0.0/24`,
      ),
      '! -d 10.0.0.1/32',
      '-d 10.0.0.1/32',
    ];
    const rules = lines.map((l) => {
      const r = parseRule(tokenize(l)!, l, 'filter');
      assert.ok(typeof r !== 'string');
      return r;
    });
    const runAt = indexRuns(rules);
    assert.equal(runAt[0], undefined);
    const run = runAt[1]!;
    assert.deepEqual([run.start, run.end], [1, 1 + MIN_RUN]);
    assert.deepEqual(
      [...run.byDst.entries()],
      [
        [0x0a000001, [1, 7]],
        [0x0a000003, [3]],
        [0x0a000002, [5]],
      ],
    );
    assert.deepEqual([...run.bySrc.entries()], [[0x0a000002, [2, 4, 6, 8]]]);
    // a negated address ends the run; a lone keyed rule after it is too short to index
    assert.equal(runAt[9], undefined);
    assert.equal(runAt[10], undefined);
  });

  it('follows changes to the rules and the table it was built from', () => {
    const rs = ruleset(
      Array.from({ length: 10 }, (_, i) => ({ kind: 0, a: i, b: 0, target: 1 })),
      [],
    );
    const filter = rs.filter;
    const idx = filter.get('IDX')!;
    const first = compiledChain(idx, filter);
    assert.equal(compiledChain(idx, filter), first, 'unchanged rules keep their compiled form');
    idx.rules.push(parsed({ kind: 0, a: 1, b: 0, target: 2 }));
    const second = compiledChain(idx, filter);
    assert.notEqual(second, first);
    assert.equal(second.rules.length, 11);
    assert.deepEqual(second.runAt[0]!.byDst.get(POOL[1]!), [1, 7, 10]);
    assert.equal(JSON.stringify(idx.rules), JSON.stringify([...idx.rules]), 'the watched array reads as any array');
    assert.deepEqual(Object.keys(idx.rules), [...idx.rules.keys()].map(String));
    // a jump's chain is resolved again when the table changes
    const jumping = filter.get('FORWARD')!;
    const before = compiledChain(jumping, filter).rules[0]!.jump;
    assert.equal(before, idx);
    filter.set('IDX', { ...idx, rules: [] });
    assert.equal(compiledChain(jumping, filter).rules[0]!.jump, filter.get('IDX'));
  });

  it('gives the linear walk’s verdicts, drop reasons, marks, counters, draws and recent lists (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { minLength: MIN_RUN, maxLength: 48 }),
        fc.array(ruleArb, { maxLength: 6 }),
        fc.array(stepArb, { minLength: 1, maxLength: 40 }),
        (main, sub, steps) => {
          const linear = netfilter(ruleset(main, sub), false);
          const indexed = netfilter(ruleset(main, sub), true);
          for (const s of steps) {
            if ('change' in s) {
              change(linear.nf, s.change);
              change(indexed.nf, s.change);
              continue;
            }
            assert.equal(forward(indexed.nf, s.packet), forward(linear.nf, s.packet));
            assert.deepEqual(indexed.log, linear.log);
            assert.equal(formatIptablesSave(indexed.nf.ruleset), formatIptablesSave(linear.nf.ruleset));
            assert.deepEqual([...indexed.nf.recent], [...linear.nf.recent]);
          }
        },
      ),
      { seed: 20261203, numRuns: 300 },
    );
  });
});
