/**
 * kube-router's work as a user sees it on a node through `podnet exec`: iptables-save shows the jumps from
 * the built-in chains (with the uuids real k3s nodes show), the pod chains and the explicit ACCEPT;
 * `ipset list` shows the policy sets with kube-router's `timeout 0`; curl from a pod the policies refuse
 * fails at once (REJECT), from the allowed pod it gets nginx's page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir } from './support/cli.js';
import { NETPOL_CLUSTER, NETPOL_POLICIES } from '../src/cluster/netpol-kube-router-testing.js';

test("podnet exec shows kube-router's chains and sets on a node, and curl meets the policies", async (t) => {
  const f = join(tempDir(t), 'netpol.yaml');
  writeFileSync(f, NETPOL_CLUSTER + NETPOL_POLICIES);
  const save = await cli('exec', f, 'server', '--', 'iptables-save', '-t', 'filter');
  assert.equal(save.code, 0, save.err);
  const lines = save.out.split('\n');
  const forward = lines.filter((l) => l.startsWith('-A FORWARD '));
  assert.equal(
    forward[0],
    '-A FORWARD -m comment --comment "kube-router netpol - TEMCG2JMHZYE7H7T" -j KUBE-ROUTER-FORWARD',
  );
  assert.ok(
    forward.includes(
      '-A FORWARD -m comment --comment "KUBE-ROUTER rule to explicitly ACCEPT traffic that comply to network policies" -m mark --mark 0x20000/0x20000 -j ACCEPT',
    ),
  );
  // the ACCEPT sits after kube-proxy's KUBE- rules and before flannel's
  const accept = forward.findIndex((l) => l.includes('explicitly ACCEPT'));
  assert.ok(
    forward.slice(accept + 1).every((l) => !l.includes('KUBE')),
    forward.join('\n'),
  );
  assert.ok(
    lines.some((l) =>
      /^-A KUBE-POD-FW-\w{16} .*"rule to REJECT traffic destined for POD name:a-\S+ namespace: x"/.test(l),
    ),
  );
  assert.ok(lines.some((l) => /^-A KUBE-NWPLCY-\w{16} .*--nflog-prefix "DROP by policy x\/allow-b"/.test(l)));

  const sets = await cli('exec', f, 'server', '--', 'ipset', 'list');
  assert.equal(sets.code, 0, sets.err);
  // allow-b's source set: y/b, with kube-router's timeout 0
  assert.match(
    sets.out,
    /Name: KUBE-SRC-\w{16}\nType: hash:ip\n[^]*?timeout 0 bucketsize 12[^]*?Members:\n10\.42\.1\.2 timeout 0/,
  );

  const refused = await cli('exec', f, 'x/c', '--', 'curl', '-sS', '-m', '3', 'http://10.42.0.2/');
  assert.match(refused.out + refused.err, /curl: \(7\) Failed to connect to 10\.42\.0\.2 port 80/);
  const allowed = await cli('exec', f, 'y/b', '--', 'curl', '-sS', '-m', '3', 'http://10.42.0.2/');
  assert.match(allowed.out, /Thank you for using nginx/);
});
