/**
 * tshark as an independent decoder of the BGP messages we emit: each message rides in its own TCP
 * segment from 10.0.0.1:179 to 10.0.0.2:50179 after a three-way handshake, and Wireshark's BGP dissector
 * must read the same fields we meant (type, OPEN fields and capabilities, every UPDATE attribute, the
 * NOTIFICATION codes, ROUTE-REFRESH) without a malformed-packet or error finding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildEthernet } from '../src/wire/ethernet.js';
import { IPPROTO_TCP, buildIpv4 } from '../src/wire/ipv4.js';
import { TCP_ACK, TCP_PSH, TCP_SYN, buildTcp } from '../src/wire/tcp.js';
import { type BgpMessage, BGP_CEASE_SUBCODE, BGP_ERR, BGP_PORT, emitBgpMessage } from '../src/wire/bgp.js';
import { PcapWriter } from '../src/observe/pcap.js';
import { requirePeer } from './support/peers.js';
import { assertCleanDecode, tsharkFramesOf } from './support/tshark.js';

const TSHARK = { bin: 'tshark', install: 'apt-get install -y tshark' };
const SPEAKER = 0x0a000001; // 10.0.0.1, the BGP side on port 179
const PEER = 0x0a000002;
const PEER_PORT = 50179;

const MESSAGES: BgpMessage[] = [
  {
    type: 'open',
    version: 4,
    myAs: 4200000001,
    holdTime: 90,
    bgpId: 0x0a000001,
    capabilities: [
      { kind: 'multiprotocol', afi: 1, safi: 1 },
      { kind: 'route-refresh' },
      { kind: 'graceful-restart', flags: 0x8, restartTime: 120, afis: [{ afi: 1, safi: 1, flags: 0x80 }] },
      { kind: 'four-octet-as', as: 4200000001 },
      { kind: 'enhanced-route-refresh' },
    ],
  },
  { type: 'keepalive' },
  {
    type: 'update',
    withdrawn: [{ addr: 0xc0a80a00, len: 24 }],
    attrs: {
      origin: 'incomplete',
      asPath: [
        { type: 'sequence', asns: [4200000001, 64512] },
        { type: 'set', asns: [64600, 64601] },
      ],
      nextHop: 0x0a000001,
      med: 50,
      localPref: 200,
      atomicAggregate: true,
      aggregator: { as: 64512, id: 0x0a0000fe },
      communities: [64512 * 65536 + 100, 0xffffff01],
      originatorId: 0x0a000003,
      clusterList: [0x0a0000fe, 0x0a0000fd],
      unknown: [],
    },
    nlri: [
      { addr: 0xc0a8bec0, len: 26 },
      { addr: 0x0af40000, len: 16 },
      { addr: 0, len: 0 },
    ],
  },
  {
    type: 'update',
    withdrawn: [],
    attrs: {
      mpReach: { afi: 1, safi: 1, nextHop: Uint8Array.of(10, 0, 0, 9), nlri: [{ addr: 0xac100000, len: 12 }] },
      mpUnreach: { afi: 1, safi: 1, withdrawn: [{ addr: 0x0a640000, len: 16 }] },
      origin: 'igp',
      asPath: [],
      unknown: [],
    },
    nlri: [],
  },
  { type: 'route-refresh', afi: 1, safi: 1, subtype: 0 },
  {
    type: 'notification',
    code: BGP_ERR.CEASE,
    subcode: BGP_CEASE_SUBCODE.ADMINISTRATIVE_SHUTDOWN,
    data: new Uint8Array(0),
  },
];

function capture(): Uint8Array {
  const pcap = new PcapWriter();
  let t = 0;
  const frame = (
    src: number,
    dst: number,
    sport: number,
    dport: number,
    seq: number,
    ack: number,
    flags: number,
    payload: Uint8Array = new Uint8Array(0),
  ): void => {
    const tcp = buildTcp(
      { srcPort: sport, dstPort: dport, seq, ack, flags, window: 65535, urgent: 0, options: [], payload },
      src,
      dst,
    );
    const ip = buildIpv4(
      {
        tos: 0xc0,
        id: 1,
        df: true,
        mf: false,
        fragmentOffset: 0,
        ttl: 1,
        protocol: IPPROTO_TCP,
        src,
        dst,
        options: new Uint8Array(0),
      },
      tcp,
    );
    const eth = buildEthernet({ dst: 0x02_00_00_00_00_02, src: 0x02_00_00_00_00_01, ethertype: 0x0800, payload: ip });
    pcap.write((t += 1_000_000), eth);
  };
  let seq = 1000;
  const peerSeq = 5000;
  frame(PEER, SPEAKER, PEER_PORT, BGP_PORT, peerSeq - 1, 0, TCP_SYN);
  frame(SPEAKER, PEER, BGP_PORT, PEER_PORT, seq - 1, peerSeq, TCP_SYN | TCP_ACK);
  frame(PEER, SPEAKER, PEER_PORT, BGP_PORT, peerSeq, seq, TCP_ACK);
  for (const m of MESSAGES) {
    const bytes = emitBgpMessage(m, { fourOctetAs: true });
    frame(SPEAKER, PEER, BGP_PORT, PEER_PORT, seq, peerSeq, TCP_PSH | TCP_ACK, bytes);
    seq += bytes.length;
  }
  return pcap.bytes();
}

test('tshark decodes podnet BGP messages with the fields we meant', (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  const frames = tsharkFramesOf(capture()).filter((f) => f.protocols.includes('bgp'));
  assert.equal(frames.length, MESSAGES.length);
  assertCleanDecode(frames);
  const [open, keepalive, update, mpUpdate, refresh, notification] = frames.map(
    (f) =>
      (k: string): string[] =>
        f.fields[k] ?? [],
  );
  assert.ok(open && keepalive && update && mpUpdate && refresh && notification);
  assert.deepEqual(
    frames.map((f) => f.fields['bgp.type']?.[0]),
    ['1', '4', '2', '2', '5', '3'],
  );

  assert.deepEqual(open('bgp.open.version'), ['4']);
  assert.deepEqual(open('bgp.open.myas'), ['23456'], 'AS_TRANS in My AS');
  assert.deepEqual(open('bgp.open.holdtime'), ['90']);
  assert.deepEqual(open('bgp.open.identifier'), ['10.0.0.1']);
  assert.deepEqual(open('bgp.cap.type'), ['1', '2', '64', '65', '70']);
  assert.deepEqual(open('bgp.cap.4as'), ['4200000001']);
  assert.deepEqual([open('bgp.cap.mp.afi'), open('bgp.cap.mp.safi')], [['1'], ['1']]);
  assert.deepEqual(open('bgp.cap.gr.timers.restart_time'), ['120']);
  assert.deepEqual(open('bgp.cap.gr.timers.restart_flag'), ['1']);
  assert.deepEqual(open('bgp.cap.gr.flag.pfs'), ['1']);
  assert.deepEqual(keepalive('bgp.length'), ['19']);

  assert.deepEqual(update('bgp.withdrawn_prefix'), ['192.168.10.0']);
  assert.deepEqual(update('bgp.update.path_attribute.type_code'), ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
  assert.deepEqual(update('bgp.update.path_attribute.origin'), ['2']);
  assert.deepEqual(update('bgp.update.path_attribute.as_path_segment.type'), ['2', '1']);
  assert.deepEqual(update('bgp.update.path_attribute.as_path_segment.as4'), ['4200000001', '64512', '64600', '64601']);
  assert.deepEqual(update('bgp.update.path_attribute.next_hop'), ['10.0.0.1']);
  assert.deepEqual(update('bgp.update.path_attribute.multi_exit_disc'), ['50']);
  assert.deepEqual(update('bgp.update.path_attribute.local_pref'), ['200']);
  assert.deepEqual(update('bgp.update.path_attribute.aggregator_as'), ['64512']);
  assert.deepEqual(update('bgp.update.path_attribute.aggregator_origin'), ['10.0.0.254']);
  assert.deepEqual(update('bgp.update.path_attribute.community_as'), ['64512']);
  assert.deepEqual(update('bgp.update.path_attribute.community_value'), ['100']);
  assert.deepEqual(update('bgp.update.path_attribute.community_wellknown'), ['0xffffff01']);
  assert.deepEqual(update('bgp.update.path_attribute.originator_id'), ['10.0.0.3']);
  assert.deepEqual(update('bgp.path_attribute.cluster_id'), ['10.0.0.254', '10.0.0.253']);
  assert.deepEqual(update('bgp.nlri_prefix'), ['192.168.190.192', '10.244.0.0', '0.0.0.0']);
  assert.deepEqual(update('bgp.prefix_length'), ['24', '26', '16', '0']);

  assert.deepEqual(mpUpdate('bgp.update.path_attribute.type_code'), ['14', '15', '1', '2']);
  assert.deepEqual(mpUpdate('bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv4'), ['10.0.0.9']);
  assert.deepEqual(mpUpdate('bgp.mp_reach_nlri_ipv4_prefix'), ['172.16.0.0']);
  assert.deepEqual(mpUpdate('bgp.mp_unreach_nlri_ipv4_prefix'), ['10.100.0.0']);

  assert.deepEqual([refresh('bgp.route_refresh.afi'), refresh('bgp.route_refresh.safi')], [['1'], ['1']]);
  assert.deepEqual(notification('bgp.notify.major_error'), ['6']);
  assert.deepEqual(notification('bgp.notify.minor_error_cease'), ['2']);
});
