/**
 * `podnet up`, `exec --real` and `down` on the real kernel (root, network namespaces): a lab is built,
 * the real ping crosses it, a program's output and exit status come through `exec --real` unchanged,
 * `down` removes every namespace and file and may run twice; a lab whose device the kernel cannot make
 * (IP-in-IP without the ipip module) fails with the module's name and leaves nothing behind.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireNetns, listNetns, kernelSupports } from './support/netns.js';
import { requirePeer } from './support/peers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = resolve(ROOT, 'dist/src/cli/bin.js');
const PING = { bin: 'ping', install: 'apt-get install -y iputils-ping' };

/** Runs the podnet binary (exec --real hands its stdio to the program, so a child process is needed). */
function podnet(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('podnet up / exec --real / down', () => {
  it('builds two-subnets, pings across both routers with the real ping, and removes it all', (t) => {
    if (!requireNetns(t) || !requirePeer(t, 'ping', PING)) return;
    const prefix = `pn-${process.pid}-up-`;
    const lab = resolve(ROOT, 'examples/two-subnets.yaml');
    try {
      const up = podnet('up', lab, '--prefix', prefix);
      assert.equal(up.status, 0, up.stderr);
      assert.ok(listNetns().includes(`${prefix}router1`));
      assert.ok(existsSync(`/etc/netns/${prefix}A/hosts`));
      const ping = podnet(
        'exec',
        '--real',
        lab,
        'A',
        '--prefix',
        prefix,
        '--',
        'ping',
        '-n',
        '-c',
        '1',
        '-W',
        '2',
        'H',
      );
      assert.equal(ping.status, 0, ping.stdout + ping.stderr);
      // two routers on the way: TTL 64 arrives as 62
      assert.match(ping.stdout, /^64 bytes from 10\.0\.1\.5: icmp_seq=1 ttl=62 time=/m);
      const route = podnet('exec', '--real', 'two-subnets', 'A', '--prefix', prefix, '--', 'ip', 'route');
      assert.equal(
        route.stdout,
        'default via 10.0.0.1 dev eth0 \n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.2 \n',
      );
      const fails = podnet(
        'exec',
        '--real',
        'two-subnets',
        'A',
        '--prefix',
        prefix,
        '--',
        'sh',
        '-c',
        'echo -n out; exit 3',
      );
      assert.deepEqual([fails.status, fails.stdout], [3, 'out'], 'exit status and output pass through unchanged');
    } finally {
      const down = podnet('down', lab, '--prefix', prefix);
      assert.equal(down.status, 0, down.stderr);
    }
    assert.deepEqual(
      listNetns().filter((n) => n.startsWith(prefix)),
      [],
    );
    assert.ok(!existsSync(`/etc/netns/${prefix}A`));
    const again = podnet('down', lab, '--prefix', prefix);
    assert.equal(again.status, 0);
    assert.match(again.stdout, /was not up/);
  });

  it('a device the kernel cannot make fails with the module named, and up leaves nothing behind', (t) => {
    if (!requireNetns(t)) return;
    if (kernelSupports('ipip').ok) {
      t.skip('this kernel has ipip: the failure path is tested where it does not');
      return;
    }
    const prefix = `pn-${process.pid}-ipip-`;
    const r = podnet('up', resolve(ROOT, 'examples/ipip.yaml'), '--prefix', prefix);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /type ipip .*module ipip is not loaded and cannot be loaded \(modprobe ipip\)/);
    assert.match(r.stderr, /everything podnet up made was removed again/);
    assert.deepEqual(
      listNetns().filter((n) => n.startsWith(prefix)),
      [],
    );
  });
});
