/**
 * Felix's policy chains and ipsets against the real kernel: a two-node Calico cluster with Kubernetes and
 * Calico policies (selectors, a namespace selector, an ipBlock with excepts, a port range, two policies
 * grouped, named ports alone and with a numbered one, a GlobalNetworkPolicy with Deny, Pass, Log, notNets and
 * notPorts) is built; one node's sets
 * (podnet's `ipset save`) go through the real `ipset restore`, and its Felix rules (every cali- chain and
 * Felix's jumps) through the real `iptables-restore`, in a network namespace the test makes. The real
 * `iptables-save` must print those chains line for line as podnet's does, and the real `ipset save` the
 * same sets and members. That proves the text is the form the kernel hands back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { NetnsSet, requireNetns } from './support/netns.js';
import { requirePeer } from './support/peers.js';
import { loadCluster } from '../src/scenario/manifests.js';
import { formatSpecError } from '../src/scenario/source.js';
import { buildCluster, bringUp } from '../src/cluster/runtime.js';
import { saveTable } from '../src/control/cni/iptables.js';
import { ipsetCommand } from '../src/net/netfilter/ipset.js';
import { FELIX_POLICY_CLUSTER as YAML } from './support/felix-policy-cluster.js';

test("real iptables-save and ipset save print Felix's policy chains and sets as podnet does", async (t) => {
  if (
    !requireNetns(t) ||
    !requirePeer(t, 'iptables', { bin: 'iptables-restore', install: 'apt-get install -y iptables' }) ||
    !requirePeer(t, 'ipset', { bin: 'ipset', install: 'apt-get install -y ipset' })
  )
    return;
  const loaded = loadCluster([{ file: 'felix-kernel.yaml', text: YAML }]);
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.map(formatSpecError).join('\n'));
  const rt = await buildCluster(loaded.cluster.plan);
  bringUp(rt);
  const master = rt.nodes.get('master')!.stack;
  const nf = master.netfilter!;

  // the sets: every set Felix made, as podnet's `ipset save` prints them
  const setsText = ipsetCommand(nf.ipsets, nf.ruleset, ['save']).stdout;
  assert.match(setsText, /^create cali40s:\S+ hash:ip family inet hashsize 1024 maxelem 1048576/m);
  // the named ports: `http` on every pod (x/a's 8080, y/a's 80), `dns` over UDP on the pods of any namespace (CoreDNS's 53 too)
  assert.match(setsText, /^add cali40n:\S+ 192\.168\.\S+,tcp:8080$/m);
  assert.match(setsText, /^add cali40n:\S+ 192\.168\.\S+,tcp:80$/m);
  assert.match(setsText, /^add cali40n:\S+ 192\.168\.\S+,udp:5353$/m);
  // Felix's part of the filter table: its chains and its rules in INPUT, FORWARD and OUTPUT
  const ours = saveTable(master, 'filter')
    .split('\n')
    .filter((l) => /^:(INPUT|FORWARD|OUTPUT|cali-)/.test(l) || /^-A (cali-|\S+ .*--comment "cali:)/.test(l));
  assert.ok(ours.some((l) => l.startsWith(':cali-pi-')) && ours.some((l) => l.startsWith(':cali-gi-')));
  assert.ok(ours.some((l) => l.includes('-g cali-tw-')));
  assert.ok(ours.some((l) => / -m set --match-set cali40n:\S+ dst,dst -j MARK/.test(l)));

  const ns = new NetnsSet();
  t.after(() => ns.destroy());
  ns.add('felix');
  const inNs = (cmd: string[], input?: string) =>
    spawnSync('ip', ['netns', 'exec', ns.full('felix'), ...cmd], { input, encoding: 'utf8' });
  // ipset names are global to a network namespace; the test's own namespace keeps them apart from the host's
  const restored = inNs(['ipset', 'restore'], setsText);
  assert.equal(restored.status, 0, `ipset restore: ${restored.stderr}`);
  const loadedRules = inNs(['iptables-restore'], ['*filter', ...ours, 'COMMIT', ''].join('\n'));
  assert.equal(loadedRules.status, 0, `iptables-restore: ${loadedRules.stderr}`);

  const real = inNs(['iptables-save', '-t', 'filter']);
  assert.equal(real.status, 0, real.stderr);
  const realLines = real.stdout
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#') && l !== '*filter' && l !== 'COMMIT');
  assert.deepEqual(realLines, ours);

  // the sets as the kernel lists them: same names, types and members
  const realSets = inNs(['ipset', 'save']);
  assert.equal(realSets.status, 0, realSets.stderr);
  const norm = (text: string): string[] =>
    text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.replace(/ bucketsize \d+ initval 0x[0-9a-f]+$/, ''))
      .sort();
  assert.deepEqual(norm(realSets.stdout), norm(setsText));
});
