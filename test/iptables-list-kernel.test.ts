/**
 * podnet's `iptables -L` and `-S` against the real iptables (v1.8.9, nf_tables) in network namespaces the
 * test makes: the same rules go into both (podnet's own iptables-restore, and the real one with -c), and
 * for each listing form the real command's output, exit status and error text must be podnet's to the
 * byte. The rules: two hand-written sets covering every match and target podnet reads (counters large
 * enough for K and M), and the rules podnet's own clusters write: the demo cluster's server (kube-proxy,
 * kube-router's policies, ServiceLB) and the Calico cluster with policies (Felix's chains and sets).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetnsSet, requireNetns } from './support/netns.js';
import { requirePeer } from './support/peers.js';
import { EXAMPLES_DIR } from './support/examples.js';
import { FELIX_POLICY_CLUSTER } from './support/felix-policy-cluster.js';
import { loadCluster } from '../src/scenario/manifests.js';
import { formatSpecError } from '../src/scenario/source.js';
import { buildCluster, bringUp } from '../src/cluster/runtime.js';
import { parseIptablesSave } from '../src/net/netfilter/iptables-restore.js';
import { formatIptablesSave } from '../src/net/netfilter/iptables-save.js';
import { iptablesCommand } from '../src/net/netfilter/iptables-list.js';
import { ipsetCommand } from '../src/net/netfilter/ipset.js';
import type { Ruleset } from '../src/net/netfilter/rules.js';

/** Every filter and nat form of the first set, with counters that print as K and M, and chains nobody uses. */
const HAND_1 = `*filter
:INPUT ACCEPT [123456:98765432]
:FORWARD DROP [5:300]
:OUTPUT ACCEPT [0:0]
:TEST - [0:0]
:EMPTY - [0:0]
[1:60] -A INPUT -s 10.0.0.0/8 -d 192.168.1.1/32 -p tcp -m tcp --dport 80 -j ACCEPT
[99999:1500000] -A INPUT ! -s 10.1.0.0/16 ! -d 10.2.0.0/16 ! -p udp -j TEST
[0:0] -A FORWARD -i eth0 -o eth1 -p udp -m udp --sport 53 --dport 1000:2000 -j DROP
[0:0] -A FORWARD ! -i eth0 ! -o eth1+ -p tcp -m tcp ! --dport 22 -j REJECT --reject-with icmp-port-unreachable
[0:0] -A INPUT -p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT
[0:0] -A INPUT -p udp -m multiport ! --sports 53,67 -j ACCEPT
[0:0] -A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
[0:0] -A INPUT -p icmp -m icmp --icmp-type 3/4 -j ACCEPT
[0:0] -A INPUT -m statistic --mode random --probability 0.33333333349 -j TEST
[0:0] -A INPUT -m mark --mark 0x4000/0x4000 -j RETURN
[0:0] -A INPUT -m mark ! --mark 0x1 -j RETURN
[0:0] -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
[0:0] -A INPUT -m state --state NEW -j ACCEPT
[0:0] -A INPUT -m addrtype --src-type LOCAL -j ACCEPT
[0:0] -A INPUT -m addrtype ! --dst-type LOCAL -j ACCEPT
[0:0] -A INPUT -m recent --set --name ssh --mask 255.255.255.255 --rsource -j ACCEPT
[0:0] -A INPUT -m recent --rcheck --seconds 60 --reap --name ssh --mask 255.255.255.255 --rsource -j DROP
[0:0] -A INPUT -m physdev --physdev-is-bridged -j ACCEPT
[0:0] -A INPUT -m physdev ! --physdev-is-bridged -j ACCEPT
[0:0] -A INPUT -j LOG
[0:0] -A INPUT -j NFLOG --nflog-prefix "API: " --nflog-group 1
[0:0] -A INPUT -j NFLOG --nflog-group 2
[0:0] -A INPUT -j MARK --set-xmark 0x1/0xffffffff
[0:0] -A INPUT -j MARK --set-xmark 0x1/0x3
[0:0] -A INPUT -j MARK --set-xmark 0x0/0x1
[0:0] -A INPUT -j MARK --set-xmark 0x4000/0x0
[0:0] -A INPUT -p tcp -m comment --comment "a b" -m tcp --sport 1 --dport 2 -g TEST
[0:0] -A INPUT -j REJECT --reject-with icmp-host-prohibited
[0:0] -A INPUT -p tcp -j REJECT --reject-with tcp-reset
[0:0] -A INPUT -j DROP
[0:0] -A TEST -j RETURN
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
[0:0] -A PREROUTING -d 10.43.0.1/32 -p tcp -m tcp --dport 443 -j DNAT --to-destination 10.0.0.2:6443
[0:0] -A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.2
[0:0] -A POSTROUTING -s 10.42.0.0/16 -j SNAT --to-source 1.2.3.4
[0:0] -A POSTROUTING -p udp -j SNAT --to-source 1.2.3.4:1000-2000 --random-fully
[0:0] -A POSTROUTING -j MASQUERADE
[0:0] -A POSTROUTING -p tcp -j MASQUERADE --to-ports 1000-2000
[0:0] -A POSTROUTING -j MASQUERADE --random-fully
COMMIT
`;

/** The second set: sets, logging, state, addrtype, recent, limit, sctp, quoting, the MARK forms, NAT ports. */
const HAND_2 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
[0:0] -A INPUT -m set ! --match-set x src -j ACCEPT
[0:0] -A INPUT -m set --match-set y dst,dst -j ACCEPT
[0:0] -A INPUT -j NFLOG
[0:0] -A INPUT -j NFLOG --nflog-prefix x
[0:0] -A INPUT -j LOG --log-prefix "hi: "
[0:0] -A INPUT -m state ! --state INVALID,NEW -j ACCEPT
[0:0] -A INPUT -m addrtype --src-type LOCAL --dst-type LOCAL -j ACCEPT
[0:0] -A INPUT -p tcp -m tcp --sport 1000:2000 -j ACCEPT
[0:0] -A INPUT -p udp -m udp ! --dport 53 -j ACCEPT
[0:0] -A INPUT -p icmp -m icmp ! --icmp-type 8 -j ACCEPT
[0:0] -A INPUT -m recent --update --seconds 10 --name a --mask 255.255.255.255 --rsource -j ACCEPT
[0:0] -A INPUT -m recent --remove --name a --mask 255.255.255.255 --rsource -j ACCEPT
[0:0] -A INPUT -m recent ! --rcheck --name a --mask 255.255.255.255 --rsource -j ACCEPT
[0:0] -A INPUT -j REJECT --reject-with icmp-port-unreachable
[0:0] -A INPUT -p tcp -m tcp --dport 80 -m comment --comment x -m mark --mark 0x1/0x1 -j ACCEPT
[0:0] -A INPUT -p sctp -j ACCEPT
[0:0] -A INPUT -s 10.1.2.3/32 -j ACCEPT
[0:0] -A INPUT -m limit --limit 10/min --limit-burst 20 -j NFLOG --nflog-group 3
[0:0] -A INPUT -m limit --limit 5/sec -j LOG
[0:0] -A INPUT -m limit --limit 100/sec -j LOG --log-level 6
[0:0] -A INPUT -p sctp -m sctp --dport 9000 -j ACCEPT
[0:0] -A INPUT -p sctp -m sctp --sport 1:2 -j ACCEPT
[0:0] -A INPUT -p tcp -m multiport --sports 80 -m multiport --dports 90 -j ACCEPT
[0:0] -A INPUT -p udp -m udp --dport 53 -m comment --comment "with \\"quote\\"" -j ACCEPT
[0:0] -A INPUT -j MARK --set-xmark 0x8/0x8
[0:0] -A INPUT -j MARK --set-xmark 0x0/0xfffffff7
[0:0] -A INPUT -j MARK --set-xmark 0x8/0xc
[0:0] -A INPUT -j MARK --set-xmark 0x8/0xffffffff
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
[0:0] -A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.2:80-90
[0:0] -A POSTROUTING -p tcp -j MASQUERADE --to-ports 1000-2000 --random-fully
[0:0] -A POSTROUTING -p tcp -j MASQUERADE --to-ports 1000
COMMIT
`;

/** The listing forms compared: every option podnet's iptables reads, one chain, one rule, and errors. */
const FORMS: string[][] = [
  ['-L', '-n', '-v'],
  ['-L', '-n'],
  ['-nvxL', '--line-numbers'],
  ['-t', 'nat', '-L', '-n', '-v'],
  ['-tnat', '-nL', '--line-numbers'],
  ['-t', 'mangle', '-L', '-n', '-v'],
  ['-S'],
  ['-S', '-v'],
  ['-t', 'nat', '-S'],
  ['-nvL', 'INPUT'],
  ['-L', 'INPUT', '2', '-n', '-v'],
  ['-S', 'INPUT', '1', '-v'],
  ['-L', 'INPUT', '999', '-n'],
  ['--list', 'OUTPUT', '--numeric', '--verbose', '--exact'],
  ['-L', 'NOPE', '-n'],
  ['-t', 'bogus', '-L', '-n'],
  ['-L', 'INPUT', '0', '-n'],
  ['-L', '-S'],
  ['-n'],
];

async function clusterRules(yaml: string, file: string, node: string): Promise<{ rules: string; sets: string }> {
  const loaded = loadCluster([{ file, text: yaml }]);
  assert.ok(loaded.ok, loaded.ok ? '' : loaded.errors.map(formatSpecError).join('\n'));
  const rt = await buildCluster(loaded.cluster.plan);
  bringUp(rt);
  const nf = rt.nodes.get(node)!.stack.netfilter!;
  return { rules: formatIptablesSave(nf.ruleset) + '\n', sets: ipsetCommand(nf.ipsets, nf.ruleset, ['save']).stdout };
}

test('iptables -L and -S print what the real iptables prints for the same rules, byte for byte', async (t) => {
  if (
    !requireNetns(t) ||
    !requirePeer(t, 'iptables', { bin: 'iptables-restore', install: 'apt-get install -y iptables' }) ||
    !requirePeer(t, 'ipset', { bin: 'ipset', install: 'apt-get install -y ipset' })
  )
    return;
  const demo = readFileSync(join(EXAMPLES_DIR, 'cluster-demo.yaml'), 'utf8');
  const cases: { name: string; rules: string; sets: string }[] = [
    { name: 'hand-1', rules: HAND_1, sets: 'create x hash:ip family inet hashsize 1024 maxelem 65536\n' },
    {
      name: 'hand-2',
      rules: HAND_2,
      sets: 'create x hash:ip family inet hashsize 1024 maxelem 65536\ncreate y hash:ip,port family inet hashsize 1024 maxelem 65536\n',
    },
    { name: 'demo-server', ...(await clusterRules(demo, 'cluster-demo.yaml', 'server')) },
    { name: 'felix-policy', ...(await clusterRules(FELIX_POLICY_CLUSTER, 'felix.yaml', 'master')) },
  ];
  const ns = new NetnsSet();
  t.after(() => ns.destroy());
  for (const c of cases) {
    const parsed = parseIptablesSave(c.rules);
    assert.ok(
      parsed.ok,
      `${c.name}: podnet could not read the rules: ${JSON.stringify(parsed.ok ? [] : parsed.errors)}`,
    );
    const ruleset: Ruleset = parsed.ruleset;
    ns.add(c.name);
    const inNs = (cmd: string[], input?: string) =>
      spawnSync('ip', ['netns', 'exec', ns.full(c.name), ...cmd], { input, encoding: 'utf8' });
    const sets = inNs(['ipset', 'restore'], c.sets);
    assert.equal(sets.status, 0, `${c.name}: ipset restore: ${sets.stderr}`);
    const loaded = inNs(['iptables-restore', '-c'], c.rules);
    assert.equal(loaded.status, 0, `${c.name}: iptables-restore: ${loaded.stderr}`);
    // a rule the lists must show, so that an empty listing on both sides cannot pass
    assert.ok(c.rules.split('\n').filter((l) => / -A /.test(l) || l.startsWith('-A ')).length > 10, c.name);
    for (const args of FORMS) {
      const real = inNs(['iptables', ...args]);
      const ours = iptablesCommand(ruleset, args);
      const what = `${c.name}: iptables ${args.join(' ')}`;
      assert.equal(ours.status, real.status, `${what}: exit status`);
      assert.equal(ours.stdout, real.stdout, `${what}: output`);
      assert.equal(ours.stderr, real.stderr, `${what}: error`);
    }
  }
});
