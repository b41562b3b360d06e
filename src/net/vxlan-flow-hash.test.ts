// The VXLAN outer source port of packets from local sockets (vxlan.ts encapsulate, wire/frame-hash.ts),
// on the notes' VXLAN NAT gateway: vm1 sits behind hv1's bridge, gw decapsulates, masquerades and routes to
// web. What the kernel did on this topology (podnet up examples/vxlan-nat-gateway.yaml, tcpdump on hv1's
// eth0, Linux 6.18): a TCP connection's two directions left from two ports, each its socket's sk_txhash
// carried over the veth, the bridge, NAT and routing; every SYN sent again after a timeout, and every SYN-ACK
// sent again, from a new port (sk_rethink_txhash, tcp_rtx_synack); an unconnected UDP socket's datagrams and
// their replies from one port (the flow dissector's symmetric hash), a connected one's from a port of its own,
// new with each connect.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLab } from '../scenario/lab.js';
import { buildLab, type LabNetwork } from '../scenario/build.js';
import { parseIpv4 } from '../wire/addr.js';
import { frameHash } from '../wire/frame-hash.js';
import { flowHash, sourcePortOf } from './vxlan.js';
import { exchangeUdp } from '../apps/dns/exchange.js';
import { traceroute } from '../apps/traceroute.js';

const LAB = (vm1Rules: string): string => `apiVersion: podnet.dev/v1alpha1
kind: Lab
metadata: { name: vxlan-flow-hash }
spec:
  nodes:
    - name: vm1
      kind: host
      interfaces: [{ name: eth0, mac: "52:54:00:00:00:01", address: 10.10.0.1/24, mtu: 1450 }]
      routes: [{ to: default, via: 10.10.0.254 }]
${vm1Rules}
    - name: hv1
      kind: host
      interfaces: [{ name: eth0, address: 192.168.0.11/24 }, { name: vnet0 }]
      vxlans: [{ name: vxlan100, vni: 100, local: 192.168.0.11, remotes: [192.168.0.1] }]
      bridges: [{ name: br0, ports: [vnet0, vxlan100] }]
    - name: gw
      kind: router
      interfaces: [{ name: eth0, address: 192.168.0.1/24 }, { name: eth1, address: 203.0.113.1/24 }]
      vxlans: [{ name: vxlan100, vni: 100, local: 192.168.0.1, remotes: [192.168.0.11], address: 10.10.0.254/24 }]
      iptables: |
        *nat
        :PREROUTING ACCEPT [0:0]
        :INPUT ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        -A POSTROUTING -s 10.10.0.0/24 -o eth1 -j MASQUERADE
        COMMIT
    - { name: web, kind: host, interfaces: [{ name: eth0, address: 203.0.113.80/24 }] }
  links:
    - { a: "vm1:eth0", b: "hv1:vnet0" }
    - { a: "hv1:eth0", b: "gw:eth0" }
    - { a: "gw:eth1", b: "web:eth0" }
`;

/** vm1 drops what web's port 80 sends: its SYN-ACKs never arrive. */
const DROP_SYNACKS = `      iptables: |
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        :OUTPUT ACCEPT [0:0]
        -A INPUT -p tcp --sport 80 -j DROP
        COMMIT`;

const WEB = parseIpv4('203.0.113.80')!;

/** One VXLAN frame on the underlay: its outer source port, the flow hash it carries, its inner frame. */
interface Outer {
  dir: 'to-gw' | 'to-hv1';
  port: number;
  hash: number | undefined;
  inner: Uint8Array;
}

function lab(vm1Rules = ''): { lab: LabNetwork; outer: Outer[] } {
  const parsed = parseLab('vxlan-flow-hash.yaml', LAB(vm1Rules));
  assert.ok(parsed.ok, parsed.ok ? '' : JSON.stringify(parsed.errors));
  const l = buildLab(parsed.lab);
  const outer: Outer[] = [];
  const link = l.network.links.find((k) => k.id === 'hv1:eth0--gw:eth0')!;
  const tap =
    (dir: Outer['dir']) =>
    (_t: number, f: Uint8Array): void => {
      if (f[23] !== 17 || ((f[36]! << 8) | f[37]!) !== 4789) return;
      outer.push({ dir, port: (f[34]! << 8) | f[35]!, hash: frameHash(f), inner: f.slice(50) });
    };
  link.ab.tap = tap('to-gw');
  link.ba.tap = tap('to-hv1');
  return { lab: l, outer };
}

const isTcp = (o: Outer): boolean => o.inner[12] === 0x08 && o.inner[13] === 0x00 && o.inner[23] === 6;
const tcpFlags = (o: Outer): number => o.inner[14 + (o.inner[14]! & 0x0f) * 4 + 13]!;

describe('VXLAN source ports of local sockets', () => {
  it("gives each direction of a TCP connection its socket's port, across the veth, the bridge and NAT", () => {
    const { lab: l, outer } = lab();
    const server: { txHash: number }[] = [];
    l.tcp.get('web')!.listen(80, (s) => {
      server.push(s);
      s.end();
    });
    const client = l.tcp.get('vm1')!.connect(WEB, 80);
    client.on('end', () => client.end());
    l.engine.run();
    const tcp = outer.filter(isTcp);
    assert.ok(tcp.length >= 6, `a handshake, FINs and ACKs crossed the underlay (${tcp.length})`);
    const up = new Set(tcp.filter((o) => o.dir === 'to-gw').map((o) => o.port));
    const down = new Set(tcp.filter((o) => o.dir === 'to-hv1').map((o) => o.port));
    assert.deepEqual([...up], [sourcePortOf(client.txHash)], "vm1's segments leave hv1 from its socket's port");
    assert.equal(server.length, 1);
    assert.deepEqual([...down], [sourcePortOf(server[0]!.txHash)], "web's leave gw from its socket's, after NAT");
    assert.notEqual(client.txHash, server[0]!.txHash);
    assert.notDeepEqual([...up], [...down], 'two directions, two ports: no symmetric hash for sockets');
    // the outer packet keeps the hash (the same skb in Linux), so the decapsulated segment has it still
    for (const o of tcp) assert.equal(o.hash, o.dir === 'to-gw' ? client.txHash : server[0]!.txHash);
  });

  it('draws a new hash for every SYN a timeout sends again, and for every SYN-ACK sent again', () => {
    const { lab: l, outer } = lab(DROP_SYNACKS);
    l.tcp.get('web')!.listen(80, () => undefined);
    const client = l.tcp.get('vm1')!.connect(WEB, 80, { timeoutNs: 6_000_000_000 });
    l.engine.run();
    const syns = outer.filter((o) => isTcp(o) && o.dir === 'to-gw' && tcpFlags(o) === 0x02);
    const synAcks = outer.filter((o) => isTcp(o) && o.dir === 'to-hv1' && tcpFlags(o) === 0x12);
    assert.ok(syns.length >= 3, `SYNs: ${syns.length}`);
    // a SYN-ACK for the SYN, then one per retransmitted SYN (tcp_check_req) and per SYN-ACK timeout
    assert.ok(synAcks.length > syns.length, `SYN-ACKs: ${synAcks.length}`);
    assert.equal(new Set(syns.map((o) => o.hash)).size, syns.length, 'each SYN its own hash');
    assert.equal(new Set(synAcks.map((o) => o.hash)).size, synAcks.length, 'each SYN-ACK its own hash');
    assert.equal(syns.at(-1)!.hash, client.txHash);
    for (const o of [...syns, ...synAcks]) assert.equal(o.port, sourcePortOf(o.hash!));
  });

  it('hashes unconnected UDP symmetrically; a connected socket has its own port, new with each connect', () => {
    const { lab: l, outer } = lab();
    const vm1 = l.udp.get('vm1')!;
    const web = l.udp.get('web')!;
    web.bind(9000, (d) => void web.send(9000, d.src, d.srcPort, Uint8Array.of(1)));
    vm1.bind(40020, () => undefined);
    vm1.send(40020, WEB, 9000, Uint8Array.of(0));
    l.engine.run();
    const first = vm1.connectHash();
    const second = vm1.connectHash();
    vm1.send(40020, WEB, 9000, Uint8Array.of(0), { hash: first });
    vm1.send(40020, WEB, 9000, Uint8Array.of(0), { hash: first });
    vm1.send(40020, WEB, 9000, Uint8Array.of(0), { hash: second });
    l.engine.run();
    const udp = outer.filter((o) => o.inner[23] === 17);
    const [request, reply, ...connected] = udp;
    assert.equal(request!.port, sourcePortOf(flowHash(request!.inner)));
    assert.equal(reply!.port, request!.port, 'the reply, after NAT, from the same port: the hash is symmetric');
    assert.equal(request!.hash, flowHash(request!.inner), 'a hash over ports stays on the outer packet (L4)');
    const up = connected.filter((o) => o.dir === 'to-gw').map((o) => o.port);
    assert.deepEqual(up, [sourcePortOf(first), sourcePortOf(first), sourcePortOf(second)]);
    assert.notEqual(up[0], request!.port);
  });

  it("sends the queries of DNS clients and traceroute's probes with their connected sockets' hashes", () => {
    const { lab: l, outer } = lab();
    const vm1 = l.udp.get('vm1')!;
    exchangeUdp(
      vm1,
      { server: WEB, port: 53, bytes: new Uint8Array(12), id: 0, questions: [], timeout: 1e9 },
      () => {},
    );
    traceroute(l.ipNodes.get('vm1')!, vm1, WEB, { maxHops: 2, queries: 2, wait: 1e9 }, () => undefined);
    l.engine.run();
    const sent = outer.filter((o) => o.dir === 'to-gw' && o.inner[23] === 17);
    assert.equal(sent.length, 1 + 2 * 2, 'the query and four probes');
    for (const o of sent) {
      assert.ok(o.hash !== undefined && o.hash !== flowHash(o.inner), "a socket hash, not the flow's");
      assert.equal(o.port, sourcePortOf(o.hash));
    }
    assert.equal(new Set(sent.map((o) => o.hash)).size, sent.length, 'one socket, one hash, each');
  });
});
