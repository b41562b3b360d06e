/**
 * `iptables -L` and `-S` on a small ruleset, each expected line copied from the real iptables v1.8.9
 * (nf_tables) listing the same rules in a network namespace (test/iptables-list-kernel.test.ts compares
 * whole listings against the real tool where namespaces exist), and podnet's own refusals.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIptablesSave } from './iptables-restore.js';
import { iptablesCommand } from './iptables-list.js';
import fc from 'fast-check';

const RULES = [
  '*filter',
  ':INPUT ACCEPT [123456:98765432]',
  ':FORWARD DROP [5:300]',
  ':OUTPUT ACCEPT [0:0]',
  ':TEST - [0:0]',
  '[1:60] -A INPUT -s 10.0.0.0/8 -d 192.168.1.1/32 -p tcp -m tcp --dport 80 -j ACCEPT',
  '[99999:1500000] -A INPUT ! -s 10.1.0.0/16 ! -d 10.2.0.0/16 ! -p udp -j TEST',
  '[0:0] -A INPUT -p tcp -m comment --comment "a b" -m tcp --sport 1 --dport 2 -g TEST',
  '[0:0] -A INPUT -j MARK --set-xmark 0x0/0x1',
  '[0:0] -A INPUT -j MARK --set-xmark 0x4000/0x0',
  '[0:0] -A FORWARD ! -i eth0 ! -o eth1+ -p tcp -m tcp ! --dport 22 -j REJECT --reject-with icmp-port-unreachable',
  '[0:0] -A TEST -j RETURN',
  'COMMIT',
  '',
].join('\n');

function ruleset() {
  const p = parseIptablesSave(RULES);
  assert.ok(p.ok);
  return p.ruleset;
}

test('-L -n -v: counters in K and M, negations, goto before the matches, the target text after them', () => {
  const r = iptablesCommand(ruleset(), ['-L', 'INPUT', '-n', '-v']);
  assert.equal(r.status, 0);
  assert.equal(
    r.stdout,
    [
      'Chain INPUT (policy ACCEPT 123K packets, 99M bytes)',
      ' pkts bytes target     prot opt in     out     source               destination         ',
      '    1    60 ACCEPT     6    --  *      *       10.0.0.0/8           192.168.1.1          tcp dpt:80',
      '99999 1500K TEST      !17   --  *      *      !10.1.0.0/16         !10.2.0.0/16         ',
      '    0     0 TEST       6    --  *      *       0.0.0.0/0            0.0.0.0/0           [goto]  /* a b */ tcp spt:1 dpt:2',
      '    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK and 0xfffffffe',
      '    0     0 MARK       0    --  *      *       0.0.0.0/0            0.0.0.0/0            MARK xor 0x4000',
      '',
    ].join('\n'),
  );
});

test('-nvxL --line-numbers on one chain, interfaces negated; a user chain counts its references', () => {
  const fwd = iptablesCommand(ruleset(), ['-nvxL', 'FORWARD', '--line-numbers']);
  assert.equal(
    fwd.stdout,
    [
      'Chain FORWARD (policy DROP 5 packets, 300 bytes)',
      'num      pkts      bytes target     prot opt in     out     source               destination         ',
      '1           0        0 REJECT     6    --  !eth0  !eth1+  0.0.0.0/0            0.0.0.0/0            tcp dpt:!22 reject-with icmp-port-unreachable',
      '',
    ].join('\n'),
  );
  const test_ = iptablesCommand(ruleset(), ['-LTEST', '-n']);
  assert.equal(
    test_.stdout,
    [
      'Chain TEST (2 references)',
      'target     prot opt source               destination         ',
      'RETURN     0    --  0.0.0.0/0            0.0.0.0/0           ',
      '',
    ].join('\n'),
  );
});

test('-S prints policies, new chains and the rules; with -v the counters stand before the target', () => {
  const r = iptablesCommand(ruleset(), ['-S', 'INPUT', '2', '-v']);
  assert.equal(r.stdout, '-A INPUT ! -s 10.1.0.0/16 ! -d 10.2.0.0/16 ! -p udp -c 99999 1500000 -j TEST\n');
  const all = iptablesCommand(ruleset(), ['-S']).stdout.split('\n');
  assert.deepEqual(all.slice(0, 4), ['-P INPUT ACCEPT', '-P FORWARD DROP', '-P OUTPUT ACCEPT', '-N TEST']);
});

test("the real tool's errors, and podnet's refusals: changing rules, and names looked up without -n", () => {
  const rs = ruleset();
  assert.deepEqual(iptablesCommand(rs, ['-L', 'NOPE', '-n']), {
    status: 1,
    stdout: '',
    stderr: "iptables v1.8.9 (nf_tables): chain `NOPE' in table `filter' is incompatible, use 'nft' tool.\n",
  });
  assert.equal(iptablesCommand(rs, ['-t', 'bogus', '-L', '-n']).status, 3);
  assert.match(iptablesCommand(rs, ['-L', '-S']).stderr, /^iptables v1\.8\.9 \(nf_tables\): Cannot use -S with -L\n/);
  for (const args of [['-A', 'INPUT', '-j', 'ACCEPT'], ['-F'], ['--delete-chain', 'TEST']]) {
    const r = iptablesCommand(rs, args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /^podnet: iptables \S+ is not emulated: podnet's iptables lists rules \(-L, -S\)/);
  }
  const names = iptablesCommand(rs, ['-L']);
  assert.equal(names.status, 2);
  assert.match(names.stderr, /without -n looks names up .* which podnet does not emulate: use iptables -L -n/);
});

test('any arguments give an answer, never an exception: a listing, or an error with the status iptables uses', () => {
  const rs = ruleset();
  const words = [
    '-L',
    '-S',
    '-n',
    '-v',
    '-x',
    '-nvL',
    '-t',
    'nat',
    'filter',
    'bogus',
    'INPUT',
    'TEST',
    '2',
    '0',
    'x',
    '--line-numbers',
    '--list',
    '-A',
    '--frob',
    '-',
    '!',
  ];
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.constantFrom(...words), fc.string({ maxLength: 6 })), { maxLength: 8 }),
      (args) => {
        const r = iptablesCommand(rs, args);
        assert.ok([0, 1, 2, 3].includes(r.status), `${JSON.stringify(args)}: status ${r.status}`);
        assert.ok(r.status === 0 ? r.stderr === '' : r.stderr !== '' && r.stdout === '', JSON.stringify(args));
      },
    ),
    { numRuns: 2000 },
  );
});
