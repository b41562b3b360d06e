/**
 * TCP for emulated programs (RFC 9293, RFC 6298, RFC 5681 with RFC 6582 NewReno, RFC 7323 window
 * scaling): one TcpStack per IP node, listeners, and sockets with a callback API and promise helpers.
 * This file is the public face; the pieces live in tcp-stack.ts (demultiplexing, listeners, RST for
 * closed ports), tcp-connection.ts (the state machine), tcp-congestion.ts, tcp-rto.ts, tcp-buffers.ts,
 * tcp-rcvbuf.ts (receive memory and the window it allows) and tcp-timer.ts.
 */
export {
  GO_LISTEN_BACKLOG,
  TcpStack,
  TcpListener,
  type TcpConnectOptions,
  type TcpListenOptions,
  type TcpConnectionHandler,
} from './tcp-stack.js';
export { TcpSocket, TcpError, type TcpSocketEvents } from './tcp-connection.js';
export { DEFAULT_TCP, type TcpCloseReason, type TcpConfig, type TcpState, type TcpStats } from './tcp-types.js';
