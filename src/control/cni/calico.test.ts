/**
 * The calico CNI plugin on an emulated node, checked against Calico's sources and a kernel: the veth name
 * vector is libcalico-go's own test (conversion_test.go: "namespace"/"podname" -> 82111e10a96), the
 * `ip route` lines and the ARP bytes come from the same wiring built by hand in network namespaces (kernel
 * 6.1, iproute2 6.1, tcpdump -XX on the host veth): a pod 192.168.236.3/32 behind cali1234567890a with MAC
 * ee:ee:ee:ee:ee:ee and proxy_arp=1, proxy_delay=0, pinging its node.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { SECOND } from '../../sim/engine.js';
import { formatIpv4, formatMac, parseIpv4, writeMac, type Ipv4 } from '../../wire/addr.js';
import { CalicoIpam } from '../calico/ipam.js';
import { ping, type PingResult } from '../../apps/ping.js';
import { TraceRecorder } from '../../observe/recorder.js';
import { formatRoute } from '../../net/route-table.js';
import { ipAddr } from '../../net/views.js';
import { hex } from '../../wire/testing.js';
import { attachCalicoEnv } from './calico-env.js';
import { FakeCalicoIpam } from './calico-testing.js';
import { CALI_HOST_MAC, calicoVethName } from './calico.js';
import { calicoConflist, parseConfList } from './conflist.js';
import { testHost } from './testing.js';

const ip = (s: string): Ipv4 => parseIpv4(s)!;

/** ARP who-has 169.254.1.1 tell 192.168.236.3 from pod MAC 0a:58:c0:a8:ec:03, as tcpdump -XX showed it. */
const KERNEL_ARP_REQUEST = hex(
  'ffff ffff ffff 0a58 c0a8 ec03 0806 0001 0800 0604 0001 0a58 c0a8 ec03 c0a8 ec03 0000 0000 0000 a9fe 0101',
);
/** The node's proxy reply, 55 us later: 169.254.1.1 is-at ee:ee:ee:ee:ee:ee. */
const KERNEL_ARP_REPLY = hex(
  '0a58 c0a8 ec03 eeee eeee eeee 0806 0001 0800 0604 0002 eeee eeee eeee a9fe 0101 0a58 c0a8 ec03 c0a8 ec03',
);
/** Where the captured pod MAC sits in each frame (Ethernet source/destination, ARP sender/target). */
const POD_MAC_AT = { request: [6, 22], reply: [0, 32] };

/** The kernel's frame with the captured pod MAC replaced by `mac`. */
function withPodMac(frame: Uint8Array, offsets: number[], mac: number): Uint8Array {
  const f = frame.slice();
  for (const o of offsets) writeMac(f, o, mac);
  return f;
}

/** node1 (172.171.5.95/24 on eth0, default via 172.171.5.1) with Calico attached and a block 192.168.236.0/26. */
function calicoNode() {
  const t = testHost();
  const node = t.host.node;
  node.addNic('eth0', 0x02_00_ac_ab_05_5f);
  node.addAddress('eth0', { addr: ip('172.171.5.95'), len: 24 });
  node.routes.add({ dst: 0, len: 0, via: ip('172.171.5.1'), dev: 'eth0' });
  const ipam = new FakeCalicoIpam(new Map([['node1', { addr: ip('192.168.236.0'), len: 26 }]]));
  ipam.reserve(ip('192.168.236.0')); // the tunnel address takes the first, as on the notes' master
  ipam.reserve(ip('192.168.236.1'));
  ipam.reserve(ip('192.168.236.2'));
  attachCalicoEnv(node, { nodeName: 'node1', ipam });
  const l = parseConfList(calicoConflist('node', 1480));
  assert.ok(l.ok);
  return { ...t, node, ipam, list: l.value };
}

describe('calico veth names', () => {
  it('names the host veth cali + sha1("<namespace>.<pod>")[:11], as libcalico-go does', () => {
    // libcalico-go conversion_test.go expects eni82111e10a96 for ("namespace", "podname") with prefix eni
    assert.equal(calicoVethName('namespace', 'podname', 'eni'), 'eni82111e10a96');
    assert.equal(calicoVethName('namespace', 'podname'), 'cali82111e10a96');
    for (const [ns, pod] of [
      ['default', 'nginx-7c5ddbdf54-x2xkz'],
      ['kube-system', 'coredns-6799fbcd5-abcde'],
    ] as const) {
      const want = createHash('sha1').update(`${ns}.${pod}`).digest('hex').slice(0, 11);
      assert.equal(calicoVethName(ns, pod), `cali${want}`);
    }
  });
});

describe('calico CNI plugin on an emulated node', () => {
  const args: [string, string][] = [
    ['K8S_POD_NAMESPACE', 'default'],
    ['K8S_POD_NAME', 'web'],
  ];

  it('ADD wires the pod as Calico does: /32 on eth0 via 169.254.1.1, a cali veth with ee:ee:.. and a /32 route', () => {
    const t = calicoNode();
    const rt = { ...t.pod('web', 'c0ffee'), args };
    const r = t.runtime.addNetworkList(t.list, rt);
    assert.ok(r.ok, JSON.stringify(r));
    const veth = calicoVethName('default', 'web');
    assert.deepEqual(r.value.ips, [{ address: '192.168.236.3/32', interface: 1 }]);
    assert.deepEqual(
      r.value.interfaces!.map((i) => [i.name, i.sandbox ?? '']),
      [
        [veth, ''],
        ['eth0', rt.netns],
      ],
    );
    assert.deepEqual(t.ipam.calls, ['assign k8s-pod-network.c0ffee node1']);
    const host = t.node.dev(veth)!;
    assert.equal(formatMac(host.mac), 'ee:ee:ee:ee:ee:ee');
    assert.deepEqual([host.addresses.length, host.proxyArp, host.up, host.mtu], [0, true, true, 1480]);
    assert.equal(t.node.config.forwarding, true);
    // `ip route` in the kernel namespaces built the same way (see the file comment)
    const pod = t.host.podNode('c0ffee', rt.netns)!;
    assert.deepEqual(pod.routes.routes().map(formatRoute), [
      'default via 169.254.1.1 dev eth0',
      '169.254.1.1 dev eth0 scope link',
    ]);
    // `ip addr show eth0` in the kernel's pod namespace: "inet 192.168.236.3/32 scope global eth0"
    assert.ok(ipAddr(pod).split('\n').includes('    inet 192.168.236.3/32 scope global eth0'));
    assert.ok(t.node.routes.routes().map(formatRoute).includes(`192.168.236.3 dev ${veth} scope link`));
  });

  it("answers the pod's ARP for 169.254.1.1 at once with ee:ee:ee:ee:ee:ee, byte for byte as the kernel", () => {
    const t = calicoNode();
    const rec = new TraceRecorder({ keepBytes: true });
    t.host.network.tracer = rec;
    const rt = { ...t.pod('web', 'c0ffee'), args };
    assert.ok(t.runtime.addNetworkList(t.list, rt).ok);
    const pod = t.host.podNode('c0ffee', rt.netns)!;
    let res: PingResult | undefined;
    ping(pod, ip('172.171.5.95'), { count: 1 }, (x) => (res = x));
    t.engine.run(10 * SECOND);
    assert.equal(res?.received, 1, 'the pod reaches its node through the proxy-ARP gateway');
    const arps = rec.events.filter(
      (e) => e.kind === 'frame' && e.bytes !== undefined && e.bytes[12] === 0x08 && e.bytes[13] === 0x06,
    );
    const podMac = pod.dev('eth0')!.mac;
    assert.notEqual(podMac, CALI_HOST_MAC);
    const [req, reply] = arps.map((e) => (e.kind === 'frame' ? { time: e.time, bytes: e.bytes! } : undefined));
    assert.deepEqual(req?.bytes, withPodMac(KERNEL_ARP_REQUEST, POD_MAC_AT.request, podMac));
    assert.deepEqual(reply?.bytes, withPodMac(KERNEL_ARP_REPLY, POD_MAC_AT.reply, podMac));
    // proxy_delay=0: the reply leaves in the same instant the request arrives (the veth has no delay)
    assert.equal(reply.time, req.time);
  });

  it('DEL deletes the veth and the /32 route and releases the handle k8s-pod-network.<container ID>', () => {
    const t = calicoNode();
    const rt = { ...t.pod('web', 'c0ffee'), args };
    assert.ok(t.runtime.addNetworkList(t.list, rt).ok);
    const veth = calicoVethName('default', 'web');
    const d = t.runtime.delNetworkList(t.list, rt);
    assert.ok(d.ok, JSON.stringify(d));
    assert.equal(t.node.dev(veth), undefined);
    assert.equal(t.node.routes.lookup(ip('192.168.236.3'))?.dev, 'eth0', 'only the default route is left');
    assert.deepEqual(t.ipam.calls, ['assign k8s-pod-network.c0ffee node1', 'release k8s-pod-network.c0ffee']);
    // DEL again is fine, and the address is handed out again
    assert.ok(t.runtime.delNetworkList(t.list, rt).ok);
    const again = t.runtime.addNetworkList(t.list, {
      ...t.pod('web2', 'beef'),
      args: [args[0]!, ['K8S_POD_NAME', 'web2']],
    });
    assert.ok(again.ok);
    assert.deepEqual(again.value.ips, [{ address: '192.168.236.3/32', interface: 1 }]);
  });

  it('fails ADD as Calico does when calico/node has not started on the node', () => {
    const t = testHost();
    const l = parseConfList(calicoConflist('node', 1480));
    assert.ok(l.ok);
    const r = t.runtime.addNetworkList(l.value, t.pod('web'));
    assert.ok(!r.ok);
    assert.match(
      r.error.msg,
      /: stat \/var\/lib\/calico\/nodename: no such file or directory: check that the calico\/node/,
    );
  });

  it("works with Calico's IPAM itself: the pod's /32 comes from the node's affine block, DEL frees it", () => {
    const t = testHost();
    const node = t.host.node;
    node.addNic('eth0', 0x02_00_ac_ab_05_5f);
    node.addAddress('eth0', { addr: ip('172.171.5.95'), len: 24 });
    node.routes.add({ dst: 0, len: 0, via: ip('172.171.5.1'), dev: 'eth0' });
    const pool = {
      name: 'default-ipv4-ippool',
      cidr: { addr: ip('192.168.0.0'), len: 16 },
      blockSize: 26,
      nodeSelector: 'all()',
      disabled: false,
      allowedUses: ['Workload', 'Tunnel'] as const,
    };
    const ipam = new CalicoIpam([pool]);
    attachCalicoEnv(node, { nodeName: 'node1', ipam });
    const l = parseConfList(calicoConflist('node', 1480));
    assert.ok(l.ok);
    const rt = { ...t.pod('web', 'c0ffee'), args };
    const r = t.runtime.addNetworkList(l.value, rt);
    assert.ok(r.ok, JSON.stringify(r));
    const [block] = ipam.blocksOf('node1');
    assert.ok(block !== undefined, 'the node claimed a block');
    assert.equal(block.len, 26);
    // a fresh block hands out its first address first
    assert.deepEqual(r.value.ips, [{ address: `${formatIpv4(block.addr)}/32`, interface: 1 }]);
    assert.equal(node.routes.lookup(block.addr)?.dev, calicoVethName('default', 'web'));
    assert.ok(t.runtime.delNetworkList(l.value, rt).ok);
    assert.deepEqual(ipam.releaseByHandle('k8s-pod-network.c0ffee'), [], 'DEL released the handle already');
  });
});
