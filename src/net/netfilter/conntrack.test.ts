/**
 * The conntrack table on its own: Linux's default timeouts (Documentation/networking/nf_conntrack-sysctl.rst
 * and nf_conntrack_proto_{tcp,udp,icmp,generic}.c), lazy expiry, the two tuples of a connection, the TCP
 * state table (tcp_conntracks[dir][flags][state] in nf_conntrack_proto_tcp.c), and `conntrack -L` lines
 * laid out as conntrack-tools 1.4 prints them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseIpv4, type Ipv4 } from '../../wire/addr.js';
import {
  CT_TIMEOUTS,
  Conntrack,
  formatConn,
  invert,
  tcpTransition,
  timeoutFor,
  tupleKey,
  tupleHash,
  type CtTcpState,
  type Tuple,
} from './conntrack.js';

const ip = (s: string): Ipv4 => parseIpv4(s)!;
const S = 1e9;
const TCP = 6;
const UDP = 17;
const ICMP = 1;
const SYN = 0x02;
const ACK = 0x10;
const FIN = 0x01;
const RST = 0x04;
const PSH = 0x08;

const dnsQuery: Tuple = { proto: UDP, src: ip('10.42.0.5'), sport: 40000, dst: ip('10.43.0.10'), dport: 53 };

describe('conntrack: timeouts are Linux defaults', () => {
  it('nf_conntrack_udp_timeout 30, _udp_timeout_stream 120, _icmp_timeout 30, _generic_timeout 600', () => {
    assert.deepEqual(
      [CT_TIMEOUTS.udp, CT_TIMEOUTS.udpStream, CT_TIMEOUTS.icmp, CT_TIMEOUTS.generic],
      [30 * S, 120 * S, 30 * S, 600 * S],
    );
  });

  it('TCP: SYN_SENT 2 min, SYN_RECV 60 s, ESTABLISHED 5 days, FIN_WAIT 2 min, CLOSE_WAIT 60 s, LAST_ACK 30 s, TIME_WAIT 2 min, CLOSE 10 s', () => {
    assert.deepEqual(CT_TIMEOUTS.tcp, {
      SYN_SENT: 120 * S,
      SYN_RECV: 60 * S,
      ESTABLISHED: 5 * 24 * 3600 * S,
      FIN_WAIT: 120 * S,
      CLOSE_WAIT: 60 * S,
      LAST_ACK: 30 * S,
      TIME_WAIT: 120 * S,
      CLOSE: 10 * S,
    });
  });

  it('timeoutFor picks by protocol, TCP state and whether a UDP flow is a stream', () => {
    assert.equal(timeoutFor(UDP, undefined, false), 30 * S);
    assert.equal(timeoutFor(UDP, undefined, true), 120 * S);
    assert.equal(timeoutFor(ICMP, undefined, false), 30 * S);
    assert.equal(timeoutFor(47 /* GRE */, undefined, false), 600 * S);
    assert.equal(timeoutFor(TCP, undefined, false), 120 * S, 'a TCP connection starts in SYN_SENT');
    assert.equal(timeoutFor(TCP, 'ESTABLISHED', true), 432000 * S);
    assert.equal(timeoutFor(TCP, 'TIME_WAIT', true), 120 * S);
  });
});

describe('conntrack: the table', () => {
  it('a new connection is invisible until confirmed, then found by both tuples with its direction', () => {
    const ct = new Conntrack();
    const c = ct.create(dnsQuery, 0);
    assert.equal(ct.created, 1);
    assert.deepEqual(
      c.reply,
      { proto: UDP, src: ip('10.43.0.10'), sport: 53, dst: ip('10.42.0.5'), dport: 40000 },
      'reply = mirror of orig',
    );
    assert.deepEqual([c.confirmed, c.seenReply, c.assured, c.expires, c.tcp], [false, false, false, 30 * S, undefined]);
    assert.equal(ct.lookup(dnsQuery, 0), undefined, 'unconfirmed: nf_conntrack_confirm has not run yet');
    ct.confirm(c);
    ct.confirm(c); // idempotent
    assert.deepEqual(ct.lookup(dnsQuery, 1), { conn: c, dir: 'orig' });
    assert.deepEqual(ct.lookup(invert(dnsQuery), 1), { conn: c, dir: 'reply' });
    assert.deepEqual(ct.entries(1), [c]);
  });

  it('a NATed connection is found by its translated reply tuple, not by the mirror of the original', () => {
    const ct = new Conntrack();
    const c = ct.create(dnsQuery, 0);
    c.reply = { proto: UDP, src: ip('10.42.1.7'), sport: 5353, dst: ip('10.42.0.5'), dport: 40000 }; // DNAT to 10.42.1.7:5353
    ct.confirm(c);
    assert.equal(ct.lookup(invert(dnsQuery), 1), undefined);
    assert.deepEqual(ct.lookup(c.reply, 1)?.dir, 'reply');
    assert.equal(ct.replyTaken(c.reply, 1), true);
    assert.equal(ct.replyTaken({ ...c.reply, dport: 40001 }, 1), false);
  });

  it('tuple keys tell every field apart', () => {
    const keys = new Set(
      [
        dnsQuery,
        { ...dnsQuery, proto: TCP },
        { ...dnsQuery, src: dnsQuery.src + 1 },
        { ...dnsQuery, sport: 40001 },
        { ...dnsQuery, dst: dnsQuery.dst + 1 },
        { ...dnsQuery, dport: 54 },
        invert(dnsQuery),
      ].map(tupleKey),
    );
    assert.equal(keys.size, 7);
  });

  it('tuple hashes (the table keys) tell every field apart and are safe integers', () => {
    const tuples = [
      dnsQuery,
      { ...dnsQuery, proto: TCP },
      { ...dnsQuery, src: dnsQuery.src + 1 },
      { ...dnsQuery, sport: 40001 },
      { ...dnsQuery, dst: dnsQuery.dst + 1 },
      { ...dnsQuery, dport: 54 },
      invert(dnsQuery),
      { proto: 255, src: 0xffff_ffff, sport: 65535, dst: 0xffff_ffff, dport: 65535 },
    ];
    const hashes = tuples.map(tupleHash);
    assert.equal(new Set(hashes).size, tuples.length);
    for (const h of hashes) assert.ok(Number.isSafeInteger(h) && h >= 0, String(h));
    // a table of 100,000 probes' tuples (one client, one server port): no two share a key
    const many = new Set<number>();
    for (let i = 0; i < 100_000; i++)
      many.add(
        tupleHash({ proto: TCP, src: 0x0a2a0002 + (i % 300), sport: 32768 + (i % 28232), dst: 0x0a2a0102, dport: 80 }),
      );
    assert.equal(many.size, 100_000);
  });

  it('expiry is lazy: the entry lives until `expires` (exclusive), is removed by the lookup that finds it dead, both tuples at once', () => {
    const ct = new Conntrack();
    const c = ct.create(dnsQuery, 5 * S);
    ct.confirm(c);
    assert.equal(c.expires, 35 * S);
    assert.deepEqual(ct.lookup(dnsQuery, 35 * S - 1)?.conn, c, 'one nanosecond before the timeout it is alive');
    assert.deepEqual(ct.entries(35 * S), [], 'conntrack -L no longer lists it');
    assert.equal(ct.expired, 0, 'nothing swept yet: expiry happens on lookup');
    assert.equal(ct.lookup(invert(dnsQuery), 35 * S), undefined, 'nf_ct_is_expired: timeout - now <= 0');
    assert.equal(ct.expired, 1);
    assert.equal(ct.lookup(dnsQuery, 35 * S), undefined, 'the original tuple went with it');
    assert.equal(ct.expired, 1, 'counted once');
  });

  it('a packet after expiry starts a NEW connection with fresh state (and a fresh translation)', () => {
    const ct = new Conntrack();
    const old = ct.create(dnsQuery, 0);
    old.reply = { ...old.reply, src: ip('10.42.1.7') };
    old.seenReply = old.assured = true;
    old.mark = 0x4000;
    ct.confirm(old);
    assert.equal(ct.lookup(dnsQuery, 30 * S), undefined);
    const fresh = ct.create(dnsQuery, 30 * S);
    assert.notEqual(fresh, old);
    assert.deepEqual(
      [fresh.reply.src, fresh.seenReply, fresh.assured, fresh.mark, fresh.expires],
      [ip('10.43.0.10'), false, false, 0, 60 * S],
    );
    ct.confirm(fresh);
    assert.deepEqual(ct.entries(30 * S), [fresh]);
    assert.equal(ct.created, 2);
  });
});

describe('conntrack: TCP states (tcp_conntracks in nf_conntrack_proto_tcp.c)', () => {
  const run = (steps: [number, 'orig' | 'reply'][], from?: CtTcpState): CtTcpState[] => {
    const out: CtTcpState[] = [];
    let s = from;
    for (const [flags, dir] of steps) {
      s = tcpTransition(s, flags, dir);
      out.push(s);
    }
    return out;
  };

  it('three-way handshake: SYN -> SYN_SENT, SYN/ACK -> SYN_RECV, ACK -> ESTABLISHED; data keeps it ESTABLISHED', () => {
    assert.deepEqual(
      run([
        [SYN, 'orig'],
        [SYN | ACK, 'reply'],
        [ACK, 'orig'],
        [PSH | ACK, 'orig'],
        [ACK, 'reply'],
      ]),
      ['SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'ESTABLISHED', 'ESTABLISHED'],
    );
  });

  it('a retransmitted SYN stays SYN_SENT; a stray SYN on an established connection is ignored', () => {
    assert.deepEqual(
      run([
        [SYN, 'orig'],
        [SYN, 'orig'],
      ]),
      ['SYN_SENT', 'SYN_SENT'],
    );
    assert.equal(tcpTransition('ESTABLISHED', SYN, 'orig'), 'ESTABLISHED');
  });

  it('close with FIN/ACK, FIN/ACK, ACK: FIN_WAIT, LAST_ACK, TIME_WAIT', () => {
    assert.deepEqual(
      run(
        [
          [FIN | ACK, 'orig'],
          [FIN | ACK, 'reply'],
          [ACK, 'orig'],
        ],
        'ESTABLISHED',
      ),
      ['FIN_WAIT', 'LAST_ACK', 'TIME_WAIT'],
    );
  });

  it('four-segment close: the ACK of the first FIN moves FIN_WAIT to CLOSE_WAIT (ack row: sFW -> sCW)', () => {
    // ORIGINAL ack row: { sES, sIV, sES, sES, sCW, sCW, sTW, sTW, sCL, sIV }; REPLY ack row: { sIV, sIG, sSR, sES, sCW, sCW, sTW, sTW, sCL, sIG }
    assert.deepEqual(
      run(
        [
          [FIN | ACK, 'orig'],
          [ACK, 'reply'],
          [FIN | ACK, 'reply'],
          [ACK, 'orig'],
        ],
        'ESTABLISHED',
      ),
      ['FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT'],
    );
  });

  it('the server closing first is FIN_WAIT too: conntrack names "a FIN was seen", not which side sent it (fin row: sES -> sFW both ways)', () => {
    assert.deepEqual(
      run(
        [
          [FIN | ACK, 'reply'],
          [ACK, 'orig'],
          [FIN | ACK, 'orig'],
          [ACK, 'reply'],
        ],
        'ESTABLISHED',
      ),
      ['FIN_WAIT', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT'],
    );
  });

  it('RST closes from any state, in either direction (rst row: everything -> sCL)', () => {
    for (const s of ['SYN_SENT', 'SYN_RECV', 'ESTABLISHED', 'FIN_WAIT', 'TIME_WAIT'] as const) {
      assert.equal(tcpTransition(s, RST, 'reply'), 'CLOSE');
      assert.equal(tcpTransition(s, RST | ACK, 'orig'), 'CLOSE');
    }
  });

  it('a new SYN on a TIME_WAIT connection reopens it (syn row: sTW -> sSS)', () => {
    assert.equal(tcpTransition('TIME_WAIT', SYN, 'orig'), 'SYN_SENT');
  });
});

describe('conntrack: conntrack -L lines', () => {
  it('UDP, unreplied, DNATed by kube-proxy: "[UNREPLIED]" before the reply tuple, seconds left rounded down', () => {
    const ct = new Conntrack();
    const c = ct.create(dnsQuery, 0);
    c.reply = { proto: UDP, src: ip('10.42.1.7'), sport: 53, dst: ip('10.42.0.5'), dport: 40000 };
    assert.equal(
      formatConn(c, 0.5 * S),
      'udp      17 29 src=10.42.0.5 dst=10.43.0.10 sport=40000 dport=53 [UNREPLIED] src=10.42.1.7 dst=10.42.0.5 sport=53 dport=40000 mark=0 use=1',
    );
  });

  it('TCP ESTABLISHED and ASSURED, with a connmark', () => {
    const ct = new Conntrack();
    const t: Tuple = { proto: TCP, src: ip('192.168.2.100'), sport: 34846, dst: ip('123.59.27.117'), dport: 993 };
    const c = ct.create(t, 0);
    c.tcp = 'ESTABLISHED';
    c.seenReply = c.assured = true;
    c.expires = 432000 * S;
    c.mark = 0x4000;
    assert.equal(
      formatConn(c, 1),
      'tcp      6 431999 ESTABLISHED src=192.168.2.100 dst=123.59.27.117 sport=34846 dport=993 src=123.59.27.117 dst=192.168.2.100 sport=993 dport=34846 [ASSURED] mark=16384 use=1',
    );
  });

  it('ICMP echo: type 8 out, type 0 back, the identifier on both sides (translated on the reply side)', () => {
    const ct = new Conntrack();
    const c = ct.create({ proto: ICMP, src: ip('10.0.0.2'), sport: 2571, dst: ip('8.8.8.8'), dport: 0 }, 0);
    c.reply = { proto: ICMP, src: ip('8.8.8.8'), sport: 0, dst: ip('203.0.113.1'), dport: 2572 };
    c.seenReply = true;
    assert.equal(
      formatConn(c, 1 * S),
      'icmp     1 29 src=10.0.0.2 dst=8.8.8.8 type=8 code=0 id=2571 src=8.8.8.8 dst=203.0.113.1 type=0 code=0 id=2572 mark=0 use=1',
    );
  });

  it('other protocols: addresses only; an expired entry shows 0, never a negative number', () => {
    const ct = new Conntrack();
    const c = ct.create(
      {
        proto: 253 /* experimental: no name in libnetfilter_conntrack */,
        src: ip('10.0.0.1'),
        sport: 0,
        dst: ip('10.0.0.2'),
        dport: 0,
      },
      0,
    );
    assert.equal(
      formatConn(c, 700 * S),
      'unknown  253 0 src=10.0.0.1 dst=10.0.0.2 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 mark=0 use=1',
    );
  });
});
