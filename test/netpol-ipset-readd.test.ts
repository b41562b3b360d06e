/**
 * A podnet bug the NetworkPolicy property tests found (test/netpol-property.test.ts, kube-router, seed
 * 4242), pinned to its smallest form. kube-router puts every ipBlock of one rule into one hash:net set
 * (`ipset restore -exist`: each cidr, then its excepts with `nomatch`, block after block), so a rule
 * `to: [{ipBlock: {cidr: 10.42.0.0/16, except: [10.42.0.2/32]}}, {ipBlock: {cidr: 10.42.0.2/32}}]` adds
 * 10.42.0.2/32 twice, first with nomatch, then without. The kernel (ipset 7.17, checked in a network
 * namespace, and again below when the test runs as root with ipset installed) keeps the last add's flag:
 * 10.42.0.2 is in the set, as NetworkPolicy's union of peers says it must be (the kernel's mtype_add,
 * ip_set_hash_gen.h, overwrites an existing entry's flags under IPSET_FLAG_EXIST). podnet's ipset model
 * (src/net/netfilter/ipset.ts, Ipset.add) kept the first one, so the address stayed an exception and
 * kube-router's chain rejected traffic the policy allows; it now keeps the last, as the kernel does.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { applyIpsetRestore, IpsetRegistry } from '../src/net/netfilter/ipset.js';
import { parseIpv4 } from '../src/wire/addr.js';
import { NetnsSet, requireNetns } from './support/netns.js';
import { requirePeer } from './support/peers.js';
import { disagreements } from './netpol-e2e/prop-datapath.js';
import type { GenWorld } from './netpol-e2e/arbitraries.js';

/** The same member added with nomatch, then without, then the other way round. */
const RESTORE = (first: string, second: string): string =>
  [
    'create T hash:net family inet hashsize 1024 maxelem 65536 timeout 0',
    'add T 10.42.0.0/16 timeout 0',
    `add T 10.42.0.2/32 timeout 0${first}`,
    `add T 10.42.0.2/32 timeout 0${second}`,
    '',
  ].join('\n');

/** Whether 10.42.0.2 is in T after `text`, in podnet's model. */
function podnetHas(text: string): boolean {
  const reg = new IpsetRegistry(() => 0);
  assert.equal(applyIpsetRestore(reg, text, { exist: true }), undefined);
  return reg.get('T')!.has(parseIpv4('10.42.0.2')!);
}

describe('ipset restore -exist: a member added again takes the new nomatch flag (last add wins)', () => {
  it('the real kernel: nomatch then match is in the set; match then nomatch is not', (t) => {
    if (!requireNetns(t) || !requirePeer(t, 'ipset', { bin: 'ipset', install: 'apt-get install -y ipset' })) return;
    const ns = new NetnsSet();
    t.after(() => ns.destroy());
    ns.add('node');
    const exec = (args: string[], input?: string) =>
      spawnSync('ip', ['netns', 'exec', ns.full('node'), ...args], { input, encoding: 'utf8' });
    for (const [first, second, inSet] of [
      [' nomatch', '', true],
      ['', ' nomatch', false],
    ] as const) {
      assert.equal(exec(['ipset', 'restore', '-exist'], RESTORE(first, second)).status, 0);
      assert.equal(exec(['ipset', 'test', 'T', '10.42.0.2']).status === 0, inSet, `${first} then ${second}`);
      exec(['ipset', 'destroy', 'T']);
    }
  });

  it('podnet: nomatch then match is in the set', () => {
    assert.equal(podnetHas(RESTORE(' nomatch', '')), true);
  });

  it('podnet: match then nomatch is not', () => {
    assert.equal(podnetHas(RESTORE('', ' nomatch')), false);
  });

  it('a Flannel cluster: x/p1 reaches x/p0 when a second ipBlock of the same rule gives back what the first excepted', async () => {
    // the property test's shrunk counterexample: x/p0 is 10.42.0.2 on the server, x/p1 10.42.1.2 on the agent
    const w: GenWorld = {
      namespaces: [
        { name: 'x', labels: {} },
        { name: 'y', labels: {} },
      ],
      pods: [
        { namespace: 'x', name: 'p0', labels: {}, httpPort: 80 },
        { namespace: 'x', name: 'p1', labels: {}, httpPort: 80 },
      ],
      policies: [
        {
          namespace: 'x',
          name: 'to-blocks',
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [{ peers: [{ ipBlock: { pod: 0, len: 16, exceptPod: 0 } }, { ipBlock: { pod: 0, len: 32 } }] }],
        },
      ],
    };
    assert.deepEqual((await disagreements(w, 'flannel')).disagreements, []);
  });
});
