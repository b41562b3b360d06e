/**
 * The vocabulary TCP's files share: connection states (RFC 9293 §3.3.2), why a connection ended, the
 * tunables and their Linux-like defaults, per-connection counters, and the one interface the connection
 * uses to reach its stack (sending a segment, leaving the demultiplexer).
 */
import type { Ipv4 } from '../wire/addr.js';
import type { TcpOption } from '../wire/tcp.js';
import { MS, SECOND } from '../sim/engine.js';
import type { SendError } from '../net/ip-node.js';
import type { DropReason } from '../link/trace.js';
import type { ByteRing } from './tcp-buffers.js';

/** RFC 9293 §3.3.2 connection states (LISTEN belongs to listeners, not sockets). */
export type TcpState =
  | 'CLOSED'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT';

/**
 * Why a socket closed, as the application learns it: 'closed' (orderly, both FINs), 'refused' (RST in
 * answer to our SYN: ECONNREFUSED), 'timeout' (SYN or data retransmissions exhausted: ETIMEDOUT), 'reset'
 * (RST on an open connection: ECONNRESET), 'aborted' (this side called destroy()), 'unreachable' (no
 * route, or an ICMP unreachable while connecting: EHOSTUNREACH).
 */
export type TcpCloseReason = 'closed' | 'refused' | 'timeout' | 'reset' | 'aborted' | 'unreachable';

/** Tunables, declared once; defaults follow Linux where the RFCs leave a choice. */
export interface TcpConfig {
  /** Maximum segment lifetime; TIME-WAIT lasts 2 * MSL (RFC 9293 §3.4.2). Default 30 s, so TIME-WAIT is Linux's 60 s. */
  mslNs: number;
  /** SYN retransmissions before connect() gives up (Linux tcp_syn_retries 6: 1+2+...+64 = 127 s). */
  synRetries: number;
  /** SYN-ACK retransmissions before a half-open connection is dropped (Linux tcp_synack_retries 5). */
  synAckRetries: number;
  /** Data retransmissions before the connection times out (Linux tcp_retries2 15). */
  retries: number;
  /** RFC 6298 initial RTO (1 s). */
  initialRtoNs: number;
  /** RTO floor (Linux 200 ms; RFC 6298 suggests 1 s). */
  minRtoNs: number;
  /** RTO ceiling (Linux 120 s). */
  maxRtoNs: number;
  /** RFC 6298 clock granularity G (Linux: one jiffy; 1 ms here). */
  clockGranularityNs: number;
  /** Longest an ACK may be delayed (Linux's minimum delayed-ACK timeout, 40 ms); 0 acks every segment. */
  delayedAckNs: number;
  /**
   * Receive buffer, bytes, at the start (Linux tcp_rmem[1] 131072). Half of it is window (the default
   * scaling ratio) until a full-sized segment measures payload against truesize, so the first windows are
   * 64240 / 65160; each unread segment takes its truesize from it; it grows toward `rcvBufMax` while the
   * application keeps reading (tcp_rcv_space_adjust). See tcp-rcvbuf.ts.
   */
  rcvBuf: number;
  /** Largest receive buffer (Linux tcp_rmem[2] 6291456); the window scale is sized on it (7 for 6 MiB). */
  rcvBufMax: number;
  /** Send buffer, bytes: write() returns false when more than this is waiting (Linux tcp_wmem 16384 grows; 1 MiB here). */
  sndBuf: number;
  /** Initial congestion window in segments (RFC 6928 and Linux: 10). */
  initialCwndSegments: number;
  /** Disable Nagle's algorithm (TCP_NODELAY). */
  noDelay: boolean;
  /** Offer window scaling (RFC 7323) in the SYN (net.ipv4.tcp_window_scaling 1). */
  windowScaling: boolean;
  /** Offer timestamps (RFC 7323) in the SYN (net.ipv4.tcp_timestamps 1). */
  timestamps: boolean;
  /** Offer SACK (RFC 2018) in the SYN (net.ipv4.tcp_sack 1). */
  sack: boolean;
  /** Congestion control (net.ipv4.tcp_congestion_control): Linux's default 'cubic' (RFC 9438), or 'reno' (NewReno). */
  congestionControl: TcpCongestionName;
  /** SO_KEEPALIVE: probe an idle connection (off by default, as on Linux). */
  keepAlive: boolean;
  /** Idle time before the first keepalive probe (net.ipv4.tcp_keepalive_time 7200 s). */
  keepAliveTimeNs: number;
  /** Between keepalive probes (net.ipv4.tcp_keepalive_intvl 75 s). */
  keepAliveIntervalNs: number;
  /** Unanswered probes before the connection is dropped (net.ipv4.tcp_keepalive_probes 9). */
  keepAliveProbes: number;
  /** How long an orphaned FIN-WAIT-2 connection waits for the peer's FIN (net.ipv4.tcp_fin_timeout 60 s). */
  finTimeoutNs: number;
}

/** Congestion control algorithms, by their Linux names. */
export type TcpCongestionName = 'cubic' | 'reno';

/** The defaults. */
export const DEFAULT_TCP: TcpConfig = {
  mslNs: 30 * SECOND,
  synRetries: 6,
  synAckRetries: 5,
  retries: 15,
  initialRtoNs: 1 * SECOND,
  minRtoNs: 200 * MS,
  maxRtoNs: 120 * SECOND,
  clockGranularityNs: 1 * MS,
  delayedAckNs: 40 * MS,
  rcvBuf: 131072,
  rcvBufMax: 6291456,
  sndBuf: 1 << 20,
  initialCwndSegments: 10,
  noDelay: false,
  windowScaling: true,
  timestamps: true,
  sack: true,
  congestionControl: 'cubic',
  keepAlive: false,
  keepAliveTimeNs: 7200 * SECOND,
  keepAliveIntervalNs: 75 * SECOND,
  keepAliveProbes: 9,
  finTimeoutNs: 60 * SECOND,
};

/** Counters and estimator values of one connection, for tests and traces. */
export interface TcpStats {
  /** Segments handed to IP, those a full device queue refused included (Linux's segs_out counts them too). */
  segmentsSent: number;
  /**
   * Segments this host's own device refused, its transmit queue full (NET_XMIT_DROP): never on the wire.
   * Linux's TCP knows at once (tcp_transmit_skb fails) and neither counts a loss nor retransmits: new data
   * stays unsent until the next ACK, write or probe timer, and the window is reduced (TCP_CA_CWR).
   */
  queueRefused: number;
  segmentsReceived: number;
  /** Payload bytes put on the wire, retransmissions included. */
  bytesSent: number;
  /** Bytes the peer acknowledged. */
  bytesAcked: number;
  /** Bytes delivered in order to the application (or its buffer). */
  bytesReceived: number;
  /** Segments sent again: timeouts, fast retransmits and NewReno partial-ACK retransmits. */
  retransmissions: number;
  /** Fast retransmits (three duplicate ACKs). */
  fastRetransmits: number;
  /** Retransmission timer expiries. */
  timeouts: number;
  /** Duplicate ACKs received. */
  dupAcksReceived: number;
  /** Segments that arrived ahead of RCV.NXT and were held. */
  outOfOrder: number;
  /** Segments received wholly below RCV.NXT (duplicates) and dropped. */
  duplicates: number;
  /** Zero-window probes sent. */
  windowProbes: number;
  /** RTT samples taken (Karn's rule skips retransmitted segments). */
  rttSamples: number;
  /** Smoothed RTT, ns (undefined before a sample). */
  srttNs: number | undefined;
  rttvarNs: number;
  /** Current RTO, ns. */
  rtoNs: number;
  cwnd: number;
  ssthresh: number;
  /** Sender MSS in use. */
  mss: number;
}

/** The four numbers that name a connection. */
export interface TcpTuple {
  readonly localIp: Ipv4;
  readonly localPort: number;
  readonly remoteIp: Ipv4;
  readonly remotePort: number;
  /**
   * The socket's flow hash (Linux sk_txhash), which every segment it sends carries (skb_set_hash_from_sk;
   * wire/frame-hash.ts). Undefined for a segment of no socket: a RST for a closed port.
   */
  readonly txHash?: number;
}

/** One outgoing segment, as the connection describes it to the stack. */
export interface OutSegment {
  seq: number;
  ack: number;
  flags: number;
  window: number;
  options: readonly TcpOption[];
  /** Payload: `len` bytes at offset `off` of `from`. */
  from?: ByteRing;
  off?: number;
  len?: number;
}

/** What a connection needs from its stack. */
export interface TcpHost {
  /** Sends one segment of connection `t`. */
  transmit(t: TcpTuple, s: OutSegment): SendError | undefined;
  /** Removes a closed connection from the demultiplexer. */
  release(conn: object): void;
  /** Explains a decision in traces. */
  note(message: () => string): void;
  /** Counts and traces a discarded segment (the node's one drop path). */
  drop(reason: DropReason, detail: string): void;
  /** A new connection's initial sequence number, drawn from the node's own TCP stream. */
  initialSequence(): number;
  /** A new connection's timestamp offset (Linux secure_tcp_ts_off), from the same stream. */
  timestampOffset(): number;
  /** A new random flow hash (Linux net_tx_rndhash: never 0), from the node's own stream for them. */
  txHash(): number;
}
