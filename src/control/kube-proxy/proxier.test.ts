/**
 * kube-proxy's rules for a small set of Services, against text built by hand from
 * pkg/proxy/iptables/proxier.go (syncProxyRules and writeServiceToEndpointRules, kubernetes v1.29+), in the
 * form iptables v1.8.9 prints it back (test/kube-proxy-iptables.test.ts loads it into the real tool):
 * a ClusterIP Service with two ready endpoints and one not ready, one with no endpoints (REJECT in filter),
 * a NodePort Service with externalTrafficPolicy Local seen from a node without a local endpoint (DROP), and
 * ClientIP session affinity (-m recent).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCidr, parseIpv4, type Ipv4 } from '../../wire/addr.js';
import { endpointChainName, serviceChainName } from './chain-names.js';
import { generateProxyRules, jumpRulesText, restoreText, savedProbability } from './proxier.js';
import type { ProxyEndpoint, ProxyService } from './types.js';
import { parseIptablesSave } from '../../net/netfilter/iptables-restore.js';
import { proxyEndpoint, proxyPort } from './testing.js';

const ip = (s: string): Ipv4 => parseIpv4(s)!;

const port = proxyPort;
const ep = (addr: string, nodeName: string, ready = true): ProxyEndpoint => proxyEndpoint(addr, nodeName, { ready });

const NODE = { name: 'node1', ip: ip('192.168.56.11') };
const OPTS = { clusterCIDR: parseCidr('10.42.0.0/16')! };
const svc = (n: string, proto = 'tcp'): string => serviceChainName('KUBE-SVC-', n, proto);
const sep = (n: string, e: string, proto = 'tcp'): string => endpointChainName(n, proto, e);

describe('kube-proxy rules', () => {
  it('a ClusterIP Service: capture, masquerade from outside the cluster CIDR, probability chain, hairpin SEPs', () => {
    const services: ProxyService[] = [
      {
        port: port({ service: 'web', clusterIP: ip('10.43.0.20') }),
        // out of order on purpose: kube-proxy sorts endpoints by "ip:port"; the not-ready one is left out
        endpoints: [ep('10.42.1.6', 'node2'), ep('10.42.1.7', 'node2', false), ep('10.42.0.5', 'node1')],
      },
    ];
    const r = generateProxyRules(services, NODE, OPTS);
    const S = svc('default/web:http');
    const E1 = sep('default/web:http', '10.42.0.5:8080');
    const E2 = sep('default/web:http', '10.42.1.6:8080');
    assert.deepEqual(r.nat.chains, [
      'KUBE-MARK-MASQ',
      'KUBE-NODEPORTS',
      'KUBE-POSTROUTING',
      ...[E1, E2].sort(),
      'KUBE-SERVICES',
      S,
    ]);
    const byChain = (c: string): string[] => r.nat.rules.filter((l) => l.startsWith(`-A ${c} `));
    assert.deepEqual(byChain('KUBE-POSTROUTING'), [
      '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]);
    assert.deepEqual(byChain('KUBE-MARK-MASQ'), ['-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000']);
    assert.deepEqual(byChain('KUBE-SERVICES'), [
      `-A KUBE-SERVICES -d 10.43.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j ${S}`,
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    ]);
    assert.deepEqual(byChain(S), [
      `-A ${S} ! -s 10.42.0.0/16 -d 10.43.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ`,
      `-A ${S} -m comment --comment "default/web:http -> 10.42.0.5:8080" -m statistic --mode random --probability 0.50000000000 -j ${E1}`,
      `-A ${S} -m comment --comment "default/web:http -> 10.42.1.6:8080" -j ${E2}`,
    ]);
    assert.deepEqual(byChain(E1), [
      `-A ${E1} -s 10.42.0.5/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ`,
      `-A ${E1} -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.42.0.5:8080`,
    ]);
    assert.deepEqual(r.filter.chains, [
      'KUBE-EXTERNAL-SERVICES',
      'KUBE-FIREWALL',
      'KUBE-FORWARD',
      'KUBE-NODEPORTS',
      'KUBE-PROXY-FIREWALL',
      'KUBE-SERVICES',
    ]);
    assert.deepEqual(r.filter.rules, [
      '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
      '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ]);
  });

  it('probabilities: 1/(n-i) written with %0.10f, printed back from the 31-bit fixed point with %.11f', () => {
    // what iptables v1.8.9 prints for kube-proxy's 0.3333333333, 0.2500000000 and 0.5000000000
    assert.equal(savedProbability(3), '0.33333333349');
    assert.equal(savedProbability(4), '0.25000000000');
    assert.equal(savedProbability(2), '0.50000000000');
  });

  it('no endpoints: no nat chains, REJECT in filter KUBE-SERVICES (and KUBE-EXTERNAL-SERVICES for the NodePort)', () => {
    const r = generateProxyRules(
      [
        {
          port: port({
            service: 'empty',
            portName: '',
            clusterIP: ip('10.43.0.30'),
            nodePort: 30090,
            type: 'NodePort',
          }),
          endpoints: [],
        },
      ],
      NODE,
      OPTS,
    );
    assert.equal(r.nat.chains.filter((c) => c.startsWith('KUBE-SVC-') || c.startsWith('KUBE-SEP-')).length, 0);
    assert.ok(!r.nat.rules.some((l) => l.includes('default/empty')));
    assert.deepEqual(
      r.filter.rules.filter((l) => l.includes('default/empty')),
      [
        '-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/empty has no endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30090 -j REJECT --reject-with icmp-port-unreachable',
        '-A KUBE-SERVICES -d 10.43.0.30/32 -p tcp -m comment --comment "default/empty has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable',
      ],
    );
  });

  it('NodePort with externalTrafficPolicy Local on a node without a local endpoint: EXT keeps pods and the node, DROPs the rest', () => {
    const n = 'default/np:http';
    const r = generateProxyRules(
      [
        {
          port: port({
            service: 'np',
            clusterIP: ip('10.43.0.40'),
            nodePort: 30080,
            type: 'NodePort',
            externalTrafficPolicy: 'Local',
          }),
          endpoints: [ep('10.42.1.6', 'node2')],
        },
      ],
      NODE,
      OPTS,
    );
    const S = svc(n);
    const X = serviceChainName('KUBE-EXT-', n, 'tcp');
    const E = sep(n, '10.42.1.6:8080');
    assert.deepEqual(
      r.nat.rules.filter((l) => l.startsWith(`-A ${X} `) || l.startsWith('-A KUBE-NODEPORTS ')),
      [
        `-A ${X} -s 10.42.0.0/16 -m comment --comment "pod traffic for ${n} external destinations" -j ${S}`,
        `-A ${X} -m comment --comment "masquerade LOCAL traffic for ${n} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
        `-A ${X} -m comment --comment "route LOCAL traffic for ${n} external destinations" -m addrtype --src-type LOCAL -j ${S}`,
        `-A KUBE-NODEPORTS -p tcp -m comment --comment "${n}" -m tcp --dport 30080 -j ${X}`,
      ],
    );
    // no local endpoint: no KUBE-SVL chain, and the NodePort from outside is dropped in filter
    assert.ok(!r.nat.chains.some((c) => c.startsWith('KUBE-SVL-')));
    assert.ok(r.nat.chains.includes(E), 'the ClusterIP still reaches the remote endpoint');
    assert.deepEqual(
      r.filter.rules.filter((l) => l.includes(n)),
      [
        `-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "${n} has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j DROP`,
      ],
    );
    // the node that has it: EXT falls through to KUBE-SVL, which holds only the local endpoint
    const there = generateProxyRules(
      [
        {
          port: port({
            service: 'np',
            clusterIP: ip('10.43.0.40'),
            nodePort: 30080,
            type: 'NodePort',
            externalTrafficPolicy: 'Local',
          }),
          endpoints: [ep('10.42.1.6', 'node2')],
        },
      ],
      { name: 'node2', ip: ip('192.168.56.12') },
      OPTS,
    );
    const L = serviceChainName('KUBE-SVL-', n, 'tcp');
    assert.ok(there.nat.rules.includes(`-A ${X} -j ${L}`));
    assert.ok(there.nat.rules.includes(`-A ${L} -m comment --comment "${n} -> 10.42.1.6:8080" -j ${E}`));
    assert.ok(!there.filter.rules.some((l) => l.includes(n)));
  });

  it('ClientIP affinity: --rcheck rules first in SVC, --set in each SEP', () => {
    const n = 'default/sticky:http';
    const r = generateProxyRules(
      [
        {
          port: port({
            service: 'sticky',
            clusterIP: ip('10.43.0.50'),
            sessionAffinity: 'ClientIP',
            stickyMaxAgeSeconds: 600,
          }),
          endpoints: [ep('10.42.0.5', 'node1'), ep('10.42.1.6', 'node2')],
        },
      ],
      NODE,
      OPTS,
    );
    const S = svc(n);
    const [E1, E2] = [sep(n, '10.42.0.5:8080'), sep(n, '10.42.1.6:8080')];
    assert.deepEqual(r.nat.rules.filter((l) => l.startsWith(`-A ${S} `)).slice(1), [
      `-A ${S} -m comment --comment "${n} -> 10.42.0.5:8080" -m recent --rcheck --seconds 600 --reap --name ${E1} --mask 255.255.255.255 --rsource -j ${E1}`,
      `-A ${S} -m comment --comment "${n} -> 10.42.1.6:8080" -m recent --rcheck --seconds 600 --reap --name ${E2} --mask 255.255.255.255 --rsource -j ${E2}`,
      `-A ${S} -m comment --comment "${n} -> 10.42.0.5:8080" -m statistic --mode random --probability 0.50000000000 -j ${E1}`,
      `-A ${S} -m comment --comment "${n} -> 10.42.1.6:8080" -j ${E2}`,
    ]);
    assert.ok(
      r.nat.rules.includes(
        `-A ${E1} -p tcp -m comment --comment "${n}" -m recent --set --name ${E1} --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.42.0.5:8080`,
      ),
    );
  });

  it('every rule it writes parses (jumps first, then a sync, then a sync that deletes a stale SEP chain)', () => {
    const base = parseIptablesSave(jumpRulesText(), undefined, { noflush: true });
    assert.ok(base.ok, JSON.stringify(!base.ok && base.errors));
    const two = [ep('10.42.0.5', 'node1'), ep('10.42.1.6', 'node2')];
    const first = generateProxyRules(
      [{ port: port({ service: 'web', clusterIP: ip('10.43.0.20'), sessionAffinity: 'ClientIP' }), endpoints: two }],
      NODE,
      OPTS,
    );
    const a = parseIptablesSave(restoreText(first), base.ruleset, { noflush: true });
    assert.ok(a.ok, JSON.stringify(!a.ok && a.errors));
    const gone = sep('default/web:http', '10.42.1.6:8080');
    assert.ok(a.ruleset.nat.has(gone));
    const second = generateProxyRules(
      [{ port: port({ service: 'web', clusterIP: ip('10.43.0.20') }), endpoints: two.slice(0, 1) }],
      NODE,
      OPTS,
    );
    const b = parseIptablesSave(restoreText(second, [gone]), a.ruleset, { noflush: true });
    assert.ok(b.ok, JSON.stringify(!b.ok && b.errors));
    assert.ok(!b.ruleset.nat.has(gone), 'the stale SEP chain is deleted');
    assert.equal(b.ruleset.nat.get('PREROUTING')!.rules.length, 1, 'the jumps are not repeated');
  });
});
