/**
 * The libcni-like runtime over emulated pods: the stock flannel conflist end to end (flannel -> bridge ->
 * host-local, then portmap with prevResult and runtimeConfig), DEL in reverse order, CHECK, STATUS, GC,
 * VERSION, and pods that ping each other and their gateway through cni0.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SECOND } from '../../sim/engine.js';
import { parseIpv4 } from '../../wire/addr.js';
import { ping } from '../../apps/ping.js';
import { BridgeDev } from '../../net/bridge.js';
import { K3S_FLANNEL_CONFLIST, parseConfList } from './conflist.js';
import { saveTable } from './iptables.js';
import type { CniPlugin } from './plugin.js';
import { defaultRegistry } from './plugins.js';
import { CniRuntime } from './runtime.js';
import { SUBNET_ENV, testHost } from './testing.js';
import { CniErrorCode, ok } from './types.js';

function flannelList() {
  const l = parseConfList(K3S_FLANNEL_CONFLIST);
  assert.ok(l.ok);
  return l.value;
}

describe('CniRuntime with the stock flannel conflist', () => {
  it('ADD runs flannel (bridge + host-local) then portmap; pods get 10.42.0.x/24 via cni0', () => {
    const t = testHost();
    t.store.write('/run/flannel/subnet.env', SUBNET_ENV);
    const list = flannelList();
    const rt = {
      ...t.pod('web'),
      capabilityArgs: {
        portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
        bandwidth: { ingressRate: 1 },
      },
    };
    const r = t.runtime.addNetworkList(list, rt);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.value.cniVersion, '1.0.0');
    assert.deepEqual(r.value.ips, [{ address: '10.42.0.2/24', gateway: '10.42.0.1', interface: 2 }]);
    assert.deepEqual(r.value.routes, [{ dst: '10.42.0.0/16' }, { dst: '0.0.0.0/0', gw: '10.42.0.1' }]);
    assert.deepEqual(
      r.value.interfaces!.map((i) => i.name.replace(/^veth[0-9a-f]{8}$/, 'vethX')),
      ['cni0', 'vethX', 'eth0'],
    );
    const pod = t.host.podNode('', rt.netns)!;
    assert.equal(pod.dev('eth0')!.mtu, 1450);
    const node = t.host.node;
    assert.ok(node.dev('cni0') instanceof BridgeDev);
    assert.equal(node.config.forwarding, true);
    // flanneld masquerades (FLANNEL_IPMASQ=true), so the bridge must not: no CNI-<hash> chain
    const nat = saveTable(node, 'nat');
    assert.doesNotMatch(nat, /-j CNI-[0-9a-f]{24}\b/);
    // portmap got runtimeConfig (its capability only) and prevResult
    assert.match(nat, /-A CNI-DN-[0-9a-f]{21} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10\.42\.0\.2:80/);
    assert.match(
      nat,
      /-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"cbr0\\" id: \\"web-id\\"" -m multiport --dports 8080 -j CNI-DN-/,
    );
    // flannel saved its delegate for DEL, and the runtime its result
    assert.match(
      t.store.read('/var/lib/cni/flannel/web-id')!,
      /^\{"cniVersion":"1\.0\.0","forceAddress":true,"hairpinMode":true,"ipMasq":false,"ipam":\{"ranges":\[\[\{"subnet":"10\.42\.0\.0\/24"\}\]\],"routes":\[\{"dst":"10\.42\.0\.0\/16"\}\],"type":"host-local"\}/,
    );
    assert.deepEqual(t.runtime.cachedResult(list, rt)?.ips, r.value.ips);
    assert.equal(t.store.read('/var/lib/cni/networks/cbr0/10.42.0.2'), 'web-id\r\neth0');
  });

  it('pods ping each other and their gateway through cni0; DEL runs in reverse and cleans up', () => {
    const t = testHost();
    t.store.write('/run/flannel/subnet.env', SUBNET_ENV);
    const list = flannelList();
    const a = t.pod('a');
    const b = t.pod('b');
    assert.ok(t.runtime.addNetworkList(list, a).ok);
    assert.ok(t.runtime.addNetworkList(list, b).ok);
    const podA = t.host.podNode('', a.netns)!;
    const results: number[] = [];
    ping(podA, parseIpv4('10.42.0.3')!, { count: 2 }, (r) => results.push(r.received));
    ping(podA, parseIpv4('10.42.0.1')!, { count: 2 }, (r) => results.push(r.received));
    t.engine.runFor(5 * SECOND);
    assert.deepEqual(results, [2, 2]);
    const calls: string[] = [];
    const spy = new Map([...defaultRegistry()].map(([k, p]) => [k, wrap(p, calls)]));
    const rt2 = new CniRuntime(t.host, spy);
    assert.ok(rt2.delNetworkList(list, b).ok);
    assert.deepEqual(calls, ['portmap DEL', 'flannel DEL', 'bridge DEL', 'host-local DEL']);
    assert.equal(t.host.podNode('', b.netns)!.dev('eth0'), undefined);
    assert.equal(t.store.read('/var/lib/cni/networks/cbr0/10.42.0.3'), undefined);
    assert.equal(t.store.read('/var/lib/cni/flannel/b-id'), undefined);
    assert.equal(t.runtime.cachedResult(list, b), undefined);
    assert.equal((t.host.node.dev('cni0') as BridgeDev).members.length, 1);
    // DEL again: nothing left, still success
    assert.ok(t.runtime.delNetworkList(list, b).ok);
  });

  it('CHECK uses the cached result, and is skipped with disableCheck', () => {
    const t = testHost();
    t.store.write('/run/flannel/subnet.env', SUBNET_ENV);
    const list = flannelList();
    const a = t.pod('a');
    assert.equal(t.runtime.checkNetworkList(list, a).ok, false, 'no ADD yet');
    assert.ok(t.runtime.addNetworkList(list, a).ok);
    assert.deepEqual(t.runtime.checkNetworkList(list, a), ok(undefined));
    assert.deepEqual(
      t.runtime.checkNetworkList({ ...list, disableCheck: true }, { ...a, containerId: 'other' }),
      ok(undefined),
    );
    // the bridge's own CHECK: addresses, veth, bridge, routes
    const bl = parseConfList(
      JSON.stringify({
        cniVersion: '1.0.0',
        name: 'chk',
        plugins: [
          {
            type: 'bridge',
            bridge: 'br9',
            isDefaultGateway: true,
            ipam: { type: 'host-local', subnet: '10.9.0.0/24' },
          },
        ],
      }),
    );
    assert.ok(bl.ok);
    const c = t.pod('c');
    assert.ok(t.runtime.addNetworkList(bl.value, c).ok);
    assert.deepEqual(t.runtime.checkNetworkList(bl.value, c), ok(undefined));
    const eth0 = t.host.podNode('', c.netns)!.dev('eth0')!;
    eth0.addresses.splice(0);
    const bad = t.runtime.checkNetworkList(bl.value, c);
    assert.equal(bad.ok, false);
    if (!bad.ok)
      assert.equal(
        bad.error.msg,
        'plugin type="bridge" name="chk" failed (check): Failed to match addr 10.9.0.2/24 on interface eth0',
      );
  });

  it('STATUS: 50 while flanneld has not written subnet.env; GC releases addresses of dead containers', () => {
    const t = testHost();
    const list = { ...flannelList(), cniVersion: '1.1.0' };
    const s = t.runtime.getStatusNetworkList(list);
    assert.equal(s.ok, false);
    if (!s.ok) assert.equal(s.error.code, CniErrorCode.PluginNotAvailable);
    t.store.write('/run/flannel/subnet.env', SUBNET_ENV);
    assert.ok(t.runtime.getStatusNetworkList(list).ok);
    const bridgeList = parseConfList(
      JSON.stringify({
        cniVersion: '1.1.0',
        name: 'gcnet',
        plugins: [{ type: 'bridge', ipam: { type: 'host-local', subnet: '10.5.0.0/24' } }],
      }),
    );
    assert.ok(bridgeList.ok);
    for (const n of ['a', 'b', 'c']) assert.ok(t.runtime.addNetworkList(bridgeList.value, t.pod(n)).ok);
    assert.deepEqual(t.store.list('/var/lib/cni/networks/gcnet'), [
      '10.5.0.2',
      '10.5.0.3',
      '10.5.0.4',
      'last_reserved_ip.0',
      'lock',
    ]);
    assert.ok(t.runtime.gcNetworkList(bridgeList.value, [{ containerID: 'b-id', ifname: 'eth0' }]).ok);
    assert.deepEqual(t.store.list('/var/lib/cni/networks/gcnet'), ['10.5.0.3', 'last_reserved_ip.0', 'lock']);
    assert.deepEqual(t.store.list('/var/lib/cni/results'), ['gcnet-b-id-eth0']);
  });

  it('STATUS and GC need a 1.1.0 list; VERSION answers for each plugin', () => {
    const t = testHost();
    const s = t.runtime.getStatusNetworkList(flannelList());
    assert.equal(s.ok, false);
    if (!s.ok) assert.equal(s.error.code, CniErrorCode.IncompatibleVersion);
    const v = t.runtime.getVersionInfo('bridge');
    assert.deepEqual(v, ok({ cniVersion: '1.1.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] }));
    const missing = t.runtime.getVersionInfo('macvlan');
    assert.equal(missing.ok, false);
  });

  it('a failure after IPAM succeeded releases the address (the upper plugin cleans up)', () => {
    const t = testHost();
    const mk = (subnet: string) =>
      parseConfList(
        JSON.stringify({
          cniVersion: '1.0.0',
          name: 'n1',
          plugins: [{ type: 'bridge', isGateway: true, ipam: { type: 'host-local', subnet } }],
        }),
      );
    const l1 = mk('10.6.0.0/24');
    const l2 = mk('10.7.0.0/24');
    assert.ok(l1.ok && l2.ok);
    assert.ok(t.runtime.addNetworkList(l1.value, t.pod('a')).ok);
    // cni0 already has 10.6.0.1/24: the gateway 10.7.0.1/24 cannot go on it (plugins PR #366)
    const r = t.runtime.addNetworkList(l2.value, t.pod('b'));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.code, CniErrorCode.Internal);
      assert.equal(
        r.error.msg,
        'plugin type="bridge" name="n1" failed (add): failed to set bridge addr: "cni0" already has an IP address different from 10.7.0.1/24',
      );
    }
    assert.deepEqual(
      t.store.list('/var/lib/cni/networks/n1'),
      ['10.6.0.2', 'last_reserved_ip.0', 'lock'],
      '10.7.0.2 was released',
    );
  });
});

function wrap(p: CniPlugin, calls: string[]): CniPlugin {
  return {
    ...p,
    add: (c, conf, prev) => (calls.push(`${p.type} ADD`), p.add(c, conf, prev)),
    del: (c, conf, prev) => (calls.push(`${p.type} DEL`), p.del(c, conf, prev)),
  };
}
