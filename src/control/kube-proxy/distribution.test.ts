/**
 * kube-proxy's rules in podnet's netfilter, packet by packet: the first packets of many connections to a
 * ClusterIP go through nat PREROUTING of one node, and the DNAT each gets is read back from its bytes. The
 * probability chain must spread them evenly (chi-square), the draws must come from the node's seeded
 * stream (same seed, same choices; another seed, other choices), and ClientIP affinity must keep a client
 * on one endpoint until its --seconds run out (xt_recent).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, SECOND } from '../../sim/engine.js';
import { formatIpv4, parseCidr, parseIpv4, readIpv4, type Ipv4 } from '../../wire/addr.js';
import { Netfilter, type NetfilterHost } from '../../net/netfilter/netfilter.js';
import { emptyRuleset } from '../../net/netfilter/rules.js';
import { parseIptablesSave } from '../../net/netfilter/iptables-restore.js';
import { generateProxyRules, jumpRulesText, restoreText } from './proxier.js';
import type { ProxyServicePort } from './types.js';

const ip = (s: string): Ipv4 => parseIpv4(s)!;
const VIP = '10.43.0.20';
const BACKENDS = ['10.42.0.5', '10.42.1.6', '10.42.2.7'];

function node(engine: Engine, affinity: ProxyServicePort['sessionAffinity']): Netfilter {
  const host: NetfilterHost = {
    name: 'node1',
    engine,
    isLocal: () => false,
    masqueradeAddress: () => undefined,
    note: () => undefined,
    drop: () => undefined,
    reject: () => undefined,
    resetTcp: () => undefined,
  };
  const port: ProxyServicePort = {
    namespace: 'default',
    service: 'web',
    portName: '',
    protocol: 'TCP',
    port: 80,
    clusterIP: ip(VIP),
    nodePort: 0,
    type: 'ClusterIP',
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    sessionAffinity: affinity,
    stickyMaxAgeSeconds: 10,
    externalIPs: [],
    loadBalancerIPs: [],
  };
  const eps = BACKENDS.map((b) => ({
    ip: ip(b),
    port: 80,
    ready: true,
    serving: true,
    terminating: false,
    nodeName: 'n',
  }));
  const rules = generateProxyRules(
    [{ port, endpoints: eps }],
    { name: 'node1', ip: ip('192.168.56.11') },
    {
      clusterCIDR: parseCidr('10.42.0.0/16')!,
    },
  );
  const rs = emptyRuleset();
  for (const text of [jumpRulesText(), restoreText(rules)]) {
    const r = parseIptablesSave(text, rs, { noflush: true });
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  }
  return new Netfilter(host, rs);
}

/** A TCP SYN from src:sport to the VIP, as an Ethernet frame. */
function syn(src: string, sport: number): Uint8Array {
  const f = new Uint8Array(14 + 40);
  f[12] = 0x08;
  f.set([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0], 14);
  f.set(ip(src) === undefined ? [] : String(src).split('.').map(Number), 26);
  f.set(VIP.split('.').map(Number), 30);
  f.set([sport >> 8, sport & 0xff, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff], 34);
  return f;
}

/** The backend the first packet of connection src:sport is sent to. */
function pick(nf: Netfilter, src: string, sport: number): string {
  const f = syn(src, sport);
  const ctx = nf.prerouting(f, 40, 'cni0');
  assert.ok(ctx !== undefined);
  return formatIpv4(readIpv4(f, 30));
}

function spread(seed: number, n: number): { counts: Map<string, number>; order: string[] } {
  const nf = node(new Engine(seed), 'None');
  const counts = new Map<string, number>();
  const order: string[] = [];
  for (let i = 0; i < n; i++) {
    const b = pick(nf, `10.42.${(i >> 8) & 0xff}.${i & 0xff || 1}`, 10000 + i);
    order.push(b);
    counts.set(b, (counts.get(b) ?? 0) + 1);
  }
  return { counts, order };
}

describe('kube-proxy endpoint choice', () => {
  it('3 endpoints, 3,000 connections: chi-square below the 0.1% critical value for 2 degrees of freedom', () => {
    const { counts } = spread(1, 3000);
    assert.deepEqual([...counts.keys()].sort(), BACKENDS);
    const chi = BACKENDS.reduce((s, b) => s + (counts.get(b)! - 1000) ** 2 / 1000, 0);
    // P(chi2(2) > 13.82) = 0.001: a correct 1/3, 1/2, 1 chain fails this once in a thousand seeds
    assert.ok(chi < 13.82, `chi-square ${chi.toFixed(2)} for ${JSON.stringify([...counts])}`);
    for (const b of BACKENDS) assert.ok(Math.abs(counts.get(b)! - 1000) < 120, `${b}: ${counts.get(b)}`);
  });

  it('the draws come from the seeded stream: the same seed repeats its choices, another seed does not', () => {
    assert.deepEqual(spread(7, 200).order, spread(7, 200).order);
    assert.notDeepEqual(spread(7, 200).order, spread(8, 200).order);
  });

  it('ClientIP affinity: one client stays on one endpoint within --seconds, and is free to move after', () => {
    const engine = new Engine(3);
    const nf = node(engine, 'ClientIP');
    const first = pick(nf, '10.42.0.9', 20000);
    for (let i = 1; i < 50; i++) assert.equal(pick(nf, '10.42.0.9', 20000 + i), first, `connection ${i}`);
    // other clients are spread as before
    const others = new Set(Array.from({ length: 60 }, (_, i) => pick(nf, `10.42.3.${i + 1}`, 30000)));
    assert.equal(others.size, 3);
    // after 10 s of silence --rcheck --seconds 10 --reap forgets the client: it is balanced again
    const later: string[] = [];
    engine.at(11 * SECOND, () => {
      for (let i = 0; i < 40; i++) later.push(pick(nf, `10.42.0.${(i % 4) + 20}`, 40000 + i));
    });
    engine.run();
    assert.ok(new Set(later).size > 1);
    // after --seconds the stickiness is gone: over ten seeds, the same client lands elsewhere at least once
    let moved = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const e = new Engine(seed);
      const n = node(e, 'ClientIP');
      const before = pick(n, '10.42.0.9', 20000);
      let after = '';
      e.at(30 * SECOND, () => {
        after = pick(n, '10.42.0.9', 20001);
      });
      e.run();
      if (after !== before) moved++;
    }
    assert.ok(moved > 0);
  });
});
