/**
 * `podnet policy matrix|why` and `podnet bench policy` through main(): usage errors (exit 2, with the
 * usage text), the truth-table layout of the Kubernetes e2e suite (truthtable.go PrettyPrint: tabs, "-"
 * in the corner, "." and "X"), the --json lines and their field order, why's report, the bench's JSON.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './main.js';
import { e2eWorldText } from '../scenario/policy-bench.js';
import { denyAllIngressYaml } from '../scenario/policy-bench-testing.js';
import { prettyPrintTruthTable } from '../cluster/policy-matrix-format.js';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    args,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('podnet policy', () => {
  let dir = '';
  let open = '';
  let denied = '';
  let enforced = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'podnet-policy-'));
    open = join(dir, 'open.yaml');
    denied = join(dir, 'denied.yaml');
    writeFileSync(open, e2eWorldText('', { ports: [80], protocols: ['TCP', 'UDP', 'SCTP'] }));
    writeFileSync(denied, e2eWorldText(denyAllIngressYaml('x'), { ports: [80], protocols: ['TCP'], enforce: false }));
    enforced = join(dir, 'enforced.yaml');
    writeFileSync(enforced, e2eWorldText(denyAllIngressYaml('x'), { ports: [80], protocols: ['TCP'] }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('bad command lines exit 2 with the usage text', async () => {
    for (const args of [
      ['policy'],
      ['policy', 'matrix'],
      ['policy', 'nonsense', 'x.yaml'],
      ['policy', 'matrix', 'x.yaml', '--port', '0'],
      ['policy', 'matrix', 'x.yaml', '--protocol', 'ICMP'],
      ['policy', 'matrix', 'x.yaml', '--bogus'],
      ['policy', 'why', 'x.yaml', '--from', 'x/a'],
      ['policy', 'why', 'x.yaml', '--from', 'x/a', '--to', 'x/b:80', '--json'],
      ['bench', 'policy', '--pods', '10'],
      ['bench', 'policy', '--pods', '10', '--policies', '1', '--cni', 'weave'],
    ]) {
      const r = await run(...args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.err, /^podnet: .+\n\n(Usage:|podnet - a byte-accurate network emulator)\n/, args.join(' '));
      // the usage of the command given (policy's two, or bench policy's), or all of it for a subcommand podnet lacks
      assert.match(
        r.err,
        args[0] === 'bench'
          ? /podnet bench policy --pods N/
          : args[1] === 'why'
            ? /podnet policy why CLUSTER\.yaml/
            : /podnet policy matrix CLUSTER\.yaml/,
      );
    }
    const missing = await run('policy', 'matrix', join(dir, 'missing.yaml'));
    assert.equal(missing.code, 2);
    assert.match(missing.err, /cannot read .*missing\.yaml: ENOENT/);
  });

  it("prints each port's matrix as the e2e suite's PrettyPrint; SCTP is said not to be emulated", async () => {
    const r = await run('policy', 'matrix', open);
    assert.equal(r.code, 0, r.err);
    const pods = ['x/a', 'x/b', 'x/c', 'y/a', 'y/b', 'y/c', 'z/a', 'z/b', 'z/c'];
    const table = ['-\t' + pods.join('\t'), ...pods.map((p) => `${p}\t` + Array(9).fill('.').join('\t'))].join('\n');
    const blocks = r.out.split('\n\n');
    assert.deepEqual(blocks.slice(0, 2), [`TCP port 80\n${table}`, `UDP port 80\n${table}`]);
    assert.deepEqual(blocks.slice(2), [
      'SCTP port 80: not emulated (podnet has no SCTP transport), so neither allowed nor denied',
      'not compared: 81 pairs (SCTP is not emulated)\n162 pairs probed, all as the NetworkPolicy judge expects',
    ]);
  });

  it('--json: one pair a line, fields from, to, port, protocol, allowed in that order', async () => {
    const r = await run('policy', 'matrix', open, '--port', '80', '--protocol', 'udp', '--json');
    assert.equal(r.code, 0);
    const lines = r.out.split('\n');
    assert.equal(lines.length, 81);
    assert.equal(lines[1], '{"from": "x/a", "to": "x/b", "port": 80, "protocol": "UDP", "allowed": true}');
    for (const l of lines) {
      const o = JSON.parse(l) as Record<string, unknown>;
      assert.deepEqual(Object.keys(o), ['from', 'to', 'port', 'protocol', 'allowed']);
    }
  });

  it('a policy nothing enforces: the matrix disagrees with the judge and says where (exit 1)', async () => {
    const r = await run('policy', 'matrix', denied);
    assert.equal(r.code, 1);
    assert.match(r.err, /no NetworkPolicy enforcer runs in this cluster/);
    assert.match(r.out, /^24 of 81 pairs disagree with the NetworkPolicy judge:$/m);
    assert.match(
      r.out,
      /^ {2}y\/b -> x\/a TCP 80: probe connected \(allowed\); judge: denied \(dropped by deny-all in namespace x: x\/a is selected for ingress and no rule allows TCP 80 from y\/b\)$/m,
    );
  });

  it("with k3s's controller enforcing deny-all: X into x, except each pod to itself; the judge agrees", async () => {
    const r = await run('policy', 'matrix', enforced);
    assert.equal(r.code, 0, r.out);
    const pods = ['x/a', 'x/b', 'x/c', 'y/a', 'y/b', 'y/c', 'z/a', 'z/b', 'z/c'];
    const rows = pods.map((f) => [f, ...pods.map((t) => (t.startsWith('x/') && t !== f ? 'X' : '.'))].join('\t'));
    assert.equal(
      r.out,
      [
        'TCP port 80',
        ['-', ...pods].join('\t'),
        ...rows,
        '',
        '81 pairs probed, all as the NetworkPolicy judge expects',
      ].join('\n'),
    );
    const why = await run('policy', 'why', enforced, '--from', 'y/b', '--to', 'x/a:80');
    assert.equal(why.code, 0);
    assert.match(why.out, /^probe: connect from port \d+: rejected \(ICMP code 3\)$/m);
    assert.match(
      why.out,
      /^ {2}dropped on node\d: policy: filter FORWARD: REJECT with icmp-port-unreachable by KUBE-POD-FW-\w+ rule \d+ \(".*"\): dropped by deny-all in namespace x: /m,
    );
  });

  it('why: selection per direction, the verdict, the probe', async () => {
    const r = await run('policy', 'why', denied, '--from', 'y/b', '--to', 'x/a:80');
    assert.equal(r.code, 1, 'the probe gets through a policy nothing enforces');
    assert.match(r.out, /^y\/b \(10\.42\.\d+\.\d+\) -> x\/a \(10\.42\.\d+\.\d+\) TCP 80$/m);
    assert.match(r.out, /^egress of y\/b: no policy selects it \(not isolated\)$/m);
    assert.match(r.out, /^ingress of x\/a: selected by x\/deny-all$/m);
    assert.match(r.out, /^verdict: dropped by deny-all in namespace x: /m);
    assert.match(r.out, /^probe: connect from port \d+: connected$/m);
    const self = await run('policy', 'why', denied, '--from', 'x/a', '--to', 'x/a:80');
    assert.equal(self.code, 0);
    assert.match(self.out, /verdict: allowed: a pod's traffic to its own address stays on its lo/);
    const nobody = await run('policy', 'why', denied, '--from', 'x/nope', '--to', 'x/a:80');
    assert.equal(nobody.code, 2);
    assert.match(nobody.err, /--from x\/nope: no pod x\/nope .*has: x\/a, x\/b/);
  });

  it('bench policy --json: pods, policies, rulesPerNode, matrixPairs, wallSeconds first', async () => {
    const r = await run('bench', 'policy', '--pods', '12', '--policies', '0', '--pairs', '40', '--json');
    assert.equal(r.code, 0, r.err);
    const o = JSON.parse(r.out) as Record<string, unknown>;
    assert.deepEqual(Object.keys(o).slice(0, 5), ['pods', 'policies', 'rulesPerNode', 'matrixPairs', 'wallSeconds']);
    assert.equal(o['pods'], 12);
    assert.equal(o['policies'], 0);
    assert.equal(o['matrixPairs'], 40);
    assert.equal(o['allowedPairs'], 40);
    assert.equal(o['disagreements'], 0);
  });
});

describe('the e2e truth table layout', () => {
  it("is truthtable.go PrettyPrint's: indent, tab-separated, '-' in the corner, '.', 'X' and '?'", () => {
    const v: Record<string, boolean> = { 'a>a': true, 'a>b': false, 'b>b': true };
    assert.equal(
      prettyPrintTruthTable(['a', 'b'], ['a', 'b'], (f, t) => v[`${f}>${t}`], '  '),
      '  -\ta\tb\n  a\t.\tX\n  b\t?\t.',
    );
  });
});
