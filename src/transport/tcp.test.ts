/**
 * TCP opening and closing, checked as one checks Linux with tcpdump on both hosts: the handshake's flags,
 * sequence and acknowledgment numbers and options worked out by hand, a closed port's RST, SYN
 * retransmission timing up to the connection timeout, the backlog, the FIN exchange and TIME-WAIT.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MS, SECOND, US } from '../sim/engine.js';
import type { Tracer } from '../link/trace.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, formatTcpFlags } from '../wire/tcp.js';
import { TcpError, type TcpCloseReason, type TcpSocket } from './tcp.js';
import { readAll } from './socket.js';
import { SegmentTap, dropOnly, ip, tcpOf, threeHopLab, twoHostLab, type SeenSegment, type TcpLab } from './testing.js';

const MAC_B = 0x02_00_00_00_00_0b;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Segments both hosts send, and every TCP state change ("A: SYN-SENT -> ESTABLISHED"). */
function watch(lab: TcpLab): { tap: SegmentTap; states: string[] } {
  const tap = new SegmentTap(['A', 'B']);
  const states: string[] = [];
  const tracer: Tracer = {
    frame: (...a) => tap.frame(...a),
    note: (_t, device, message) => {
      const m = /^TCP .*: ([A-Z0-9-]+ -> [A-Z0-9-]+)$/.exec(message);
      if (m) states.push(`${device}: ${m[1]}`);
    },
  };
  lab.net.tracer = tracer;
  return { tap, states };
}

/** "A S. seq ack win [len]" lines, seq/ack relative to each side's ISN, as tcpdump prints them by default. */
function flow(segs: SeenSegment[]): string[] {
  const isn = new Map<string, number>();
  for (const s of segs) if (s.seg.flags & TCP_SYN) isn.set(s.device, s.seg.seq);
  const other = (d: string): string => (d === 'A' ? 'B' : 'A');
  return segs.map((s) => {
    const rel = (v: number, d: string): number => (v - (isn.get(d) ?? 0)) >>> 0;
    const ack = s.seg.flags & TCP_ACK ? ` ack ${rel(s.seg.ack, other(s.device))}` : '';
    return `${s.device} ${formatTcpFlags(s.seg.flags)} seq ${rel(s.seg.seq, s.device)}${ack} len ${s.seg.payload.length}`;
  });
}

describe('tcp handshake', () => {
  it('puts SYN, SYN-ACK and ACK on the wire with the numbers and options RFC 9293 and RFC 7323 give', () => {
    const lab = twoHostLab();
    const { tap } = watch(lab);
    const accepted: TcpSocket[] = [];
    lab.tb.listen(80, (s) => accepted.push(s));
    const c = lab.ta.connect(lab.B, 80);
    let connectedAt = -1;
    c.on('connect', () => (connectedAt = lab.engine.now));
    lab.engine.run();
    assert.equal(tap.segments.length, 3, flow(tap.segments).join('\n'));
    const [syn, synAck, ack] = tap.segments.map((s) => s.seg) as [
      SeenSegment['seg'],
      SeenSegment['seg'],
      SeenSegment['seg'],
    ];
    // Linux 6.x's handshake, byte for byte as two namespaces on this kernel sent it (test/tcp-kernel.test.ts
    // compares live): SYN window 64240 (44 x 1460: tcp_select_initial_window over half of tcp_rmem[1]),
    // options MSS 1460, SACK-permitted + timestamps (combined form, TSecr 0), NOP, window scale 7 (for
    // tcp_rmem[2] = 6 MiB): 20 option bytes
    const tsA = syn.options.find((o) => o.kind === 'timestamps');
    assert.ok(tsA?.kind === 'timestamps');
    assert.deepEqual(
      { src: syn.srcPort, dst: syn.dstPort, flags: syn.flags, ack: syn.ack, window: syn.window, options: syn.options },
      {
        src: syn.srcPort,
        dst: 80,
        flags: TCP_SYN,
        ack: 0,
        window: 64240,
        options: [
          { kind: 'mss', mss: 1460 },
          { kind: 'sack-permitted' },
          { kind: 'timestamps', tsval: tsA.tsval, tsecr: 0 },
          { kind: 'nop' },
          { kind: 'wscale', shift: 7 },
        ],
      },
    );
    assert.equal(tap.segments[0]!.ipLength, 20 + 40, '40-byte TCP header: 20 + 20 option bytes');
    // SYN-ACK: acknowledges ISN(A) + 1 (the SYN takes a sequence number), echoes A's TSval; its window is
    // 65160 = 45 x 1448 (the MSS less the timestamps both now use: tcp_openreq_init_rwin)
    const tsB = synAck.options.find((o) => o.kind === 'timestamps');
    assert.ok(tsB?.kind === 'timestamps');
    assert.deepEqual(
      {
        src: synAck.srcPort,
        dst: synAck.dstPort,
        flags: synAck.flags,
        ack: synAck.ack,
        window: synAck.window,
        options: synAck.options,
      },
      {
        src: 80,
        dst: syn.srcPort,
        flags: TCP_SYN | TCP_ACK,
        ack: (syn.seq + 1) >>> 0,
        window: 65160,
        options: [
          { kind: 'mss', mss: 1460 },
          { kind: 'sack-permitted' },
          { kind: 'timestamps', tsval: tsB.tsval, tsecr: tsA.tsval },
          { kind: 'nop' },
          { kind: 'wscale', shift: 7 },
        ],
      },
    );
    // ACK: seq ISN(A) + 1, ack ISN(B) + 1, NOP NOP timestamps, window 64240 rounded up to the scale unit
    // (ALIGN to 128: 64256 / 128 = 502, as the kernel's first ACK)
    assert.deepEqual(
      {
        flags: ack.flags,
        seq: ack.seq,
        ack: ack.ack,
        window: ack.window,
        options: ack.options,
        len: tap.segments[2]!.ipLength,
      },
      {
        flags: TCP_ACK,
        seq: (syn.seq + 1) >>> 0,
        ack: (synAck.seq + 1) >>> 0,
        window: 502,
        options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamps', tsval: tsA.tsval, tsecr: tsB.tsval }],
        len: 52,
      },
    );
    // connected when the SYN-ACK arrives: a 74-byte frame (with its options), 86 bytes with preamble and
    // FCS, at 1 Gbps (688 ns) + 100 µs of cable
    assert.equal(connectedAt, tap.segments[1]!.time + 688 + 100 * US);
    assert.equal(c.state, 'ESTABLISHED');
    assert.equal(accepted.length, 1);
    assert.deepEqual(
      [accepted[0]!.state, accepted[0]!.remoteIp, accepted[0]!.remotePort, accepted[0]!.localPort],
      ['ESTABLISHED', lab.A, c.localPort, 80],
    );
    // the handshake gave each side one RTT sample (Karn: neither SYN was retransmitted); as in Linux, the
    // client's runs from connect() and so includes the ARP exchange that held the SYN back
    assert.equal(c.stats.rttSamples, 1);
    assert.equal(c.stats.srttNs, connectedAt - 0);
    assert.equal(accepted[0]!.stats.rttSamples, 1);
  });

  it('picks connect() ports as Linux does: even, in 32768-60999, moving on from a per-destination offset', () => {
    // what Linux 6.18 did in a namespace (12 connects to one server): 50504, 50516, 50528, 50544, 50548,
    // 50562, 50572, 50580, 50582, 50590, 50592, 50600: even ports, rising by 2 to 16
    const lab = twoHostLab();
    lab.tb.listen(80, (s) => s.destroy());
    const ports: number[] = [];
    for (let i = 0; i < 12; i++) ports.push(lab.ta.connect(lab.B, 80).localPort);
    for (const p of ports) assert.ok(p >= 32768 && p <= 60999 && p % 2 === 0, `port ${p}`);
    const steps = ports.slice(1).map((p, i) => p - ports[i]!);
    for (const d of steps) assert.ok(d >= 2 && d <= 16 && d % 2 === 0, `steps ${steps.join(' ')}`);
    const other = twoHostLab({ seed: 2 }).ta.connect(lab.B, 80).localPort;
    assert.notEqual(other, ports[0], 'another seed, another offset');
    assert.equal(twoHostLab().ta.connect(lab.B, 80).localPort, ports[0], 'the same seed, the same port');
  });

  it('discards a segment whose TSval is older than TS.Recent (RFC 7323 PAWS) and answers with an ACK', () => {
    const lab = twoHostLab();
    const { tap } = watch(lab);
    let server: TcpSocket | undefined;
    let got = '';
    lab.tb.listen(80, (s) => {
      server = s;
      s.on('data', (d) => (got += str(d)));
    });
    const c = lab.ta.connect(lab.B, 80);
    c.on('connect', () => c.write(text('new')));
    lab.engine.run(1 * SECOND);
    const last = tap.from('A').at(-1)!.seg;
    const ts = last.options.find((o) => o.kind === 'timestamps');
    assert.ok(ts?.kind === 'timestamps');
    const acksBefore = tap.from('B').length;
    // an old duplicate: in window, but stamped 10 ms before what B last echoed
    server!.segmentArrives({
      ...last,
      seq: (last.seq + 3) >>> 0,
      payload: text('old'),
      options: [
        { kind: 'nop' },
        { kind: 'nop' },
        { kind: 'timestamps', tsval: (ts.tsval - 10) >>> 0, tsecr: ts.tsecr },
      ],
    });
    lab.engine.run(2 * SECOND);
    assert.equal(got, 'new', 'the old segment was not delivered');
    assert.equal(lab.b.drops['tcp-paws'], 1);
    assert.equal(tap.from('B').length, acksBefore + 1, 'a duplicate ACK answers it (tcp_send_dupack)');
  });

  it('draws the ISN from the engine PRNG: the same seed gives the same ISN, another seed another', () => {
    const isn = (seed: number): number => {
      const lab = twoHostLab({ seed });
      const { tap } = watch(lab);
      lab.ta.connect(lab.B, 80);
      lab.engine.run(1 * MS);
      return tap.segments[0]!.seg.seq;
    };
    assert.equal(isn(7), isn(7));
    assert.notEqual(isn(7), isn(8));
  });

  it('answers a SYN without options with an MSS alone, and without timestamps a SYN-ACK window of 64240', () => {
    const lab = twoHostLab();
    const { tap } = watch(lab);
    lab.tb.listen(80, () => {});
    lab.ta.connect(lab.B, 80, { windowScaling: false, timestamps: false, sack: false });
    lab.engine.run();
    assert.deepEqual(tap.segments[0]!.seg.options, [{ kind: 'mss', mss: 1460 }]);
    // RFC 7323 §1.3, RFC 2018 §2: the SYN-ACK offers only what the SYN did; the window stays in whole
    // 1460-byte segments (rounddown(65536, 1460) = 64240)
    assert.deepEqual(tap.segments[1]!.seg.options, [{ kind: 'mss', mss: 1460 }]);
    assert.equal(tap.segments[1]!.seg.window, 64240);
    assert.deepEqual(tap.segments[2]!.seg.options, [], 'and no later segment carries options');
    assert.equal(tap.segments[2]!.seg.window, 64240, 'unscaled');
  });

  it('puts timestamps without SACK behind two NOPs, and SACK-permitted without timestamps too (tcp_options_write)', () => {
    const lab = twoHostLab();
    const { tap } = watch(lab);
    lab.tb.listen(80, () => {});
    lab.tb.listen(81, () => {});
    lab.ta.connect(lab.B, 80, { sack: false });
    lab.ta.connect(lab.B, 81, { timestamps: false });
    lab.engine.run();
    const syns = tap.from('A').filter((s) => s.seg.flags === TCP_SYN);
    const kinds = (i: number): string[] => syns[i]!.seg.options.map((o) => o.kind);
    assert.deepEqual(kinds(0), ['mss', 'nop', 'nop', 'timestamps', 'nop', 'wscale']);
    assert.deepEqual(kinds(1), ['mss', 'nop', 'nop', 'sack-permitted', 'nop', 'wscale']);
  });

  it('derives the MSS from the interface MTU, and sends no segment larger than either side allows', () => {
    const lab = twoHostLab({ mtuA: 1400 });
    const { tap } = watch(lab);
    lab.tb.listen(80, (s) => {
      s.write(new Uint8Array(5000));
      s.end();
    });
    const c = lab.ta.connect(lab.B, 80);
    c.on('connect', () => {
      c.write(new Uint8Array(5000));
      c.end();
    });
    lab.engine.run();
    assert.deepEqual(tap.segments[0]!.seg.options[0], { kind: 'mss', mss: 1360 }, 'A: 1400 - 40');
    assert.deepEqual(tap.segments[1]!.seg.options[0], { kind: 'mss', mss: 1460 }, 'B: 1500 - 40');
    const biggest = (d: string): number => Math.max(...tap.from(d).map((s) => s.seg.payload.length));
    // every segment carries 12 bytes of timestamps, so a full segment holds 1360 - 12 bytes of data
    assert.equal(biggest('A'), 1348);
    assert.equal(biggest('B'), 1348, 'B respects the MSS A announced');
    assert.equal(c.stats.mss, 1348);
  });

  it('refuses a connection to a closed port: RST+ACK acknowledging the SYN, reported as "refused"', () => {
    const lab = twoHostLab();
    const { tap } = watch(lab);
    const c = lab.ta.connect(lab.B, 81);
    const reasons: [number, TcpCloseReason][] = [];
    c.on('close', (r) => reasons.push([lab.engine.now, r]));
    lab.engine.run();
    assert.deepEqual(flow(tap.segments), ['A S seq 0 len 0', 'B R. seq 0 ack 1 len 0']);
    const [syn, rst] = tap.segments;
    // RFC 9293 §3.10.7.1: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, window 0, as Linux sends it
    assert.deepEqual(
      [rst!.seg.seq, rst!.seg.ack, rst!.seg.flags, rst!.seg.window],
      [0, (syn!.seg.seq + 1) >>> 0, TCP_RST | TCP_ACK, 0],
    );
    // the 54-byte RST is padded to 60 on the wire, plus preamble and FCS: 72 bytes
    assert.deepEqual(reasons, [[rst!.time + 72 * 8 + 100 * US, 'refused']], 'refused one RTT after the SYN');
    assert.equal(c.state, 'CLOSED');
    assert.deepEqual(lab.b.drops, { 'no-listener': 1 });
    assert.equal(lab.tb.resetsSent, 1);
    assert.equal(lab.ta.connections().length, 0);
  });

  it('rejects connectAsync with a TcpError naming the reason', async () => {
    const lab = twoHostLab();
    const p = lab.ta.connectAsync(lab.B, 81);
    lab.engine.run();
    await assert.rejects(p, (e: unknown) => e instanceof TcpError && e.reason === 'refused');
  });

  it('retransmits the SYN after 1, 2, 4 ... 32 s and times out at 127 s (Linux tcp_syn_retries 6)', () => {
    const lab = twoHostLab({ middle: { loss: 1 } });
    lab.a.addPermanentNeighbor('eth0', lab.B, MAC_B); // so SYNs reach the wire (where all are lost)
    const { tap } = watch(lab);
    const c = lab.ta.connect(lab.B, 80);
    const reasons: [number, TcpCloseReason][] = [];
    c.on('close', (r) => reasons.push([lab.engine.now, r]));
    lab.engine.run();
    const times = tap.from('A').map((s) => s.time / SECOND);
    assert.deepEqual(times, [0, 1, 3, 7, 15, 31, 63], 'RFC 6298 §5.5: the RTO doubles after each expiry');
    assert.ok(
      tap.from('A').every((s) => s.seg.flags === TCP_SYN && s.seg.seq === tap.segments[0]!.seg.seq),
      'the same SYN each time',
    );
    assert.deepEqual(reasons, [[127 * SECOND, 'timeout']]);
    assert.equal(c.stats.timeouts, 6);
    assert.equal(c.stats.retransmissions, 6);
    assert.equal(c.stats.rttSamples, 0);
  });

  it('gives up earlier when connect() has a timeout, and with fewer SYN retries when configured', () => {
    const lab = twoHostLab({ middle: { loss: 1 } });
    lab.a.addPermanentNeighbor('eth0', lab.B, MAC_B);
    const r1: [number, TcpCloseReason][] = [];
    const r2: [number, TcpCloseReason][] = [];
    lab.ta.connect(lab.B, 80, { timeoutNs: 5 * SECOND }).on('close', (r) => r1.push([lab.engine.now, r]));
    lab.ta.connect(lab.B, 80, { synRetries: 2 }).on('close', (r) => r2.push([lab.engine.now, r]));
    lab.engine.run();
    assert.deepEqual(r1, [[5 * SECOND, 'timeout']]);
    assert.deepEqual(r2, [[7 * SECOND, 'timeout']], 'SYN at 0, 1, 3 s; the third RTO (4 s) expires at 7 s');
  });

  it('reports "unreachable" when a router answers the SYN with ICMP host unreachable', () => {
    const lab = threeHopLab();
    const c = lab.ta.connect(ip('10.0.2.99'), 80); // no such host behind r2: its ARP fails after 3 probes
    const reasons: [number, TcpCloseReason][] = [];
    c.on('close', (r) => reasons.push([lab.engine.now, r]));
    lab.engine.run();
    assert.equal(reasons.length, 1);
    assert.equal(reasons[0]![1], 'unreachable');
    assert.ok(reasons[0]![0] > 3 * SECOND && reasons[0]![0] < 3.01 * SECOND, `at ${reasons[0]![0]}`);
  });

  it('reports "unreachable" at once when there is no route', () => {
    const lab = twoHostLab();
    const c = lab.ta.connect(ip('192.0.2.1'), 80);
    const reasons: TcpCloseReason[] = [];
    c.on('close', (r) => reasons.push(r));
    lab.engine.run();
    assert.deepEqual(reasons, ['unreachable']);
  });

  it('drops SYNs beyond the backlog; the client gets in on its SYN retransmission once there is room', () => {
    const lab = twoHostLab();
    const accepted: [number, number][] = [];
    const l = lab.tb.listen(80, { backlog: 1 }, (s) => accepted.push([lab.engine.now, s.remotePort]));
    l.pause();
    const c1 = lab.ta.connect(lab.B, 80);
    let c2: TcpSocket | undefined;
    lab.engine.schedule(10 * MS, () => (c2 = lab.ta.connect(lab.B, 80)));
    lab.engine.schedule(500 * MS, () => l.resume());
    lab.engine.run();
    assert.equal(c1.state, 'ESTABLISHED', 'the first completes its handshake and waits in the accept queue');
    assert.equal(c2!.state, 'ESTABLISHED');
    assert.deepEqual(lab.b.drops, { 'listen-overflow': 1 });
    assert.equal(accepted.length, 2);
    assert.deepEqual(accepted[0], [500 * MS, c1.localPort], 'accepted when the application resumes');
    assert.equal(accepted[1]![1], c2!.localPort);
    assert.ok(accepted[1]![0] > 1010 * MS && accepted[1]![0] < 1011 * MS, 'after the SYN retransmitted 1 s later');
    assert.equal(c2!.stats.timeouts, 1);
  });

  it('connects over loopback to its own address', () => {
    const lab = twoHostLab();
    let got = '';
    lab.ta.listen(7, (s) => s.on('data', (d) => s.write(d)));
    const c = lab.ta.connect(lab.A, 7);
    c.on('connect', () => c.write(text('echo me')));
    c.on('data', (d) => (got += str(d)));
    lab.engine.run(1 * SECOND);
    assert.equal(got, 'echo me');
    assert.equal(c.stats.mss, 65495 - 12, 'loopback MSS, as Linux announces on lo, less the timestamps');
  });
});

describe('tcp close', () => {
  /** A request, an answer, and both FINs; the client closes first. */
  function exchange(lab: TcpLab): { client: TcpSocket; server: () => TcpSocket; answers: string[]; closes: string[] } {
    let server: TcpSocket | undefined;
    const answers: string[] = [];
    const closes: string[] = [];
    lab.tb.listen(80, (s) => {
      server = s;
      readAll(s, (req) => {
        s.write(text(`you said ${str(req)}`));
        s.end();
      });
      s.on('close', (r) => closes.push(`B ${r} at ${lab.engine.now}`));
    });
    const client = lab.ta.connect(lab.B, 80);
    client.on('connect', () => {
      client.write(text('hi'));
      client.end();
    });
    readAll(client, (b) => answers.push(str(b)));
    client.on('close', (r) => closes.push(`A ${r} at ${lab.engine.now}`));
    return { client, server: () => server!, answers, closes };
  }

  it('closes with FIN from each side, the active closer passing FIN-WAIT-1, FIN-WAIT-2 and TIME-WAIT', () => {
    const lab = twoHostLab();
    const { tap, states } = watch(lab);
    const { client, server, answers } = exchange(lab);
    lab.engine.run(1 * SECOND);
    assert.deepEqual(answers, ['you said hi']);
    assert.deepEqual(flow(tap.segments), [
      'A S seq 0 len 0',
      'B S. seq 0 ack 1 len 0',
      'A . seq 1 ack 1 len 0',
      'A P. seq 1 ack 1 len 2',
      'A F. seq 3 ack 1 len 0',
      // as Linux 6.18 between two namespaces (python3: sendall, shutdown(SHUT_WR); the server reads to EOF,
      // answers and closes): the first data is ACKed at once (quickack mode), the FIN's ACK waits and rides
      // on the answer (tcp_fin enters interactive mode), the answer is ACKed at once (A's first data), and
      // the FIN in FIN-WAIT-2 at once. The kernel sent A's FIN after B's first ACK only because python's
      // shutdown() came 37 µs after its send().
      'B . seq 1 ack 3 len 0',
      'B P. seq 1 ack 4 len 11',
      'B F. seq 12 ack 4 len 0',
      'A . seq 4 ack 12 len 0',
      'A . seq 4 ack 13 len 0',
    ]);
    assert.deepEqual(states, [
      'A: CLOSED -> SYN-SENT',
      'B: CLOSED -> SYN-RECEIVED',
      'A: SYN-SENT -> ESTABLISHED',
      'A: ESTABLISHED -> FIN-WAIT-1',
      'B: SYN-RECEIVED -> ESTABLISHED',
      'B: ESTABLISHED -> CLOSE-WAIT',
      'B: CLOSE-WAIT -> LAST-ACK',
      'A: FIN-WAIT-1 -> FIN-WAIT-2',
      'A: FIN-WAIT-2 -> TIME-WAIT',
      'B: LAST-ACK -> CLOSED',
    ]);
    assert.equal(client.state, 'TIME-WAIT');
    assert.equal(server().state, 'CLOSED');
    assert.equal(server().closeReason, 'closed');
  });

  it('holds TIME-WAIT for 2 MSL (60 s, as Linux) and then forgets the connection', () => {
    const lab = twoHostLab();
    const { tap } = watch(lab);
    const { client, closes } = exchange(lab);
    lab.engine.run(1 * SECOND);
    const lastAck = tap.from('A').at(-1)!.time;
    assert.equal(client.state, 'TIME-WAIT');
    assert.equal(client.closeReason, 'closed', 'the application is told at TIME-WAIT');
    assert.equal(closes.filter((c) => c.startsWith('A')).length, 1);
    lab.engine.run(lastAck + 60 * SECOND - 1);
    assert.equal(client.state, 'TIME-WAIT');
    assert.equal(lab.ta.connections().length, 1);
    lab.engine.run(lastAck + 60 * SECOND);
    assert.equal(client.state, 'CLOSED');
    assert.equal(lab.ta.connections().length, 0);
    assert.equal(closes.filter((c) => c.startsWith('A')).length, 1, 'close fires once');
  });

  it('re-acknowledges a retransmitted FIN in TIME-WAIT when its last ACK was lost, and restarts the timer', () => {
    let finEnd = -1;
    let dropped = 0;
    const lab = twoHostLab({
      impair: dropOnly((f) => {
        const t = tcpOf(f);
        if (t === undefined) return false;
        if (t.src === ip('10.0.0.2') && t.seg.flags & TCP_FIN) finEnd = (t.seg.seq + t.seg.payload.length + 1) >>> 0;
        // A's ACK of B's FIN, once (the answer's own ACK went before it)
        const lastAck = t.src === ip('10.0.0.1') && t.seg.flags === TCP_ACK && t.seg.ack === finEnd && dropped === 0;
        if (lastAck) dropped++;
        return lastAck;
      }),
    });
    const { tap } = watch(lab);
    const { client, server } = exchange(lab);
    lab.engine.run(10 * SECOND);
    const finsFromB = tap.from('B').filter((s) => s.seg.flags & TCP_FIN);
    assert.equal(finsFromB.length, 2, 'B retransmits its FIN after the RTO');
    // the answer was acknowledged, so only the FIN goes again
    assert.deepEqual(flow(tap.segments).slice(-3), [
      'A . seq 4 ack 13 len 0',
      'B F. seq 12 ack 4 len 0',
      'A . seq 4 ack 13 len 0',
    ]);
    assert.equal(server().state, 'CLOSED');
    assert.equal(server().closeReason, 'closed');
    const acksAfter = tap.from('A').filter((s) => s.time > finsFromB[1]!.time);
    assert.equal(acksAfter.length, 1);
    assert.equal(acksAfter[0]!.seg.ack, (finsFromB[1]!.seg.seq + 1) >>> 0);
    // the 2 MSL timer restarted at the retransmitted FIN
    lab.engine.run(acksAfter[0]!.time + 60 * SECOND - 1);
    assert.equal(client.state, 'TIME-WAIT');
    lab.engine.run(acksAfter[0]!.time + 60 * SECOND);
    assert.equal(client.state, 'CLOSED');
  });

  it('passes through CLOSING to TIME-WAIT on both sides when both close at once', () => {
    const lab = twoHostLab();
    const { states } = watch(lab);
    let server: TcpSocket | undefined;
    lab.tb.listen(80, (s) => (server = s));
    const client = lab.ta.connect(lab.B, 80);
    lab.engine.run(1 * SECOND);
    client.end();
    server!.end();
    lab.engine.run(2 * SECOND);
    assert.deepEqual(
      states.filter((s) => !/SYN|-> ESTABLISHED/.test(s)),
      // the FINs cross: A's, sent first, reaches B first, so B's ACK of it reaches A first
      [
        'A: ESTABLISHED -> FIN-WAIT-1',
        'B: ESTABLISHED -> FIN-WAIT-1',
        'B: FIN-WAIT-1 -> CLOSING',
        'A: FIN-WAIT-1 -> CLOSING',
        'A: CLOSING -> TIME-WAIT',
        'B: CLOSING -> TIME-WAIT',
      ],
    );
  });

  it('keeps receiving after its own FIN (half-close) until the peer closes', () => {
    const lab = twoHostLab();
    const got: number[] = [];
    lab.tb.listen(80, (s) => {
      s.on('end', () => {
        // the client has finished writing; the server still answers at length, later
        let left = 5;
        const tick = (): void => {
          s.write(new Uint8Array(3000).fill(left));
          if (--left > 0) lab.engine.schedule(100 * MS, tick);
          else s.end();
        };
        tick();
      });
    });
    const c = lab.ta.connect(lab.B, 80);
    c.on('connect', () => c.end());
    readAll(c, (b) => got.push(b.length));
    lab.engine.run(2 * SECOND);
    assert.deepEqual(got, [15000]);
    assert.equal(c.state, 'TIME-WAIT');
  });

  it('destroy() sends RST: the peer closes with "reset", this side with "aborted"', () => {
    const lab = twoHostLab();
    const { tap } = watch(lab);
    let server: TcpSocket | undefined;
    lab.tb.listen(80, (s) => (server = s));
    const c = lab.ta.connect(lab.B, 80);
    const reasons: string[] = [];
    c.on('close', (r) => reasons.push(`A ${r}`));
    lab.engine.run(1 * SECOND);
    server!.on('close', (r) => reasons.push(`B ${r}`));
    server!.destroy();
    lab.engine.run(2 * SECOND);
    assert.deepEqual(reasons, ['B aborted', 'A reset']);
    assert.equal(formatTcpFlags(tap.from('B').at(-1)!.seg.flags), 'R.');
    assert.equal(lab.ta.connections().length + lab.tb.connections().length, 0);
  });

  it('throws on write after end() (a caller bug)', () => {
    const lab = twoHostLab();
    lab.tb.listen(80, () => {});
    const c = lab.ta.connect(lab.B, 80);
    lab.engine.run(1 * SECOND);
    c.end();
    assert.throws(() => c.write(text('late')), /write after end/);
  });

  it('sends PSH on the segment that empties the send buffer', () => {
    const lab = twoHostLab();
    const { tap } = watch(lab);
    lab.tb.listen(80, () => {});
    const c = lab.ta.connect(lab.B, 80);
    c.on('connect', () => c.write(new Uint8Array(3000)));
    lab.engine.run(1 * SECOND);
    const data = tap.from('A').filter((s) => s.seg.payload.length > 0);
    assert.deepEqual(
      data.map((s) => [s.seg.payload.length, (s.seg.flags & TCP_PSH) !== 0]),
      [
        [1448, false],
        [1448, false],
        [104, true],
      ],
    );
  });
});

describe('tcp keepalive and FIN-WAIT-2 timeout', () => {
  it('probes an idle connection with SND.UNA - 1 and no data, which the peer answers (SO_KEEPALIVE)', () => {
    // Linux 6.18 between two namespaces (python3, SO_KEEPALIVE, TCP_KEEPIDLE 1, TCP_KEEPINTVL 1): 1 s after
    // the last segment it received, the client sent an ACK with seq SND.UNA - 1 and no data; the server
    // answered with an ACK of SND.UNA; the next probe came 1 s after that answer
    const lab = twoHostLab({ tcp: { keepAliveTimeNs: 1 * SECOND, keepAliveIntervalNs: 1 * SECOND } });
    const { tap } = watch(lab);
    lab.tb.listen(80, () => {});
    const c = lab.ta.connect(lab.B, 80);
    c.setKeepAlive(true);
    c.on('connect', () => c.write(text('hi')));
    lab.engine.run(2.5 * SECOND);
    const lines = flow(tap.segments);
    assert.deepEqual(lines.slice(3), [
      'A P. seq 1 ack 1 len 2',
      'B . seq 1 ack 3 len 0',
      'A . seq 2 ack 1 len 0',
      'B . seq 1 ack 3 len 0',
      'A . seq 2 ack 1 len 0',
      'B . seq 1 ack 3 len 0',
    ]);
    const probes = tap.from('A').slice(-2);
    // B's 66-byte answer, 78 bytes with preamble and FCS, takes 624 ns to send and 100 µs on the cable
    const heard = tap.from('B').at(-2)!.time + 624 + 100 * US;
    assert.equal(probes[1]!.time - heard, 1 * SECOND, 'the idle time counts from the answer');
    assert.equal(c.state, 'ESTABLISHED');
  });

  it('gives up after the probes go unanswered: RST and "timeout" at 7200 s + 9 x 75 s (Linux defaults)', () => {
    let silent = false; // B's TCP stops reaching A (ARP still works)
    const lab = twoHostLab({
      tcp: { keepAlive: true },
      impair: dropOnly((f) => silent && tcpOf(f)?.src === ip('10.0.0.2')),
    });
    const { tap } = watch(lab);
    lab.tb.listen(80, () => {});
    const c = lab.ta.connect(lab.B, 80);
    const closes: [number, TcpCloseReason][] = [];
    c.on('close', (r) => closes.push([lab.engine.now, r]));
    let lastHeard = -1;
    c.on('connect', () => (lastHeard = lab.engine.now)); // the SYN-ACK was the last segment A heard
    lab.engine.run(1 * SECOND);
    silent = true;
    lab.engine.run(3 * 3600 * SECOND);
    assert.deepEqual(closes, [[lastHeard + 7200 * SECOND + 9 * 75 * SECOND, 'timeout']]);
    const fromA = tap.from('A');
    assert.equal(
      fromA.filter((s) => s.seg.flags === TCP_ACK && s.seg.payload.length === 0).length,
      1 + 9,
      'the handshake ACK and 9 probes',
    );
    assert.equal(fromA.at(-1)!.seg.flags, TCP_RST | TCP_ACK, 'tcp_send_active_reset');
  });

  it('sends no keepalive unless asked (SO_KEEPALIVE is off by default)', () => {
    const lab = twoHostLab();
    const { tap } = watch(lab);
    lab.tb.listen(80, () => {});
    lab.ta.connect(lab.B, 80);
    lab.engine.run(3 * 3600 * SECOND);
    assert.equal(tap.segments.length, 3);
  });

  it('forgets an orphaned FIN-WAIT-2 connection after tcp_fin_timeout (60 s) if the peer never sends FIN', () => {
    const lab = twoHostLab();
    lab.tb.listen(80, () => {}); // the server never closes
    const c = lab.ta.connect(lab.B, 80);
    c.on('connect', () => c.close());
    const closes: [number, TcpCloseReason][] = [];
    c.on('close', (r) => closes.push([lab.engine.now, r]));
    lab.engine.run(1 * SECOND);
    assert.equal(c.state, 'FIN-WAIT-2');
    lab.engine.run(62 * SECOND);
    assert.equal(c.state, 'CLOSED');
    assert.equal(lab.ta.connections().length, 0);
    assert.ok(closes[0]![0] > 60 * SECOND && closes[0]![0] < 61 * SECOND, `closed at ${closes[0]![0]}`);
  });

  it('waits in FIN-WAIT-2 for as long as it takes after end(), a half-close (only close() orphans)', () => {
    const lab = twoHostLab();
    lab.tb.listen(80, () => {});
    const c = lab.ta.connect(lab.B, 80);
    c.on('connect', () => c.end());
    lab.engine.run(600 * SECOND);
    assert.equal(c.state, 'FIN-WAIT-2');
  });
});
