/**
 * host-local against the behaviour of plugins/ipam/host-local: files and their contents, round-robin,
 * gateway skipped, rangeStart/rangeEnd, requested addresses, exhaustion and duplicate errors, release,
 * and the configuration errors, word for word.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeInvoker, type CniCommand } from './plugin.js';
import { defaultRegistry } from './plugins.js';
import { testHost } from './testing.js';

function harness() {
  const t = testHost();
  const invoke = makeInvoker(defaultRegistry(), t.host);
  const call = (
    cmd: CniCommand,
    id: string,
    ipam: Record<string, unknown>,
    extra: { args?: string; ifName?: string; cniVersion?: string } = {},
  ) =>
    invoke(
      'host-local',
      cmd,
      {
        cniVersion: extra.cniVersion ?? '1.1.0',
        name: 'net1',
        type: 'host-local',
        ipam: { type: 'host-local', ...ipam },
      },
      { containerId: id, netns: '/var/run/netns/x', ifName: extra.ifName ?? 'eth0', args: extra.args ?? '', path: [] },
    );
  const addr = (r: ReturnType<typeof call>): string =>
    r.ok ? (r.value!.ips as { address: string }[])[0]!.address : `error ${r.error.code}: ${r.error.msg}`;
  return { t, call, addr };
}

describe('host-local', () => {
  it('writes <dataDir>/<net>/<ip> = "<cid>\\r\\n<ifname>" and last_reserved_ip.0', () => {
    const { t, call } = harness();
    const r = call('ADD', 'c1', { ranges: [[{ subnet: '10.1.0.0/24' }]], routes: [{ dst: '0.0.0.0/0' }] });
    assert.deepEqual(r.ok && r.value, {
      cniVersion: '1.1.0',
      ips: [{ address: '10.1.0.2/24', gateway: '10.1.0.1' }],
      routes: [{ dst: '0.0.0.0/0' }],
    });
    assert.deepEqual(t.store.entries(), [
      ['/var/lib/cni/networks/net1/10.1.0.2', 'c1\r\neth0'],
      ['/var/lib/cni/networks/net1/last_reserved_ip.0', '10.1.0.2'],
      ['/var/lib/cni/networks/net1/lock', ''],
    ]);
  });

  it('allocates round-robin: a released address comes back only after the range wrapped', () => {
    const { call, addr } = harness();
    const ipam = { ranges: [[{ subnet: '10.1.0.0/29' }]] };
    assert.deepEqual(
      ['a', 'b', 'c'].map((id) => addr(call('ADD', id, ipam))),
      ['10.1.0.2/29', '10.1.0.3/29', '10.1.0.4/29'],
    );
    assert.ok(call('DEL', 'b', ipam).ok);
    assert.equal(addr(call('ADD', 'd', ipam)), '10.1.0.5/29');
    assert.equal(addr(call('ADD', 'e', ipam)), '10.1.0.6/29');
    // .7 is the broadcast, .1 the gateway: wrap to .3, the one released
    assert.equal(addr(call('ADD', 'f', ipam)), '10.1.0.3/29');
    assert.equal(
      addr(call('ADD', 'g', ipam)),
      'error 999: failed to allocate for range 0: no IP addresses available in range set: 10.1.0.1-10.1.0.6',
    );
  });

  it('rangeStart, rangeEnd and an explicit gateway', () => {
    const { call, addr } = harness();
    const ipam = {
      ranges: [[{ subnet: '10.2.0.0/24', rangeStart: '10.2.0.10', rangeEnd: '10.2.0.11', gateway: '10.2.0.254' }]],
    };
    const r = call('ADD', 'a', ipam);
    assert.deepEqual(r.ok && r.value!.ips, [{ address: '10.2.0.10/24', gateway: '10.2.0.254' }]);
    assert.equal(addr(call('ADD', 'b', ipam)), '10.2.0.11/24');
    assert.equal(
      addr(call('ADD', 'c', ipam)),
      'error 999: failed to allocate for range 0: no IP addresses available in range set: 10.2.0.10-10.2.0.11',
    );
  });

  it('a second ADD of the same container and interface is an error; another interface is not', () => {
    const { call, addr } = harness();
    const ipam = { subnet: '10.3.0.0/24' };
    assert.equal(addr(call('ADD', 'a', ipam)), '10.3.0.2/24');
    assert.equal(
      addr(call('ADD', 'a', ipam)),
      'error 999: failed to allocate for range 0: 10.3.0.2 has been allocated to a, duplicate allocation is not allowed',
    );
    assert.equal(addr(call('ADD', 'a', ipam, { ifName: 'net1' })), '10.3.0.3/24');
  });

  it('takes a requested address from CNI_ARGS IP=, and refuses the gateway', () => {
    const { call, addr } = harness();
    const ipam = { subnet: '10.4.0.0/24' };
    assert.equal(addr(call('ADD', 'a', ipam, { args: 'IP=10.4.0.77;K8S_POD_NAME=x' })), '10.4.0.77/24');
    assert.equal(
      addr(call('ADD', 'b', ipam, { args: 'IP=10.4.0.1' })),
      "error 999: failed to allocate for range 0: requested ip 10.4.0.1 is subnet's gateway",
    );
    assert.equal(
      addr(call('ADD', 'c', ipam, { args: 'IP=10.4.0.77' })),
      'error 999: failed to allocate for range 0: requested IP address 10.4.0.77 is not available in range set 10.4.0.1-10.4.0.254',
    );
  });

  it('DEL is idempotent; CHECK finds the allocation', () => {
    const { call } = harness();
    const ipam = { subnet: '10.5.0.0/24' };
    assert.ok(call('ADD', 'a', ipam).ok);
    assert.ok(call('CHECK', 'a', ipam).ok);
    assert.ok(call('DEL', 'a', ipam).ok);
    assert.ok(call('DEL', 'a', ipam).ok);
    const c = call('CHECK', 'a', ipam);
    assert.deepEqual(c.ok ? undefined : c.error, {
      code: 999,
      msg: 'host-local: Failed to find address added by container a',
    });
  });

  it("configuration errors read like the reference plugin's", () => {
    const { call, addr } = harness();
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'no IP ranges specified'],
      [
        { ranges: [[{ subnet: '10.0.0.0/31' }]] },
        'invalid range set 0: Network 10.0.0.0/31 too small to allocate from',
      ],
      [
        { ranges: [[{ subnet: '10.0.0.0/24', gateway: '10.1.0.1' }]] },
        'invalid range set 0: gateway 10.1.0.1 not in network 10.0.0.0/24',
      ],
      [
        { ranges: [[{ subnet: '10.0.0.0/24', rangeStart: '10.0.1.5' }]] },
        'invalid range set 0: 10.0.1.5 not in network 10.0.0.0/24',
      ],
      [
        { ranges: [[{ subnet: '10.0.0.0/24', rangeStart: '10.0.0.50', rangeEnd: '10.0.0.40' }]] },
        'invalid range set 0: 10.0.0.40 is in network 10.0.0.0/24 but before start 10.0.0.50',
      ],
      [{ ranges: [[{ subnet: '10.0.0.0/24' }], [{ subnet: '10.0.0.0/25' }]] }, 'range set 0 overlaps with 1'],
      [{ ranges: [[]] }, 'invalid range set 0: empty range set'],
      [{ ranges: [[{ subnet: 'nope' }]] }, 'invalid range set 0: invalid CIDR address: nope'],
    ];
    for (const [ipam, msg] of cases) assert.equal(addr(call('ADD', 'a', ipam)), `error 999: ${msg}`);
  });

  it('speaks 0.3.x/0.4.0 results (ips with "version") and refuses 0.2.0', () => {
    const { call } = harness();
    const r = call('ADD', 'a', { subnet: '10.8.0.0/24' }, { cniVersion: '0.4.0' });
    assert.deepEqual(r.ok && r.value, {
      cniVersion: '0.4.0',
      ips: [{ version: '4', address: '10.8.0.2/24', gateway: '10.8.0.1' }],
      dns: {},
    });
    const old = call('ADD', 'b', { subnet: '10.8.0.0/24' }, { cniVersion: '0.2.0' });
    assert.deepEqual(old.ok ? undefined : old.error, {
      code: 1,
      msg: 'incompatible CNI versions',
      details: 'config is "0.2.0", plugin supports ["0.3.0" "0.3.1" "0.4.0" "1.0.0" "1.1.0"]',
    });
  });
});
