/**
 * The TUN device checked as one checks `ip tuntap` with a process on the fd and tcpdump on the NIC: what
 * the reader gets for a packet routed into the device (bytes worked out by hand), what a write becomes on
 * the wire, and where the device refuses a packet.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, US } from '../sim/engine.js';
import { Network } from '../link/device.js';
import { parseIpv4 as parseAddr, type Ipv4, type Mac } from '../wire/addr.js';
import { buildEthernet, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { buildIpv4 } from '../wire/ipv4.js';
import { parseIcmp } from '../wire/icmp.js';
import { TraceRecorder } from '../observe/recorder.js';
import { IpNode } from './ip-node.js';
import { TUN_DEFAULT_MTU, TunDev } from './tun.js';
import { hex } from '../wire/testing.js';
import { FrameProbe } from '../link/testing.js';

const ip = (s: string): Ipv4 => parseAddr(s)!;
const MAC_R = 0x02_00_00_00_00_10 as Mac;
const MAC_P = 0x02_00_00_00_00_21 as Mac;
const R = ip('10.0.1.1');
const P = ip('10.0.1.2');
const TUN_ADDR = ip('10.99.0.1');
const FAR = ip('10.99.7.7');

/** UDP 40000 -> 53, 8 bytes, no checksum, inside IPv4 from `src` to `dst`. */
function udpPacket(src: Ipv4, dst: Ipv4, ttl: number, o: { df?: boolean; size?: number } = {}): Uint8Array {
  const payload = new Uint8Array(o.size ?? 8);
  payload.set(hex('9c 40 00 35'));
  payload[4] = payload.length >> 8;
  payload[5] = payload.length & 0xff;
  return buildIpv4(
    {
      tos: 0,
      id: 0x1234,
      df: o.df ?? true,
      mf: false,
      fragmentOffset: 0,
      ttl,
      protocol: 17,
      src,
      dst,
      options: new Uint8Array(0),
    },
    payload,
  );
}

/**
 * P (10.0.1.2) -- eth0 R, and on R a tun0 (10.99.0.1/32) with `10.99.0.0/16 dev tun0`. R forwards and
 * knows P's MAC. `reader` collects what the process would read.
 */
function tunLab(mtu?: number) {
  const engine = new Engine(1);
  const net = new Network(engine);
  const r = new IpNode(net, 'R', { forwarding: true });
  r.addNic('eth0', MAC_R);
  r.addAddress('eth0', { addr: R, len: 24 });
  const p = new FrameProbe(net, 'P');
  const pPort = p.addPort('eth0');
  net.connect(pPort, r.port('eth0')!, { bandwidth: 0, latency: 1 * US });
  r.addPermanentNeighbor('eth0', P, MAC_P);
  const tun = new TunDev(r, 'tun0', mtu);
  r.addAddress('tun0', { addr: TUN_ADDR, len: 32 });
  r.routes.add({ dst: ip('10.99.0.0'), len: 16, dev: 'tun0' });
  const read: Uint8Array[] = [];
  tun.onRead = (pkt) => read.push(pkt);
  const rec = new TraceRecorder();
  net.tracer = rec;
  /** Sends `packet` from P, padded to Ethernet's 60-byte minimum as a NIC would. */
  const send = (packet: Uint8Array): Uint8Array => {
    const eth = buildEthernet({ dst: MAC_R, src: MAC_P, ethertype: ETHERTYPE_IPV4, payload: packet });
    const frame = new Uint8Array(Math.max(60, eth.length));
    frame.set(eth);
    p.transmit(pPort, frame);
    return frame;
  };
  const drops = (): string[] => rec.events.flatMap((e) => (e.kind === 'drop' ? [e.reason] : []));
  return { engine, r, p, tun, read, send, drops, rec };
}

describe('TunDev: the node sends, the process reads', () => {
  it('is a point-to-point device: no ARP, no MAC, Linux MTU 1500 unless told', () => {
    const { tun } = tunLab();
    assert.equal(tun.usesArp, false);
    assert.equal(tun.mac, 0);
    assert.equal(tun.mtu, TUN_DEFAULT_MTU);
    assert.equal(TUN_DEFAULT_MTU, 1500);
    assert.equal(tunLab(1472).tun.mtu, 1472);
  });

  it('hands the reader the bare IP packet, TTL taken down by the router, as a view of the same buffer', () => {
    const { engine, read, send, tun } = tunLab();
    // 28 bytes of IP in a 60-byte frame: Ethernet pads to its minimum; the reader must not see the padding
    const frame = send(udpPacket(P, FAR, 64));
    assert.equal(frame.length, 60);
    engine.runUntilIdle();
    assert.equal(read.length, 1);
    // the router's work only: TTL 64 -> 63, checksum 0x0c32 -> 0x0d32
    const want = hex(`
      45 00 00 1c  12 34 40 00  3f 11 0d 32   // v4 ihl 5, len 28, id 0x1234, DF, TTL 63, UDP, checksum
      0a 00 01 02  0a 63 07 07                // 10.0.1.2 -> 10.99.7.7
      9c 40 00 35  00 08 00 00                // UDP 40000 -> 53, length 8, no checksum
    `);
    assert.deepEqual(read[0], want);
    assert.deepEqual(udpPacket(P, FAR, 63), want, 'the hand-written bytes are a valid packet with TTL 63');
    // no copy: the view starts where the IP header sat in the frame P sent, whose MACs the tun cleared
    assert.equal(read[0].byteOffset, 14);
    assert.equal(read[0].buffer, frame.buffer);
    assert.deepEqual(frame.subarray(0, 12), new Uint8Array(12));
    assert.equal(tun.txPackets, 1);
  });

  it('drops what is routed into it while no process has it open (link-down)', () => {
    const { engine, read, send, tun, drops } = tunLab();
    tun.onRead = undefined;
    send(udpPacket(P, FAR, 64));
    engine.runUntilIdle();
    assert.equal(read.length, 0);
    assert.deepEqual(drops(), ['link-down']);
  });

  it('answers a DF packet bigger than its MTU with frag-needed carrying that MTU (the router, not the tun, decides)', () => {
    const { engine, read, send, p } = tunLab(1472);
    send(udpPacket(P, FAR, 64, { size: 1453 })); // 20 + 1453 = 1473
    send(udpPacket(P, FAR, 64, { size: 1452 })); // 1472 fits
    engine.runUntilIdle();
    assert.deepEqual(
      read.map((x) => x.length),
      [1472],
    );
    assert.equal(p.got.length, 1);
    const icmp = parseIcmp(p.got[0]!.subarray(14 + 20));
    assert.ok(icmp.ok && icmp.value.kind === 'unreachable');
    assert.deepEqual([icmp.value.code, icmp.value.nextHopMtu], [4, 1472]);
  });

  it('gives packets the node originates toward the tun the tun address as source', () => {
    const { engine, read, r } = tunLab();
    assert.equal(
      r.sendIp({ dst: FAR, protocol: 17 }, 8, () => {}),
      undefined,
    );
    engine.runUntilIdle();
    assert.equal(read.length, 1);
    assert.deepEqual(read[0]!.subarray(12, 16), hex('0a 63 00 01')); // 10.99.0.1
  });
});

describe('TunDev: the process writes, the node receives', () => {
  it('routes a written packet like one received on the device: out of eth0 to P, TTL - 1, MACs filled in', () => {
    const { engine, p, tun } = tunLab();
    const packet = udpPacket(FAR, P, 10);
    const before = packet.slice();
    tun.write(packet);
    engine.runUntilIdle();
    assert.equal(p.got.length, 1);
    const f = p.got[0]!;
    assert.deepEqual(f.subarray(0, 14), hex('020000000021  020000000010  0800'));
    assert.deepEqual(f.subarray(14), udpPacket(FAR, P, 9));
    assert.deepEqual(packet, before, 'write copies: the caller keeps its bytes');
    assert.equal(tun.rxPackets, 1);
  });

  it('delivers a written echo request to the tun address locally; the reply goes back to the reader', () => {
    const { engine, read, tun } = tunLab();
    const echo = hex('08 00 f7 fe 00 01 00 00'); // type 8, id 1, seq 0; checksum ~0x0801
    tun.write(
      buildIpv4(
        {
          tos: 0,
          id: 7,
          df: false,
          mf: false,
          fragmentOffset: 0,
          ttl: 64,
          protocol: 1,
          src: FAR,
          dst: TUN_ADDR,
          options: new Uint8Array(0),
        },
        echo,
      ),
    );
    engine.runUntilIdle();
    assert.equal(read.length, 1);
    const reply = read[0]!;
    assert.deepEqual([reply[9], reply[20]], [1, 0], 'ICMP echo reply');
    assert.deepEqual(reply.subarray(12, 20), hex('0a 63 00 01  0a 63 07 07'));
  });

  it('writeOwned puts the pseudo header in the 14 bytes before the packet: the wire frame is the same buffer', () => {
    const { engine, p } = tunLab();
    const packet = udpPacket(FAR, P, 10);
    const buf = new Uint8Array(20 + packet.length);
    buf.set(packet, 20);
    new TunDev(p.network.device('R') as IpNode, 'tun1').writeOwned(buf.subarray(20));
    engine.runUntilIdle();
    assert.equal(p.got.length, 1);
    assert.equal(p.got[0]!.buffer, buf.buffer);
    assert.equal(p.got[0]!.byteOffset, 6);
    assert.deepEqual(p.got[0]!.subarray(14), udpPacket(FAR, P, 9));
  });

  it('writeOwned without 14 bytes of headroom is a caller bug (it throws; write is the call for that)', () => {
    const { p, tun } = tunLab();
    assert.throws(() => tun.writeOwned(new Uint8Array(udpPacket(FAR, P, 10))), /headroom/);
    assert.equal(p.got.length, 0);
  });

  it('refuses what Linux refuses: no IP version nibble, a down device; IPv6 and bad headers go to the node', () => {
    const { engine, p, tun, drops } = tunLab();
    tun.write(new Uint8Array(0));
    tun.write(hex('50 00 00 14'));
    const v6 = new Uint8Array(40);
    v6[0] = 0x60;
    tun.write(v6);
    const bad = udpPacket(FAR, P, 10);
    bad[10]! ^= 0xff;
    tun.write(bad);
    tun.up = false;
    tun.write(udpPacket(FAR, P, 10));
    engine.runUntilIdle();
    assert.equal(p.got.length, 0);
    assert.deepEqual(drops(), ['malformed', 'malformed', 'unhandled-protocol', 'bad-checksum', 'link-down']);
  });

  it('traces a dropped bare packet as a tun frame (MACs zero), built only when tracing', () => {
    const { tun, rec, r } = tunLab();
    tun.dropPacket('policy', udpPacket(FAR, P, 10), 'test');
    const ev = rec.events.at(-1)!;
    assert.ok(ev.kind === 'drop' && ev.frame !== undefined);
    assert.deepEqual([ev.frame.srcMac, ev.frame.dstIp, ev.frame.ttl], ['00:00:00:00:00:00', '10.0.1.2', 10]);
    r.network.tracer = undefined;
    tun.dropPacket('policy', udpPacket(FAR, P, 10), 'untraced');
    assert.equal(r.drops.policy, 2);
  });
});
