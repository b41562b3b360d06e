/**
 * DNS over the emulated TCP (RFC 1035 4.2.2, RFC 7766): TCP sockets seen as the ByteStream the server,
 * resolver, forward plugin and dig already speak.
 */
import type { Ipv4 } from '../../wire/addr.js';
import type { TcpSocket, TcpStack } from '../../transport/tcp.js';
import type { DnsServer } from './server.js';
import type { ByteStream, StreamConnector } from './stream.js';

/** A TCP socket as a ByteStream: `onEnd` fires once, on FIN or when the connection fails or closes. */
export function tcpStream(sock: TcpSocket): ByteStream {
  let ended = false;
  let onEnd: (() => void) | undefined;
  const fire = (): void => {
    if (ended) return;
    ended = true;
    onEnd?.();
  };
  sock.on('end', fire);
  sock.on('close', fire);
  return {
    write: (bytes) => void sock.write(bytes),
    onData: (h) => void sock.on('data', h),
    onEnd: (h) => {
      onEnd = h;
    },
    end: () => sock.end(),
  };
}

/** Opens DNS streams with `tcp` (for resolvers, dig +tcp, forwarding after truncation). */
export function tcpConnector(tcp: TcpStack): StreamConnector {
  return (dst: Ipv4, port: number) => tcpStream(tcp.connect(dst, port));
}

/** Serves `server` on TCP `port` (53) of `tcp`'s node too, as CoreDNS does, with the program's listen() backlog. */
export function serveDnsOverTcp(server: DnsServer, tcp: TcpStack, port = 53, backlog?: number): void {
  tcp.listen(port, backlog === undefined ? {} : { backlog }, (sock) =>
    server.serveStream(tcpStream(sock), { src: sock.remoteIp, srcPort: sock.remotePort }),
  );
}
