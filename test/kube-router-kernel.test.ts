/**
 * kube-router's generated sets and rules against the real kernel (ipset v7.17, iptables v1.8.9 nf_tables)
 * in a network namespace the test makes: the `ipset restore -exist` text and the filter chains
 * (`iptables-restore --noflush`, then the jumps and explicit ACCEPTs into the built-in chains) are loaded
 * with the real tools and into podnet's model; the real iptables-save must print, line for line, what
 * podnet's prints, and the real `ipset save` must hold the same sets and members. Then `ipset test` and
 * podnet's set lookup must agree on addresses around the ipBlock's nomatch exceptions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { NetnsSet, requireNetns } from './support/netns.js';
import { requirePeer } from './support/peers.js';
import { generateKubeRouterSync } from '../src/control/kube-router/generator.js';
import { builtinRulesText, filterRestoreText, ipsetRestoreText } from '../src/control/kube-router/restore.js';
import { ingressRuleIPBlockSetName } from '../src/control/kube-router/names.js';
import { KR_INPUT } from '../src/control/kube-router/testing.js';
import { parseIptablesSave } from '../src/net/netfilter/iptables-restore.js';
import { emptyRuleset } from '../src/net/netfilter/rules.js';
import { iptablesSave } from '../src/net/netfilter/iptables-save.js';
import { applyIpsetRestore, ipsetCommand, IpsetRegistry } from '../src/net/netfilter/ipset.js';
import { parseIpv4 } from '../src/wire/addr.js';

test("the real kernel loads kube-router's sets and chains and prints them as podnet does", (t) => {
  if (
    !requireNetns(t) ||
    !requirePeer(t, 'iptables', { bin: 'iptables-restore', install: 'apt-get install -y iptables' }) ||
    !requirePeer(t, 'ipset', { bin: 'ipset', install: 'apt-get install -y ipset' })
  )
    return;
  const ns = new NetnsSet();
  t.after(() => ns.destroy());
  ns.add('node');
  const exec = (args: string[], input?: string) =>
    spawnSync('ip', ['netns', 'exec', ns.full('node'), ...args], { input, encoding: 'utf8' });
  const sync = generateKubeRouterSync(KR_INPUT);

  // the sets: real ipset restore -exist, and podnet's
  const setsText = ipsetRestoreText(sync.ipsets);
  const r1 = exec(['ipset', 'restore', '-exist'], setsText);
  assert.equal(r1.status, 0, `real ipset restore: ${r1.stderr}`);
  const reg = new IpsetRegistry(() => 0);
  assert.equal(applyIpsetRestore(reg, setsText, { exist: true }), undefined);

  // the rules: the chains, then what goes into the built-in chains (empty here)
  const ours = emptyRuleset();
  for (const text of [filterRestoreText(sync, []), builtinRulesText(new Map())]) {
    const r = exec(['iptables-restore', '--noflush'], text);
    assert.equal(r.status, 0, `real iptables-restore: ${r.stderr}\n${text}`);
    const p = parseIptablesSave(text, ours, { noflush: true });
    assert.ok(p.ok, JSON.stringify(!p.ok && p.errors));
  }
  const strip = (s: string): string[] => s.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  const real = exec(['iptables-save', '-t', 'filter']);
  assert.equal(real.status, 0, real.stderr);
  assert.deepEqual(strip(iptablesSave(ours, ['-t', 'filter'], 0).stdout), strip(real.stdout));

  // ipset save: the same sets with the same members (a real hash lists members in bucket order, and
  // draws its own initval)
  const norm = (s: string): string[] =>
    s
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => l.replace(/ initval 0x[0-9a-f]+/, ''))
      .sort();
  const realSets = exec(['ipset', 'save']);
  assert.equal(realSets.status, 0, realSets.stderr);
  assert.deepEqual(norm(ipsetCommand(reg, ours, ['save']).stdout), norm(realSets.stdout));
  assert.ok(sync.ipsets.length >= 8, 'the small world makes its sets');

  // nomatch: the longest matching prefix decides, as the kernel's hash:net does
  const blocks = ingressRuleIPBlockSetName('x', 'blocks', 0);
  for (const ip of ['192.168.2.9', '192.168.1.9', '10.1.2.3', '11.0.0.1', '200.1.1.1']) {
    const k = exec(['ipset', 'test', blocks, ip]);
    assert.equal(reg.get(blocks)!.has(parseIpv4(ip)!), k.status === 0, `${ip}: kernel says ${k.stderr.trim()}`);
  }
});
