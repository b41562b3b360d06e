/**
 * podnet's hash:ip,port sets (src/net/netfilter/ipset.ts, what Felix's named ports use) against the real
 * kernel: one `ipset restore` text, with the initval fixed, goes through the real tool in a network namespace
 * the test makes and through podnet's `applyIpsetRestore`; `ipset save` and `ipset -sorted list` must print
 * the same text, header, memory figure and member order included. Then a rule `-m set --match-set S dst,dst`
 * in the namespace counts the one datagram sent to a member's address and port, and podnet's match agrees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { NetnsSet, requireNetns } from './support/netns.js';
import { requirePeer } from './support/peers.js';
import { applyIpsetRestore, ipsetCommand, IpsetRegistry, setMatchHit } from '../src/net/netfilter/ipset.js';
import { parseIpv4 } from '../src/wire/addr.js';

const RESTORE = [
  'create cali40n:y8TuuFmUHD05e7OHT3RUKn2 hash:ip,port family inet hashsize 1024 maxelem 1048576 bucketsize 12 initval 0x1234abcd',
  'add cali40n:y8TuuFmUHD05e7OHT3RUKn2 127.0.0.1,udp:80',
  'add cali40n:y8TuuFmUHD05e7OHT3RUKn2 10.42.1.2,tcp:8080',
  'add cali40n:y8TuuFmUHD05e7OHT3RUKn2 10.42.0.2,80',
  'add cali40n:y8TuuFmUHD05e7OHT3RUKn2 10.42.0.2,sctp:80',
  'add cali40n:y8TuuFmUHD05e7OHT3RUKn2 10.42.0.2,udp:53',
  'create T hash:ip,port timeout 0 initval 0x00000001',
  'add T 10.42.0.2,tcp:80 timeout 0',
  '',
].join('\n');

test('hash:ip,port: ipset save and -sorted list print what podnet prints, and dst,dst matches the same packet', (t) => {
  if (
    !requireNetns(t) ||
    !requirePeer(t, 'ipset', { bin: 'ipset', install: 'apt-get install -y ipset' }) ||
    !requirePeer(t, 'iptables', { bin: 'iptables', install: 'apt-get install -y iptables' })
  )
    return;
  const ns = new NetnsSet();
  t.after(() => ns.destroy());
  ns.add('sets');
  const inNs = (cmd: string[], input?: string) =>
    spawnSync('ip', ['netns', 'exec', ns.full('sets'), ...cmd], { input, encoding: 'utf8' });
  const restored = inNs(['ipset', 'restore'], RESTORE);
  assert.equal(restored.status, 0, restored.stderr);

  const reg = new IpsetRegistry(() => 0);
  assert.equal(applyIpsetRestore(reg, RESTORE), undefined);
  const ours = (args: string[]): string => ipsetCommand(reg, undefined, args).stdout;
  // the kernel's save is in bucket order: compare it as a set of lines; -sorted list is ordered
  const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
  const realSave = inNs(['ipset', 'save']);
  assert.equal(realSave.status, 0, realSave.stderr);
  assert.deepEqual(lines(realSave.stdout).sort(), lines(ours(['save'])).sort());
  const realList = inNs(['ipset', '-sorted', 'list']);
  assert.equal(realList.status, 0, realList.stderr);
  assert.equal(ours(['-sorted', 'list']), realList.stdout);

  // one UDP datagram 127.0.0.1 -> 127.0.0.1:80 past a dst,dst rule and a src,src rule
  inNs(['ip', 'link', 'set', 'lo', 'up']);
  for (const flags of ['dst,dst', 'src,src'])
    assert.equal(
      inNs([
        'iptables',
        '-A',
        'OUTPUT',
        '-p',
        'udp',
        '-m',
        'set',
        '--match-set',
        'cali40n:y8TuuFmUHD05e7OHT3RUKn2',
        flags,
      ]).status,
      0,
    );
  assert.equal(inNs(['bash', '-c', 'echo x > /dev/udp/127.0.0.1/80']).status, 0);
  const counts = lines(inNs(['iptables', '-L', 'OUTPUT', '-v', '-n', '-x']).stdout)
    .slice(2)
    .map((l) => Number(l.trim().split(/\s+/)[0]));
  const frame = new Uint8Array(14 + 28);
  frame.set([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1, 0x9c, 0x40, 0, 80], 14);
  const lo = parseIpv4('127.0.0.1')!;
  const set = reg.get('cali40n:y8TuuFmUHD05e7OHT3RUKn2');
  const podnet = [['dst', 'dst'] as const, ['src', 'src'] as const].map((f) =>
    setMatchHit(set, f, lo, lo, frame, 14) ? 1 : 0,
  );
  assert.deepEqual(counts, [1, 0], 'the kernel: dst,dst matched, src,src (a random source port) did not');
  assert.deepEqual(podnet, counts);
});
