/**
 * The bridge plugin on emulated stacks: what it builds (cni0 with the gateway, a veth per pod enslaved
 * with its hairpin flag, eth0 with the address, MTU and routes), the result layout, ipMasq chains named
 * from sha512 as the reference names them, DEL, and its errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BridgeDev } from '../../net/bridge.js';
import { formatIpv4 } from '../../wire/addr.js';
import { ipMasqChainName, ipMasqComment } from './ipmasq.js';
import { saveTable } from './iptables.js';
import { hairpinOf, vethPeer } from './netlink.js';
import { makeInvoker, type CniCommand } from './plugin.js';
import { defaultRegistry } from './plugins.js';
import { testHost } from './testing.js';

function harness() {
  const t = testHost();
  const invoke = makeInvoker(defaultRegistry(), t.host);
  const conf = (extra: Record<string, unknown> = {}) => ({
    cniVersion: '1.1.0',
    name: 'testnet',
    type: 'bridge',
    isDefaultGateway: true,
    ipMasq: true,
    hairpinMode: true,
    mtu: 1450,
    ipam: { type: 'host-local', ranges: [[{ subnet: '10.99.0.0/24' }]], routes: [{ dst: '10.99.0.0/16' }] },
    ...extra,
  });
  const call = (cmd: CniCommand, pod: string, c: Record<string, unknown> = conf()) => {
    const rt = t.pod(pod, pod === 'p1' ? 'abc123' : `${pod}-id`);
    return invoke('bridge', cmd, c, { ...rt, args: '', path: ['/opt/cni/bin'] });
  };
  return { t, conf, call };
}

describe('bridge plugin', () => {
  it('ADD: cni0 with the gateway, veth enslaved with hairpin, eth0 addressed and routed', () => {
    const { t, call } = harness();
    const r = call('ADD', 'p1');
    assert.ok(r.ok, JSON.stringify(r));
    const res = r.value!;
    const ifs = res.interfaces as { name: string; mac: string; sandbox?: string }[];
    assert.equal(ifs[0]!.name, 'cni0');
    assert.match(ifs[1]!.name, /^veth[0-9a-f]{8}$/);
    assert.deepEqual(
      ifs.map((i) => i.sandbox),
      [undefined, undefined, '/var/run/netns/p1'],
    );
    for (const i of ifs) assert.match(i.mac, /^[0-9a-f][26ae](:[0-9a-f]{2}){5}$/, 'locally administered unicast');
    assert.deepEqual(res.ips, [{ address: '10.99.0.2/24', gateway: '10.99.0.1', interface: 2 }]);
    assert.deepEqual(res.routes, [{ dst: '10.99.0.0/16' }, { dst: '0.0.0.0/0', gw: '10.99.0.1' }]);
    const node = t.host.node;
    const br = node.dev('cni0');
    assert.ok(br instanceof BridgeDev);
    assert.equal(br.mtu, 1450);
    assert.deepEqual(
      br.addresses.map((a) => `${formatIpv4(a.addr)}/${a.len}`),
      ['10.99.0.1/24'],
    );
    const veth = node.dev(ifs[1]!.name)!;
    assert.equal(veth.master, br);
    assert.equal(hairpinOf(veth), true);
    const pod = t.host.podNode('', '/var/run/netns/p1')!;
    const eth0 = pod.dev('eth0')!;
    assert.equal(eth0.mtu, 1450);
    assert.equal(vethPeer(eth0)!.dev, veth);
    assert.deepEqual(
      pod.routes
        .routes()
        .map((x) => `${formatIpv4(x.dst)}/${x.len} ${x.via === undefined ? '' : `via ${formatIpv4(x.via)} `}${x.proto}`)
        .sort(),
      ['0.0.0.0/0 via 10.99.0.1 boot', '10.99.0.0/16 via 10.99.0.1 boot', '10.99.0.0/24 kernel'],
    );
    assert.equal(node.config.forwarding, true);
  });

  it('ipMasq writes the reference chain: CNI- + sha512(name+id), 28 characters, with the comment', () => {
    const { t, call } = harness();
    assert.ok(call('ADD', 'p1').ok);
    assert.equal(ipMasqChainName('testnet', 'abc123'), 'CNI-ac401170a6a418c7c78d298f');
    assert.equal(ipMasqComment('testnet', 'abc123'), 'name: "testnet" id: "abc123"');
    // exactly what iptables-save printed in a namespace where the reference bridge ran this configuration
    assert.equal(
      saveTable(t.host.node, 'nat'),
      [
        '*nat',
        ':PREROUTING ACCEPT [0:0]',
        ':INPUT ACCEPT [0:0]',
        ':OUTPUT ACCEPT [0:0]',
        ':POSTROUTING ACCEPT [0:0]',
        ':CNI-ac401170a6a418c7c78d298f - [0:0]',
        '-A POSTROUTING -s 10.99.0.2/32 -m comment --comment "name: \\"testnet\\" id: \\"abc123\\"" -j CNI-ac401170a6a418c7c78d298f',
        '-A CNI-ac401170a6a418c7c78d298f -d 10.99.0.0/24 -m comment --comment "name: \\"testnet\\" id: \\"abc123\\"" -j ACCEPT',
        '-A CNI-ac401170a6a418c7c78d298f ! -d 224.0.0.0/4 -m comment --comment "name: \\"testnet\\" id: \\"abc123\\"" -j MASQUERADE',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('DEL removes the veth pair, the address and the masquerade chain, and may be repeated', () => {
    const { t, call } = harness();
    assert.ok(call('ADD', 'p1').ok);
    assert.ok(call('ADD', 'p2').ok);
    assert.ok(call('DEL', 'p1').ok);
    assert.equal(t.host.podNode('', '/var/run/netns/p1')!.dev('eth0'), undefined);
    assert.equal((t.host.node.dev('cni0') as BridgeDev).members.length, 1);
    assert.equal(t.host.node.devs.filter((d) => d.name.startsWith('veth')).length, 1);
    assert.doesNotMatch(saveTable(t.host.node, 'nat'), /CNI-ac401170a6a418c7c78d298f/);
    assert.equal(t.store.read('/var/lib/cni/networks/testnet/10.99.0.2'), undefined);
    assert.ok(call('DEL', 'p1').ok);
  });

  it('errors: interface exists, hairpin with promisc, VLAN unsupported (SPEC error 2), foreign cni0', () => {
    const { t, conf, call } = harness();
    assert.ok(call('ADD', 'p1').ok);
    const again = call('ADD', 'p1');
    assert.deepEqual(again.ok ? undefined : again.error, {
      code: 999,
      msg: 'container veth name provided (eth0) already exists',
    });
    const hp = call('ADD', 'p3', conf({ promiscMode: true }));
    assert.deepEqual(hp.ok ? undefined : hp.error.msg, 'cannot set hairpin mode and promiscuous mode at the same time');
    const vlan = call('ADD', 'p4', conf({ vlan: 100 }));
    assert.deepEqual(vlan.ok ? undefined : [vlan.error.code, vlan.error.msg], [2, 'unsupported field "vlan": 100']);
    t.host.node.addNic('br-x', 0x020000000001);
    const foreign = call('ADD', 'p5', conf({ bridge: 'br-x' }));
    assert.deepEqual(
      foreign.ok ? undefined : foreign.error.msg,
      'failed to create bridge "br-x": "br-x" already exists but is not a bridge',
    );
    const nons = t.host.podNode('', '/nope');
    assert.equal(nons, undefined);
  });

  it('without ipam: layer 2 only, eth0 up and no addresses', () => {
    const { t, conf, call } = harness();
    const c = conf();
    delete (c as { ipam?: unknown }).ipam;
    const r = call('ADD', 'p1', c);
    assert.ok(r.ok);
    assert.equal(r.value!.ips, undefined);
    assert.equal(t.host.podNode('', '/var/run/netns/p1')!.dev('eth0')!.up, true);
  });
});
