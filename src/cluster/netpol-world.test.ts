/**
 * Verdicts in words and the drop explainer, on a small world written by hand: x/a is isolated for ingress
 * by default-deny (no rules) and allow-b (TCP 80 from pods labelled pod=b); y/b is not isolated.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildEthernet, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { buildIpv4 } from '../wire/ipv4.js';
import { parseIpv4 } from '../wire/addr.js';
import type { NetworkPolicy } from './k8s-objects.js';
import { evaluateNetpol, type NetpolPod, type NetpolWorld } from './netpol-eval.js';
import { describeVerdict, endpointAt, policyDropExplainer } from './netpol-world.js';
import { BUILTIN_ORIGIN } from './source-ref.js';

const pod = (namespace: string, name: string, ip: string): NetpolPod => ({
  namespace,
  name,
  labels: { pod: name },
  ip: parseIpv4(ip)!,
  ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
});
const XA = pod('x', 'a', '10.42.0.2');
const YB = pod('y', 'b', '10.42.1.3');
const policy = (name: string, ingress: NetworkPolicy['spec']['ingress']): NetworkPolicy => ({
  kind: 'NetworkPolicy',
  metadata: { name, namespace: 'x', labels: {}, annotations: {} },
  spec: {
    podSelector: { matchLabels: { pod: 'a' }, matchExpressions: [] },
    policyTypes: ['Ingress'],
    ingress,
    egress: [],
  },
  origin: BUILTIN_ORIGIN,
});
const WORLD: NetpolWorld = {
  pods: [XA, YB],
  namespaceLabels: new Map([
    ['x', { 'kubernetes.io/metadata.name': 'x' }],
    ['y', { 'kubernetes.io/metadata.name': 'y' }],
  ]),
  policies: [
    policy('default-deny', []),
    policy('allow-b', [
      {
        peers: [
          {
            podSelector: { matchLabels: { pod: 'b' }, matchExpressions: [] },
            namespaceSelector: { matchLabels: {}, matchExpressions: [] },
          },
        ],
        ports: [{ protocol: 'TCP', port: 80 }],
      },
    ]),
  ],
};

/** An IPv4 frame from `src` to `dst` with protocol `proto` and, for TCP/UDP, destination port `dport`. */
function frame(src: string, dst: string, proto: number, dport: number): Uint8Array {
  const l4 = new Uint8Array(20);
  l4[2] = dport >> 8;
  l4[3] = dport & 0xff;
  const ip = buildIpv4(
    {
      tos: 0,
      id: 1,
      df: true,
      mf: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: proto,
      src: parseIpv4(src)!,
      dst: parseIpv4(dst)!,
      options: new Uint8Array(0),
    },
    l4,
  );
  return buildEthernet({ dst: 0x02_00_00_00_00_01, src: 0x02_00_00_00_00_02, ethertype: ETHERTYPE_IPV4, payload: ip });
}

describe('NetworkPolicy verdicts in words', () => {
  it('a refused connection names the selecting policies, the direction and the peer', () => {
    const v = evaluateNetpol(WORLD, { pod: YB }, { pod: XA }, 81, 'TCP');
    assert.equal(
      describeVerdict(v, { pod: YB }, { pod: XA }, 81, 'TCP'),
      'dropped by default-deny, allow-b in namespace x: x/a is selected for ingress and no rule allows TCP 81 from y/b',
    );
  });

  it('an allowed one names the rule that allows it; an unselected pair says no policy isolates it', () => {
    const v = evaluateNetpol(WORLD, { pod: YB }, { pod: XA }, 80, 'TCP');
    assert.equal(describeVerdict(v, { pod: YB }, { pod: XA }, 80, 'TCP'), 'allowed by x/allow-b rule 1');
    const back = evaluateNetpol(WORLD, { pod: XA }, { pod: YB }, 80, 'TCP');
    assert.equal(describeVerdict(back, { pod: XA }, { pod: YB }, 80, 'TCP'), 'allowed: no policy isolates either pod');
  });

  it('an address outside every pod is named by its address', () => {
    const out = endpointAt(WORLD, parseIpv4('192.0.2.7')!);
    const v = evaluateNetpol(WORLD, out, { pod: XA }, 80, 'TCP');
    assert.match(describeVerdict(v, out, { pod: XA }, 80, 'TCP'), /no rule allows TCP 80 from 192\.0\.2\.7$/);
  });

  it('the explainer speaks only for drops in the enforcer chains, and reads ports from the frame; ICMP needs a rule without ports', () => {
    const explain = policyDropExplainer(
      () => WORLD,
      (c) => c.startsWith('KUBE-POD-FW-'),
    );
    const decided = (chain: string) => ({
      table: 'filter' as const,
      chain,
      number: 3,
      rule: { target: { kind: 'DROP' as const }, text: '', packets: 0, bytes: 0 },
    });
    const syn81 = frame('10.42.1.3', '10.42.0.2', 6, 81);
    assert.equal(explain(syn81, 40, decided('KUBE-FORWARD')), undefined);
    assert.equal(explain(syn81, 40, undefined), undefined);
    assert.match(explain(syn81, 40, decided('KUBE-POD-FW-ABC'))!, /no rule allows TCP 81 from y\/b$/);
    assert.equal(explain(frame('10.42.1.3', '10.42.0.2', 6, 80), 40, decided('KUBE-POD-FW-ABC')), undefined);
    assert.match(
      explain(frame('10.42.1.3', '10.42.0.2', 1, 0), 40, decided('KUBE-POD-FW-ABC'))!,
      /no rule allows ICMP from y\/b$/,
    );
  });
});
