/**
 * kube-proxy's KUBE-FW- chains for spec.loadBalancerSourceRanges, against text built by hand from
 * pkg/proxy/iptables/proxier.go syncProxyRules (kubernetes v1.29+), in the form iptables v1.8.9 prints it back
 * (test/kube-proxy-iptables.test.ts loads the same kind of Service into the real tool):
 * - `usesFWChain := hasEndpoints && len(svcInfo.LoadBalancerVIPs()) > 0 && len(LoadBalancerSourceRanges()) > 0`,
 *   and then `loadBalancerTrafficChain = fwChain`: KUBE-SERVICES sends each load-balancer IP to KUBE-FW-;
 * - "Capture load-balancer ingress": per load-balancer IP, when usesFWChain, a filter rule in
 *   KUBE-PROXY-FIREWALL `"<svc> traffic not accepted by KUBE-FW-..."` `-j DROP`;
 * - "Capture nodeports": "nodeports are not subect to loadBalancerSourceRanges" (NodePort still to KUBE-EXT-);
 * - "Set up firewall chain, if needed": per range `"<svc> loadbalancer IP" -s <cidr> -j KUBE-EXT-`; if a range
 *   holds the node IP (allowFromNode), per load-balancer IP `-s <lbip>` the same; then a rule with only the
 *   comment `"other traffic to <svc> will be dropped by KUBE-PROXY-FIREWALL"`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCidr, parseIpv4, type Ipv4 } from '../../wire/addr.js';
import { serviceChainName } from './chain-names.js';
import { generateProxyRules, jumpRulesText, restoreText } from './proxier.js';
import type { ProxyEndpoint, ProxyService, ProxyServicePort } from './types.js';
import { parseIptablesSave } from '../../net/netfilter/iptables-restore.js';

const ip = (s: string): Ipv4 => parseIpv4(s)!;
const NODE = { name: 'node1', ip: ip('192.168.56.11') };
const OPTS = { clusterCIDR: parseCidr('10.42.0.0/16')! };
const N = 'default/web:http';
const FW = serviceChainName('KUBE-FW-', N, 'tcp');
const EXT = serviceChainName('KUBE-EXT-', N, 'tcp');

function lbService(ranges: string[], endpoints: ProxyEndpoint[]): ProxyService {
  const port: ProxyServicePort = {
    namespace: 'default',
    service: 'web',
    portName: 'http',
    protocol: 'TCP',
    port: 80,
    clusterIP: ip('10.43.0.20'),
    nodePort: 30080,
    type: 'LoadBalancer',
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    sessionAffinity: 'None',
    stickyMaxAgeSeconds: 10800,
    externalIPs: [],
    // ServiceLB's status on a two-node k3s cluster: both node IPs
    loadBalancerIPs: [ip('192.168.56.11'), ip('192.168.56.12')],
    loadBalancerSourceRanges: ranges.map((r) => parseCidr(r)!),
  };
  return { port, endpoints };
}

const ready: ProxyEndpoint = {
  ip: ip('10.42.0.5'),
  port: 8080,
  ready: true,
  serving: true,
  terminating: false,
  nodeName: 'node1',
};

describe('kube-proxy loadBalancerSourceRanges (KUBE-FW- chains)', () => {
  it('two ranges, one holding the node IP: FW chain, KUBE-SERVICES jumps to it, filter drops the rest', () => {
    const r = generateProxyRules([lbService(['192.168.56.0/24', '203.0.113.0/25'], [ready])], NODE, OPTS);
    const fwRules = r.nat.rules.filter((l) => l.startsWith(`-A ${FW} `));
    assert.deepEqual(fwRules, [
      `-A ${FW} -s 192.168.56.0/24 -m comment --comment "${N} loadbalancer IP" -j ${EXT}`,
      `-A ${FW} -s 203.0.113.0/25 -m comment --comment "${N} loadbalancer IP" -j ${EXT}`,
      // allowFromNode: 192.168.56.0/24 holds the node's IP, so each load-balancer IP as a source too
      `-A ${FW} -s 192.168.56.11/32 -m comment --comment "${N} loadbalancer IP" -j ${EXT}`,
      `-A ${FW} -s 192.168.56.12/32 -m comment --comment "${N} loadbalancer IP" -j ${EXT}`,
      `-A ${FW} -m comment --comment "other traffic to ${N} will be dropped by KUBE-PROXY-FIREWALL"`,
    ]);
    assert.ok(r.nat.chains.includes(FW));
    const lbCaptures = r.nat.rules.filter((l) => l.includes('loadbalancer IP') && l.startsWith('-A KUBE-SERVICES'));
    assert.deepEqual(lbCaptures, [
      `-A KUBE-SERVICES -d 192.168.56.11/32 -p tcp -m comment --comment "${N} loadbalancer IP" -m tcp --dport 80 -j ${FW}`,
      `-A KUBE-SERVICES -d 192.168.56.12/32 -p tcp -m comment --comment "${N} loadbalancer IP" -m tcp --dport 80 -j ${FW}`,
    ]);
    assert.deepEqual(
      r.filter.rules.filter((l) => l.startsWith('-A KUBE-PROXY-FIREWALL')),
      ['192.168.56.11', '192.168.56.12'].map(
        (a) =>
          `-A KUBE-PROXY-FIREWALL -d ${a}/32 -p tcp -m comment --comment "${N} traffic not accepted by ${FW}" -m tcp --dport 80 -j DROP`,
      ),
    );
    // the NodePort is not subject to the ranges
    assert.ok(
      r.nat.rules.includes(`-A KUBE-NODEPORTS -p tcp -m comment --comment "${N}" -m tcp --dport 30080 -j ${EXT}`),
    );
  });

  it('ranges that leave the node out: no load-balancer IP source rules', () => {
    const r = generateProxyRules([lbService(['10.0.0.0/8'], [ready])], NODE, OPTS);
    assert.deepEqual(
      r.nat.rules.filter((l) => l.startsWith(`-A ${FW} `)),
      [
        `-A ${FW} -s 10.0.0.0/8 -m comment --comment "${N} loadbalancer IP" -j ${EXT}`,
        `-A ${FW} -m comment --comment "other traffic to ${N} will be dropped by KUBE-PROXY-FIREWALL"`,
      ],
    );
  });

  it('no FW chain without ranges, without load-balancer IPs, or without endpoints (REJECT instead)', () => {
    const none = generateProxyRules([lbService([], [ready])], NODE, OPTS);
    assert.ok(!none.nat.chains.includes(FW));
    assert.ok(none.nat.rules.some((l) => l.includes('-d 192.168.56.11/32') && l.endsWith(`-j ${EXT}`)));
    assert.deepEqual(
      none.filter.rules.filter((l) => l.startsWith('-A KUBE-PROXY-FIREWALL')),
      [],
    );
    const noLb = lbService(['10.0.0.0/8'], [ready]);
    noLb.port.loadBalancerIPs = [];
    assert.ok(!generateProxyRules([noLb], NODE, OPTS).nat.chains.includes(FW));
    const empty = generateProxyRules([lbService(['10.0.0.0/8'], [])], NODE, OPTS);
    assert.ok(!empty.nat.chains.includes(FW));
    assert.deepEqual(
      empty.filter.rules.filter((l) => l.startsWith('-A KUBE-PROXY-FIREWALL')),
      [],
    );
    assert.ok(empty.filter.rules.some((l) => l.includes('-d 192.168.56.11/32') && l.includes('-j REJECT')));
  });

  it('its rules parse after the jumps', () => {
    const base = parseIptablesSave(jumpRulesText(), undefined, { noflush: true });
    assert.ok(base.ok);
    const rules = generateProxyRules([lbService(['192.168.56.0/24', '203.0.113.0/25'], [ready])], NODE, OPTS);
    const a = parseIptablesSave(restoreText(rules), base.ruleset, { noflush: true });
    assert.ok(a.ok, JSON.stringify(!a.ok && a.errors));
    assert.equal(a.ruleset.nat.get(FW)?.rules.length, 5);
  });
});
