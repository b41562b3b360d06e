/** `birdcl` on a node: the views behind BIRD's command line, its abbreviations and its own errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { birdcl, CALICO_BIRD_SOCKET, type BirdclState } from './birdcl.js';
import { calicoBirdOthers } from './views.js';

const state: BirdclState = {
  dialect: 'calico-bird',
  socket: CALICO_BIRD_SOCKET,
  bgp: [{ name: 'Mesh_172_171_5_96', state: 'Established', since: 3e9 }],
  others: calicoBirdOthers(0),
  routes: [
    { prefix: '192.168.236.0/26', dest: 'blackhole', protocol: 'static1', since: 0, preference: 200, primary: true },
  ],
  clock: { epochMs: Date.UTC(2026, 0, 1, 6, 14, 50), now: 60e9 },
};

test('birdcl -s /var/run/calico/bird.ctl show protocols: the banner, then the table; abbreviations work', () => {
  const want = [
    'BIRD v0.3.3+birdv1.6.8 ready.',
    'name     proto    table    state  since       info',
    'static1  Static   master   up     06:14:50    ',
    'kernel1  Kernel   master   up     06:14:50    ',
    'device1  Device   master   up     06:14:50    ',
    'direct1  Direct   master   up     06:14:50    ',
    'Mesh_172_171_5_96 BGP      master   up     06:14:53    Established   ',
    '',
  ].join('\n');
  assert.deepEqual(birdcl(['-s', CALICO_BIRD_SOCKET, 'show', 'protocols'], state), {
    status: 0,
    stdout: want,
    stderr: '',
  });
  assert.equal(birdcl(['-s', CALICO_BIRD_SOCKET, 'sh', 'pro'], state).stdout, want);
  assert.equal(birdcl(['-s', CALICO_BIRD_SOCKET, 'show protocols'], state).stdout, want);
});

test('birdcl show route', () => {
  assert.equal(
    birdcl(['-s', CALICO_BIRD_SOCKET, 'show', 'route'], state).stdout,
    'BIRD v0.3.3+birdv1.6.8 ready.\n192.168.236.0/26   blackhole [static1 06:14:50] * (200)\n',
  );
});

test("birdcl's own errors: no socket there, a word it does not know; a real command podnet lacks says so", () => {
  assert.deepEqual(birdcl(['show', 'protocols'], state), {
    status: 1,
    stdout: '',
    stderr: 'Unable to connect to server control socket (/var/run/bird.ctl): No such file or directory\n',
  });
  const s = ['-s', CALICO_BIRD_SOCKET];
  // as birdcl 2.0.12 answered `show foo`
  assert.deepEqual(birdcl([...s, 'show', 'foo'], state), {
    status: 1,
    stdout: "BIRD v0.3.3+birdv1.6.8 ready.\nNo such command. Press `?' for help.\n",
    stderr: '',
  });
  assert.equal(birdcl([...s, 'frobnicate'], state).stdout.split('\n')[1], "No such command. Press `?' for help.");
  const r = birdcl([...s, 'disable', 'Mesh_172_171_5_96'], state);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /podnet emulates "show protocols" and "show route \[all\]" only/);
});
