/**
 * kube-router's rule generator against its source (kube-router v2.6.3, pkg/controllers/netpol, as k3s
 * vendors it from k3s-io/kube-router v2.6.3-k3s1). Name vectors come from kube-router's own tests and from
 * real k3s nodes' iptables-save; the chains' expected rules were written from the functions named beside
 * each case, in the form iptables-save prints (test/kube-router-kernel.test.ts shows the kernel agrees).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKubeRouterSync } from './generator.js';
import {
  egressNamedPortSetName,
  egressRulePodSetName,
  ingressNamedPortSetName,
  ingressRuleIPBlockSetName,
  ingressRulePodSetName,
  networkPolicyChainName,
  podFirewallChainName,
  policyDestinationPodIPSetName,
  policySourcePodIPSetName,
  safeJoin,
} from './names.js';
import { builtinRulesText, ipsetRestoreText, tmpSetName, topLevelJump } from './restore.js';
import { KR_INPUT } from './testing.js';

const sync = generateKubeRouterSync(KR_INPUT);
const rules = (chain: string): string[] => sync.rules.get(chain) ?? [];
const set = (name: string) => sync.ipsets.find((s) => s.name === name);
const POL = (ns: string, name: string) => networkPolicyChainName(ns, name, '1');

describe('kube-router names', () => {
  it('hashes chain and set names as kube-router does (vectors from its tests)', () => {
    // network_policy_controller_test.go "Simple Egress Destination Port": processEgressRules(..., "1", IPv4)
    assert.equal(networkPolicyChainName('nsA', 'simple-egress', '1'), 'KUBE-NWPLCY-C23KD7UE4TAT3Y5M');
    assert.equal(networkPolicyChainName('nsA', 'simple-ingress-egress', '1'), 'KUBE-NWPLCY-IDIX352DRLNY3D23');
    // utils/ipset_test.go: BuildIPSetRestore's temporary set for options "hash:ip yolo things 12345"
    assert.equal(tmpSetName('hash:ip yolo things 12345'), 'TMP-7NOTZDOMLXBX6DAJ');
    assert.match(podFirewallChainName('x', 'a', '1'), /^KUBE-POD-FW-[A-Z2-7]{16}$/);
    assert.notEqual(podFirewallChainName('x', 'a', '1'), podFirewallChainName('x', 'a', '2'));
    assert.match(policySourcePodIPSetName('x', 'p'), /^KUBE-SRC-[A-Z2-7]{16}$/);
    // the selected pods as sources and as destinations hash the same words; only the prefix differs
    assert.equal(policySourcePodIPSetName('x', 'p').slice(9), policyDestinationPodIPSetName('x', 'p').slice(9));
  });

  it('suffixes the comments of the rules ensureTopLevelChains inserts with the uuids real k3s nodes show', () => {
    // iptables-save of k3s nodes in public issue threads: "kube-router netpol - 4IA2OSFRMVNDXBVV" etc.
    assert.equal(
      topLevelJump('INPUT', 'KUBE-ROUTER-INPUT'),
      '-m comment --comment "kube-router netpol - 4IA2OSFRMVNDXBVV" -j KUBE-ROUTER-INPUT',
    );
    assert.match(topLevelJump('FORWARD', 'KUBE-ROUTER-FORWARD'), /TEMCG2JMHZYE7H7T/);
    assert.match(topLevelJump('OUTPUT', 'KUBE-ROUTER-OUTPUT'), /VEAAIY32XVBHCSCY/);
    assert.deepEqual(rules('KUBE-ROUTER-INPUT').slice(1, 3), [
      '-A KUBE-ROUTER-INPUT -p tcp -m comment --comment "allow LOCAL TCP traffic to node ports - LR7XO7NXDBGQJD2M" -m addrtype --dst-type LOCAL -m multiport --dports 30000:32767 -j RETURN',
      '-A KUBE-ROUTER-INPUT -p udp -m comment --comment "allow LOCAL UDP traffic to node ports - 76UCBPIZNGJNWNUZ" -m addrtype --dst-type LOCAL -m multiport --dports 30000:32767 -j RETURN',
    ]);
  });

  it("cuts the NFLOG prefix's namespace/name to 48 characters (safeJoin)", () => {
    assert.equal(safeJoin('x', 'deny'), 'x/deny');
    assert.equal(safeJoin('ns', 'n'.repeat(60)), `ns/${'n'.repeat(45)}`);
    assert.equal(safeJoin('a'.repeat(30), 'b'.repeat(30)), `${'a'.repeat(23)}/${'b'.repeat(23)}`);
  });
});

describe('kube-router pod firewall chains (pod.go syncPodFirewallChains)', () => {
  it("x/a's chain: common rules, LOCAL source, default egress, its three ingress policies last-first, then log, REJECT and marks", () => {
    const fw = podFirewallChainName('x', 'a', '1');
    const A = `-A ${fw}`;
    assert.deepEqual(rules(fw), [
      `${A} -m comment --comment "common bi-directional traffic policy rules" -j KUBE-NWPLCY-COMMON`,
      `${A} -d 10.42.0.2/32 -m comment --comment "rule to permit the traffic traffic to pods when source is the pod\\'s local node" -m addrtype --src-type LOCAL -j ACCEPT`,
      `${A} -s 10.42.0.2/32 -m comment --comment "run through default egress network policy chain" -j KUBE-NWPLCY-DEFAULT`,
      `${A} -d 10.42.0.2/32 -m comment --comment "run through nw policy deny-all" -j ${POL('x', 'deny-all')}`,
      `${A} -d 10.42.0.2/32 -m comment --comment "run through nw policy blocks" -j ${POL('x', 'blocks')}`,
      `${A} -d 10.42.0.2/32 -m comment --comment "run through nw policy allow-b" -j ${POL('x', 'allow-b')}`,
      `${A} -m comment --comment "rule to log dropped traffic POD name:a namespace: x" -m mark ! --mark 0x10000/0x10000 -m limit --limit 10/min --limit-burst 10 -j NFLOG --nflog-group 100`,
      `${A} -m comment --comment "rule to REJECT traffic destined for POD name:a namespace: x" -m mark ! --mark 0x10000/0x10000 -j REJECT --reject-with icmp-port-unreachable`,
      `${A} -j MARK --set-xmark 0x0/0x10000`,
      `${A} -m comment --comment "set mark to ACCEPT traffic that comply to network policies" -j MARK --set-xmark 0x20000/0x20000`,
    ]);
  });

  it('a pod with policies both ways gets no default chain; only local pods get chains', () => {
    const fw = podFirewallChainName('x', 'b', '1');
    assert.equal(rules(fw).filter((r) => r.includes('KUBE-NWPLCY-DEFAULT')).length, 0);
    assert.match(
      rules(fw)[2]!,
      new RegExp(`-s 10\\.42\\.0\\.3/32 .*"run through nw policy egress" -j ${POL('x', 'egress')}$`),
    );
    assert.equal(sync.chains.includes(podFirewallChainName('y', 'b', '1')), false);
    // every policy has its chain on every node
    for (const [ns, n] of [
      ['y', 'both'],
      ['x', 'egress'],
    ] as const)
      assert.ok(sync.chains.includes(POL(ns, n)));
  });

  it('hooks each local pod from the top-level chains by destination and source, routed and bridged', () => {
    const fw = podFirewallChainName('x', 'a', '1');
    const to = `-m comment --comment "rule to jump traffic destined to POD name:a namespace: x to chain ${fw}" -j ${fw}`;
    const from = `-m comment --comment "rule to jump traffic from POD name:a namespace: x to chain ${fw}" -j ${fw}`;
    assert.deepEqual(
      rules('KUBE-ROUTER-FORWARD').filter((r) => r.includes(fw)),
      [
        `-A KUBE-ROUTER-FORWARD -d 10.42.0.2/32 ${to}`,
        `-A KUBE-ROUTER-FORWARD -d 10.42.0.2/32 -m physdev --physdev-is-bridged ${to}`,
        `-A KUBE-ROUTER-FORWARD -s 10.42.0.2/32 ${from}`,
        `-A KUBE-ROUTER-FORWARD -s 10.42.0.2/32 -m physdev --physdev-is-bridged ${from}`,
      ],
    );
    assert.deepEqual(
      rules('KUBE-ROUTER-OUTPUT').filter((r) => r.includes(fw)),
      [`-A KUBE-ROUTER-OUTPUT -d 10.42.0.2/32 ${to}`, `-A KUBE-ROUTER-OUTPUT -s 10.42.0.2/32 ${from}`],
    );
    assert.deepEqual(
      rules('KUBE-ROUTER-INPUT').filter((r) => r.includes(fw)),
      [`-A KUBE-ROUTER-INPUT -s 10.42.0.2/32 ${from}`],
    );
  });
});

describe('kube-router policy chains (policy.go syncNetworkPolicyChains)', () => {
  it('allow-b: a MARK and a RETURN per port, the port range, then the named port on the pods that carry it', () => {
    const chain = POL('x', 'allow-b');
    const src = ingressRulePodSetName('x', 'allow-b', 0);
    const dst = policyDestinationPodIPSetName('x', 'allow-b');
    const named = ingressNamedPortSetName('x', 'allow-b', 0, 0);
    const c =
      '-m comment --comment "rule to ACCEPT traffic from source pods to dest pods selected by policy name allow-b namespace x"';
    assert.deepEqual(rules(chain), [
      `-A ${chain} -p tcp ${c} -m set --match-set ${src} src -m set --match-set ${dst} dst -m tcp --dport 8080:8090 -j MARK --set-xmark 0x10000/0x10000`,
      `-A ${chain} -p tcp ${c} -m set --match-set ${src} src -m set --match-set ${dst} dst -m tcp --dport 8080:8090 -m mark --mark 0x10000/0x10000 -j RETURN`,
      `-A ${chain} -p tcp ${c} -m set --match-set ${src} src -m set --match-set ${named} dst -m tcp --dport 80 -j MARK --set-xmark 0x10000/0x10000`,
      `-A ${chain} -p tcp ${c} -m set --match-set ${src} src -m set --match-set ${named} dst -m tcp --dport 80 -m mark --mark 0x10000/0x10000 -j RETURN`,
      `-A ${chain} -m comment --comment "rule to log dropped traffic" -m limit --limit 10/min --limit-burst 10 -m mark ! --mark 0x10000/0x10000 -j NFLOG --nflog-prefix "DROP by policy x/allow-b" --nflog-group 100`,
    ]);
    // pod=b in every namespace (namespaceSelector {} with podSelector), the named port "http" on x/a only
    // (y/b's http is 8081, but names resolve on the policy's selected pods)
    assert.deepEqual(set(src), {
      name: src,
      type: 'hash:ip',
      entries: [
        ['10.42.0.3', 'timeout', '0'],
        ['10.42.1.3', 'timeout', '0'],
      ],
    });
    assert.deepEqual(set(named)?.entries, [['10.42.0.2', 'timeout', '0']]);
    assert.deepEqual(set(dst)?.entries, [['10.42.0.2', 'timeout', '0']]);
  });

  it('deny-all: only the log rule; ipBlock except becomes nomatch, /0 its two halves', () => {
    assert.equal(rules(POL('x', 'deny-all')).length, 1);
    const blocks = ingressRuleIPBlockSetName('x', 'blocks', 0);
    assert.deepEqual(set(blocks), {
      name: blocks,
      type: 'hash:net',
      entries: [
        ['192.168.0.0/16', 'timeout', '0'],
        ['192.168.1.0/24', 'timeout', '0', 'nomatch'],
        ['0.0.0.0/1', 'timeout', '0'],
        ['128.0.0.0/1', 'timeout', '0'],
        ['10.0.0.0/8', 'timeout', '0', 'nomatch'],
      ],
    });
    assert.match(
      rules(POL('x', 'blocks'))[0]!,
      new RegExp(
        `-p udp -m comment --comment "rule to ACCEPT traffic from specified ipBlocks to dest pods selected by policy name: blocks namespace x" -m set --match-set ${blocks} src -m set --match-set ${policyDestinationPodIPSetName('x', 'blocks')} dst -m udp --dport 53 -j MARK`,
      ),
    );
  });

  it('egress: SCTP to a named port resolved on the destination pods, TCP 443 to anywhere', () => {
    const chain = POL('x', 'egress');
    const me = policySourcePodIPSetName('x', 'egress');
    const named = egressNamedPortSetName('x', 'egress', 0, 0);
    const r = rules(chain);
    assert.equal(r.length, 5);
    assert.match(
      r[0]!,
      new RegExp(
        `^-A ${chain} -p sctp .* -m set --match-set ${me} src -m set --match-set ${named} dst -m sctp --dport 9000 -j MARK`,
      ),
    );
    assert.match(
      r[2]!,
      new RegExp(
        `^-A ${chain} -p tcp -m comment --comment "rule to ACCEPT traffic from source pods to all destinations selected by policy name: egress namespace x" -m set --match-set ${me} src -m tcp --dport 443 -j MARK`,
      ),
    );
    assert.deepEqual(set(named)?.entries, [['10.42.1.4', 'timeout', '0']]);
    assert.deepEqual(set(me)?.entries, [['10.42.0.3', 'timeout', '0']]);
    // the rule's destination pods get their set even though only the named-port set is matched
    assert.deepEqual(set(egressRulePodSetName('x', 'egress', 0))?.entries, [['10.42.1.4', 'timeout', '0']]);
  });

  it('both: ingress from everywhere on every port, and the egress source set with no rule (isolated egress)', () => {
    const r = rules(POL('y', 'both'));
    assert.match(
      r[0]!,
      /-m comment --comment "rule to ACCEPT traffic from all sources to dest pods selected by policy name: both namespace y" -m set --match-set KUBE-DST-\S+ dst -j MARK/,
    );
    assert.equal(r.length, 3);
    assert.deepEqual(set(policySourcePodIPSetName('y', 'both'))?.entries, [['10.42.1.3', 'timeout', '0']]);
  });

  it("a named port's address list is shared by every named port the first pod brought in (grabNamedPortFromPod)", () => {
    const input = {
      ...KR_INPUT,
      pods: [
        {
          namespace: 'x',
          name: 'a',
          ip: '10.42.0.2',
          node: 'n1',
          labels: { pod: 'a' },
          ports: [
            { name: 'http', containerPort: 80, protocol: 'TCP' as const },
            { name: 'metrics', containerPort: 9090, protocol: 'TCP' as const },
          ],
        },
        {
          namespace: 'x',
          name: 'c',
          ip: '10.42.0.4',
          node: 'n1',
          labels: { pod: 'a' },
          ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' as const }],
        },
      ],
      policies: [
        {
          namespace: 'x',
          name: 'metrics',
          podSelector: { matchLabels: { pod: 'a' }, matchExpressions: [] },
          policyTypes: ['Ingress' as const],
          ingress: [{ peers: [], ports: [{ protocol: 'TCP' as const, port: 'metrics' }] }],
          egress: [],
        },
      ],
    };
    const s = generateKubeRouterSync(input);
    // x/c has no metrics port, but its address joined x/a's shared list when its http port was added
    assert.deepEqual(
      s.ipsets.find((x) => x.name === ingressNamedPortSetName('x', 'metrics', 0, 0))?.entries.map((e) => e[0]),
      ['10.42.0.2', '10.42.0.4'],
    );
  });
});

describe('kube-router load texts', () => {
  it('ipset restore: one TMP set per options, filled, swapped into each set and destroyed (BuildIPSetRestore)', () => {
    const t = ipsetRestoreText([
      { name: 'KUBE-DST-A', type: 'hash:ip', entries: [['10.42.0.2', 'timeout', '0']] },
      { name: 'KUBE-SRC-B', type: 'hash:net', entries: [['10.0.0.0/8', 'timeout', '0', 'nomatch']] },
    ]);
    const ip = tmpSetName('hash:ip timeout 0');
    const net = tmpSetName('hash:net timeout 0');
    assert.equal(
      t,
      [
        `create ${ip} hash:ip timeout 0`,
        `flush ${ip}`,
        `add ${ip} 10.42.0.2 timeout 0`,
        'create KUBE-DST-A hash:ip timeout 0',
        `swap ${ip} KUBE-DST-A`,
        `flush ${ip}`,
        `create ${net} hash:net timeout 0`,
        `flush ${net}`,
        `add ${net} 10.0.0.0/8 timeout 0 nomatch`,
        'create KUBE-SRC-B hash:net timeout 0',
        `swap ${net} KUBE-SRC-B`,
        `flush ${net}`,
        ...[ip, net].sort().map((n) => `destroy ${n}`),
        '',
      ].join('\n'),
    );
  });

  it('the jumps go first and the explicit ACCEPT right after the last KUBE rule (k3s fork ensureExplicitAccept)', () => {
    const text = builtinRulesText(
      new Map([
        [
          'FORWARD',
          [
            '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
            '-A FORWARD -j FLANNEL-FWD',
          ],
        ],
      ]),
    );
    const lines = text.split('\n');
    assert.ok(lines.includes(`-I FORWARD 1 ${topLevelJump('FORWARD', 'KUBE-ROUTER-FORWARD')}`));
    // jump (1), KUBE-FORWARD (2), then the ACCEPT at 3, before FLANNEL-FWD
    assert.ok(
      lines.some((l) => l.startsWith('-I FORWARD 3 -m comment --comment "KUBE-ROUTER rule to explicitly ACCEPT')),
    );
    // INPUT has nothing else: the ACCEPT goes right after the jump
    assert.ok(lines.some((l) => l.startsWith('-I INPUT 2 -m comment --comment "KUBE-ROUTER rule')));
  });
});
