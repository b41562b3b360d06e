/**
 * The five places where k3s's kube-router decides otherwise than networking.k8s.io/v1
 * (src/cluster/netpol-kube-router-deviations.ts, from kube-router v2.6.3's pod.go and policy.go), each in its
 * smallest world as the property tests shrank it: x/p0 (server, 10.42.0.2) and x/p1 (agent, 10.42.1.2),
 * probed on TCP 80, TCP 81 and UDP 80. Through Flannel the probes must follow kube-router (and so differ
 * from the v1 judge on exactly the pairs named); through Calico, Felix must follow v1.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { disagreements } from './netpol-e2e/prop-datapath.js';
import type { GenWorld, GenPolicy } from './netpol-e2e/arbitraries.js';

const world = (policies: GenPolicy[]): GenWorld => ({
  namespaces: [
    { name: 'x', labels: {} },
    { name: 'y', labels: {} },
  ],
  pods: [
    { namespace: 'x', name: 'p0', labels: {}, httpPort: 80 },
    { namespace: 'x', name: 'p1', labels: {}, httpPort: 80 },
    { namespace: 'y', name: 'p0', labels: {}, httpPort: 80 },
  ],
  policies,
});

describe("kube-router's deviations from v1, measured", () => {
  it('a policy of both types with egress [{}] (ingress isolated, no ingress rule): kube-router lets x/p0 and x/p1 talk both ways, Felix does not', async () => {
    const w = world([{ namespace: 'x', name: 'all-egress', podSelector: {}, egress: [{}] }]);
    const kr = await disagreements(w, 'flannel');
    assert.deepEqual(kr.disagreements, []);
    // x/p0 -> x/p1 and x/p1 -> x/p0, three probes each: allowed by kube-router, refused by v1
    assert.equal(kr.quirks, 6);
    const felix = await disagreements(w, 'calico');
    assert.deepEqual(felix.disagreements, []);
    assert.equal(felix.quirks, 0);
  });

  it('a policy of both types with ingress [{}] (egress isolated, no egress rule): the ingress rule opens x/p0 <-> x/p1', async () => {
    const w = world([
      { namespace: 'x', name: 'all-ingress', podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}] },
    ]);
    const kr = await disagreements(w, 'flannel');
    assert.deepEqual(kr.disagreements, []);
    assert.equal(kr.quirks, 6);
    assert.deepEqual((await disagreements(w, 'calico')).disagreements, []);
  });

  it("one rule's ipBlocks share a set: 10.42.0.0/16 except x/p0's /32, with 10.0.0.0/8 beside it, still keeps x/p1 from x/p0", async () => {
    const w = world([
      {
        namespace: 'x',
        name: 'to-blocks',
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ peers: [{ ipBlock: { pod: 0, len: 16, exceptPod: 0 } }, { ipBlock: { pod: 0, len: 8 } }] }],
      },
    ]);
    const kr = await disagreements(w, 'flannel');
    assert.deepEqual(kr.disagreements, []);
    // x/p1 -> x/p0 on three probes: v1 allows it (the /8 block), kube-router's set answers nomatch
    assert.equal(kr.quirks, 3);
    const felix = await disagreements(w, 'calico');
    assert.deepEqual(felix.disagreements, []);
  });

  it('an egress rule to an ipBlock with a named port: kube-router allows nothing to the block', async () => {
    const w = world([
      {
        namespace: 'x',
        name: 'to-x-p0-by-name',
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ peers: [{ ipBlock: { pod: 0, len: 32 } }], ports: [{ protocol: 'UDP', port: 'udp-80' }] }],
      },
    ]);
    const kr = await disagreements(w, 'flannel');
    assert.deepEqual(kr.disagreements, []);
    // x/p1 -> x/p0 UDP 80: v1 resolves udp-80 on x/p0 and allows it; kube-router's ipBlock rule has no port
    assert.equal(kr.quirks, 1);
  });

  it("an egress rule without `to` and a named port: kube-router takes the number from the policy's own namespace", async () => {
    // x/p0 names 80 `http`; z/p0 names 81 `http`: v1 allows x/p0 -> z/p0 on 81 (its http), kube-router on 80
    const w: GenWorld = {
      namespaces: [
        { name: 'x', labels: {} },
        { name: 'z', labels: {} },
      ],
      pods: [
        { namespace: 'x', name: 'p0', labels: {}, httpPort: 80 },
        { namespace: 'z', name: 'p0', labels: {}, httpPort: 81 },
      ],
      policies: [{ namespace: 'x', name: 'http-out', podSelector: {}, egress: [{ ports: [{ port: 'http' }] }] }],
    };
    const kr = await disagreements(w, 'flannel');
    assert.deepEqual(kr.disagreements, []);
    // x/p0 -> z/p0: TCP 80 allowed by kube-router only, TCP 81 by v1 only
    assert.equal(kr.quirks, 2);
  });

  it("named ports share address lists: x/p1 (http is 80) is opened on 81 because x/p0's http is 81", async () => {
    // x/p0 brings in http=81, tcp-80=80, udp-80=80 with one address list; x/p1's udp-80=80 is appended to it
    const w = world([{ namespace: 'x', name: 'http-in', podSelector: {}, ingress: [{ ports: [{ port: 'http' }] }] }]);
    w.pods[0] = { ...w.pods[0]!, httpPort: 81 };
    const kr = await disagreements(w, 'flannel');
    assert.deepEqual(kr.disagreements, []);
    // x/p0 -> x/p1 and y/p0 -> x/p1 on TCP 81: allowed by kube-router only
    assert.equal(kr.quirks, 2);
  });
});
