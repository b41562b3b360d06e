/**
 * nc on an emulated node, as Debian's netcat-openbsd 1.219 behaves and prints: a TCP or UDP client, a
 * listener for one connection (-l), and a port scanner (-z), with its -v messages ("Connection to
 * 10.43.0.1 80 port [tcp/http] succeeded!", "nc: connect to 10.43.0.1 port 81 (tcp) failed: Connection
 * refused", "Listening on 0.0.0.0 8080", "Connection received on 10.0.1.2 32768") and exit statuses
 * (0, or 1 when no connection succeeded).
 *
 * podnet has no terminal to type into, so what nc would read from stdin is given with the podnet option
 * `--send TEXT`, read as printf reads its format (\n \r \t \\ \xHH; nothing is added at the end), as in
 * `printf TEXT | nc host port`. It is sent as soon as the connection is up; then stdin is at its end, so
 * -N shuts the sending side down and -q SECS quits that many seconds later. nc stops when the peer
 * closes, after -w SECS without traffic, or, with neither -w nor -q, after NC_IDLE_DEFAULT_NS without
 * traffic (where the real nc would wait for a Ctrl-C). A listener waits for its connection for ever.
 * Peer addresses are printed as numbers (no reverse DNS), as with -n.
 */
import { formatIpv4, parseIpv4, type Ipv4 } from '../wire/addr.js';
import type { TcpCloseReason, TcpSocket, TcpStack } from '../transport/tcp.js';
import type { UdpStack } from '../transport/udp.js';
import { SECOND } from '../sim/engine.js';
import { IPPROTO_UDP } from '../wire/ipv4.js';
import { Terminal } from './http/terminal.js';
import { printed, withLookedUp, type Command } from './shell.js';

/** Idle time after which nc stops when neither -w nor -q was given (podnet's stand-in for Ctrl-C). */
export const NC_IDLE_DEFAULT_NS = 10 * SECOND;

/** netcat-openbsd's usage text (printed on errors to stderr). */
export const NC_USAGE = `usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]
\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]
\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]
\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]
\t  [destination] [port]`;

/** Service names of /etc/services (Debian netbase) for the ports podnet labs use. */
const SERVICES: Record<string, Record<number, string>> = {
  tcp: {
    21: 'ftp',
    22: 'ssh',
    23: 'telnet',
    25: 'smtp',
    53: 'domain',
    80: 'http',
    110: 'pop3',
    143: 'imap2',
    179: 'bgp',
    443: 'https',
    853: 'domain-s',
    3306: 'mysql',
    5432: 'postgresql',
    6379: 'redis',
    8080: 'http-alt',
  },
  udp: {
    53: 'domain',
    67: 'bootps',
    68: 'bootpc',
    69: 'tftp',
    123: 'ntp',
    161: 'snmp',
    443: 'https',
    853: 'domain-s',
    5353: 'mdns',
  },
};

/** A parsed nc command line. */
export interface NcOptions {
  listen: boolean;
  udp: boolean;
  verbose: boolean;
  scan: boolean;
  numeric: boolean;
  /** -N: shut down the sending side after the data is sent. */
  shutdown: boolean;
  /** -C: send CRLF as line ending. */
  crlf: boolean;
  /** -p: the source port (client) or the port to listen on. */
  sourcePort?: number;
  /** -w seconds. */
  waitS?: number;
  /** -q seconds. */
  quitS?: number;
  /** --send: the bytes stdin would have carried. */
  send?: Uint8Array;
  /** -4: getaddrinfo with AF_INET (A queries only; without it nc asks A and AAAA). */
  ipv4Only?: boolean;
  host?: string;
  /** The ports to connect to (a range for -z). */
  ports: number[];
}

/** What nc printed and returned. */
export interface NcResult {
  status: number;
  stdout: string;
  stderr: string;
  screen: string;
}

/** Where nc runs. */
export interface NcEnv {
  tcp: TcpStack;
  udp: UdpStack;
  resolve(name: string): Ipv4 | undefined;
}

/** Bytes of a printf format without conversions: \n \r \t \\ \a \b \f \v \0NNN \xHH; other text as UTF-8. */
export function printfBytes(text: string): Uint8Array {
  const out: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch !== '\\' || i + 1 >= text.length) {
      const cp = text.codePointAt(i)!;
      out.push(...enc.encode(String.fromCodePoint(cp)));
      if (cp > 0xffff) i++;
      continue;
    }
    const n = text[++i]!;
    const simple: Record<string, number> = { n: 10, r: 13, t: 9, '\\': 92, a: 7, b: 8, f: 12, v: 11, '"': 34, "'": 39 };
    if (simple[n] !== undefined) out.push(simple[n]);
    else if (n === 'x' && /^[0-9A-Fa-f]/.test(text[i + 1] ?? '')) {
      const m = /^[0-9A-Fa-f]{1,2}/.exec(text.slice(i + 1))![0];
      out.push(parseInt(m, 16));
      i += m.length;
    } else if (n === '0') {
      const m = /^[0-7]{0,3}/.exec(text.slice(i + 1))![0];
      out.push(parseInt(m || '0', 8) & 0xff);
      i += m.length;
    } else out.push(92, ...enc.encode(n));
  }
  return Uint8Array.from(out);
}

function portNumber(text: string): number | string {
  if (!/^[0-9]+$/.test(text)) {
    for (const table of Object.values(SERVICES))
      for (const [p, name] of Object.entries(table)) if (name === text) return Number(p);
    return `nc: port number invalid: ${text}`;
  }
  const n = Number(text);
  if (n > 65535) return `nc: port number too large: ${text}`;
  if (n < 1) return `nc: port number too small: ${text}`;
  return n;
}

/** Parses nc's arguments; errors come back as nc prints them (exit status 1). */
export function parseNcArgs(args: readonly string[]): NcOptions | { error: string } {
  const o: NcOptions = {
    listen: false,
    udp: false,
    verbose: false,
    scan: false,
    numeric: false,
    shutdown: false,
    crlf: false,
    ports: [],
  };
  const rest: string[] = [];
  const flags: Record<string, keyof NcOptions> = {
    l: 'listen',
    u: 'udp',
    v: 'verbose',
    z: 'scan',
    n: 'numeric',
    N: 'shutdown',
    C: 'crlf',
  };
  const seconds = (v: string, what: string): number | string =>
    /^[0-9]+(\.[0-9]+)?$/.test(v) ? Number(v) : `nc: ${what} cannot be negative`;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--send') {
      const v = args[++i];
      if (v === undefined) return { error: `nc: option requires an argument -- 'send'\n${NC_USAGE}` };
      o.send = printfBytes(v);
      continue;
    }
    if (!a.startsWith('-') || a.length < 2) {
      rest.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (c === '4') {
        o.ipv4Only = true;
        continue;
      }
      if (c === 'd') continue;
      const f = flags[c];
      if (f !== undefined) {
        (o as unknown as Record<string, boolean>)[f] = true;
        continue;
      }
      if (c === 'p' || c === 'w' || c === 'q') {
        const v = a.slice(j + 1) || args[++i];
        if (v === undefined) return { error: `nc: option requires an argument -- '${c}'\n${NC_USAGE}` };
        if (c === 'p') {
          const p = portNumber(v);
          if (typeof p === 'string') return { error: p };
          o.sourcePort = p;
        } else {
          const s = seconds(v, c === 'w' ? 'timeout' : 'quit timer');
          if (typeof s === 'string') return { error: s };
          if (c === 'w') o.waitS = s;
          else o.quitS = s;
        }
        break;
      }
      return { error: `nc: invalid option -- '${c}'\n${NC_USAGE}` };
    }
  }
  if (o.listen) {
    // "nc -l -p PORT" or "nc -l PORT" (or "nc -l ADDR PORT")
    const p = rest.length > 0 ? portNumber(rest[rest.length - 1]!) : o.sourcePort;
    if (p === undefined) return { error: `nc: missing port number` };
    if (typeof p === 'string') return { error: p };
    o.ports = [p];
    return o;
  }
  if (rest.length === 0) return { error: NC_USAGE };
  if (rest.length === 1) return { error: 'nc: missing port number' };
  o.host = rest[0]!;
  for (const spec of rest.slice(1)) {
    const range = /^([^-]+)-([^-]+)$/.exec(spec);
    if (range !== null) {
      const lo = portNumber(range[1]!);
      const hi = portNumber(range[2]!);
      if (typeof lo === 'string') return { error: lo };
      if (typeof hi === 'string') return { error: hi };
      for (let p = Math.min(lo, hi); p <= Math.max(lo, hi); p++) o.ports.push(p);
    } else {
      const p = portNumber(spec);
      if (typeof p === 'string') return { error: p };
      o.ports.push(p);
    }
  }
  return o;
}

/** The errno text Linux gives for a failed connect. */
function connectError(reason: TcpCloseReason, noRoute: boolean): string {
  if (reason === 'refused') return 'Connection refused';
  if (reason === 'unreachable') return noRoute ? 'Network is unreachable' : 'No route to host';
  if (reason === 'timeout') return 'Connection timed out';
  return 'Connection reset by peer';
}

/** Runs nc; `done` is called once when it exits. Returns a function that stops it (as Ctrl-C). */
export function runNc(env: NcEnv, o: NcOptions, done: (r: NcResult) => void): () => void {
  const term = new Terminal();
  const engine = env.tcp.node.engine;
  const proto = o.udp ? 'udp' : 'tcp';
  const data = o.send === undefined ? new Uint8Array(0) : o.crlf ? crlf(o.send) : o.send;
  let finished = false;
  const cleanups: (() => void)[] = [];
  const exit = (status: number): void => {
    if (finished) return;
    finished = true;
    for (const c of cleanups.splice(0)) c();
    term.flush();
    done({ status, stdout: term.stdoutText, stderr: term.stderrText, screen: term.screen });
  };
  const say = (text: string): void => {
    if (o.verbose) term.stderr(`${text}\n`);
  };
  const service = (port: number): string => (o.numeric ? '*' : (SERVICES[proto]![port] ?? '*'));

  /** The timers of a session: -w idle, -q after the data, podnet's default idle. */
  const sessionTimers = (close: () => void): { activity(): void; sent(): void } => {
    let idle: { cancel(): void } | undefined;
    const idleNs =
      o.waitS !== undefined ? Math.round(o.waitS * SECOND) : o.quitS === undefined ? NC_IDLE_DEFAULT_NS : undefined;
    const activity = (): void => {
      idle?.cancel();
      if (idleNs !== undefined) idle = engine.timer(idleNs, close);
    };
    cleanups.push(() => idle?.cancel());
    return {
      activity,
      sent: () => {
        if (o.quitS === undefined) return;
        const t = engine.timer(Math.round(o.quitS * SECOND), close);
        cleanups.push(() => t.cancel());
      },
    };
  };

  /** A TCP connection after the handshake: send, print, stop on the peer's close or a timer. */
  const tcpSession = (s: TcpSocket): void => {
    const close = (): void => {
      s.end();
      exit(0);
    };
    const timers = sessionTimers(close);
    s.on('data', (d) => {
      term.stdout(d);
      term.flush(); // nc writes with write(2): no stdio buffering
      timers.activity();
    });
    s.on('end', close);
    s.on('close', () => exit(0));
    if (data.length > 0) s.write(data);
    if (o.shutdown) s.end();
    timers.sent();
    timers.activity();
  };

  if (o.listen) {
    const port = o.ports[0]!;
    if (o.udp) {
      say(`Bound on 0.0.0.0 ${port}`);
      let peer: { ip: Ipv4; port: number } | undefined;
      const timers = sessionTimers(() => exit(0));
      env.udp.bind(port, (d) => {
        if (peer === undefined) {
          // the first datagram picks the peer (recvfrom, then connect), as nc does without -k; the
          // connect gives the socket its flow hash (checked on Linux 6.18: the reply left a VXLAN device
          // from another port than an unconnected one's)
          peer = { ip: d.src, port: d.srcPort };
          say(`Connection received on ${formatIpv4(d.src)} ${d.srcPort}`);
          if (data.length > 0) env.udp.send(port, peer.ip, peer.port, data, { hash: env.udp.connectHash() });
          timers.sent();
        }
        if (d.src !== peer.ip || d.srcPort !== peer.port) return;
        term.stdout(d.payload.slice());
        term.flush();
        timers.activity();
      });
      cleanups.push(() => env.udp.unbind(port));
      return () => exit(0);
    }
    say(`Listening on 0.0.0.0 ${port}`);
    const l = env.tcp.listen(port, (s) => {
      l.close(); // one connection, as nc without -k
      say(`Connection received on ${formatIpv4(s.remoteIp)} ${s.remotePort}`);
      tcpSession(s);
    });
    cleanups.push(() => l.close());
    return () => exit(0);
  }

  const host = o.host!;
  const dst = parseIpv4(host) ?? env.resolve(host);
  if (dst === undefined) {
    term.stderr(`nc: getaddrinfo for host "${host}" port ${o.ports[0]}: Name or service not known\n`);
    exit(1);
    return () => {};
  }
  const who = o.numeric || formatIpv4(dst) === host ? host : `${host} (${formatIpv4(dst)})`;
  const succeeded = (port: number): void => {
    // netcat-openbsd 1.219: the "succeeded" line is -v's alone; `nc -z host 80` prints nothing
    if (o.verbose) term.stderr(`Connection to ${who} ${port} port [${proto}/${service(port)}] succeeded!\n`);
  };

  if (o.udp && o.scan) {
    scanUdp(env, o, dst, exit, succeeded, cleanups);
    return () => exit(1);
  }

  if (o.udp) {
    const sport = env.udp.bind(o.sourcePort ?? 0, (d) => {
      if (d.src !== dst || d.srcPort !== o.ports[0]) return;
      term.stdout(d.payload.slice());
      term.flush();
      timers.activity();
    });
    cleanups.push(() => env.udp.unbind(sport));
    const timers = sessionTimers(() => exit(0));
    if (o.verbose) succeeded(o.ports[0]!);
    // remote_connect: a connected socket, so the datagram carries its flow hash (checked on Linux 6.18)
    if (data.length > 0) env.udp.send(sport, dst, o.ports[0]!, data, { hash: env.udp.connectHash() });
    timers.sent();
    timers.activity();
    return () => exit(0);
  }

  let status = 1;
  const tryPort = (k: number): void => {
    if (finished) return;
    if (k >= o.ports.length) {
      exit(status);
      return;
    }
    const port = o.ports[k]!;
    const startedAt = engine.now;
    const noRoute = !env.tcp.node.isLocal(dst) && env.tcp.node.routes.lookup(dst) === undefined;
    const waitNs = o.waitS === undefined ? undefined : Math.round(o.waitS * SECOND);
    const s = env.tcp.connect(dst, port, {
      ...(o.sourcePort === undefined ? {} : { srcPort: o.sourcePort }),
      ...(waitNs === undefined ? {} : { timeoutNs: waitNs }),
    });
    let connected = false;
    s.on('connect', () => {
      connected = true;
      status = 0;
      succeeded(port);
      if (o.scan) {
        s.end();
        tryPort(k + 1);
      } else tcpSession(s);
    });
    s.on('close', (reason) => {
      if (connected) return;
      const timedOut = reason === 'timeout' && waitNs !== undefined && engine.now - startedAt >= waitNs;
      say(
        `nc: connect to ${host} port ${port} (tcp) ${timedOut ? 'timed out: Operation now in progress' : `failed: ${connectError(reason, noRoute)}`}`,
      );
      tryPort(k + 1);
    });
  };
  tryPort(0);
  return () => exit(status);
}

/** ICMP unreachable codes Linux reports on a connected UDP socket (icmp_err_convert's fatal ones). */
const UDP_FATAL_UNREACH = new Set([2, 3, 9, 10, 13]);

/**
 * `nc -zu`, as netcat-openbsd 1.219 does it (seen with strace in a namespace): each port gets a connected
 * UDP socket and nothing else, so without -v nothing is sent and the exit status is 0. With -v, udptest
 * writes "X", then four more, a second apart (0, 0, 1, 2, 3 s); a write after an ICMP port unreachable
 * fails with ECONNREFUSED, which makes the port fail silently (status 1 unless a later port succeeds);
 * after the last write the port "succeeded".
 */
function scanUdp(
  env: NcEnv,
  o: NcOptions,
  dst: Ipv4,
  exit: (status: number) => void,
  succeeded: (port: number) => void,
  cleanups: (() => void)[],
): void {
  const engine = env.udp.node.engine;
  const X = Uint8Array.of(0x58);
  let status = 1;
  const scanPort = (k: number): void => {
    if (k >= o.ports.length) {
      exit(status);
      return;
    }
    const port = o.ports[k]!;
    // remote_connect: a connect on UDP only picks the route and the source port
    status = 0;
    if (!o.verbose) {
      scanPort(k + 1);
      return;
    }
    const sport = env.udp.bind(o.sourcePort ?? 0, () => {});
    const hash = env.udp.connectHash(); // the connected socket's flow hash
    let refused = false;
    const offIcmp = env.udp.node.onIcmp((ev) => {
      const m = ev.message;
      if (m.kind !== 'unreachable' || !UDP_FATAL_UNREACH.has(m.code)) return;
      const q = m.original;
      const ihl = ((q[0] ?? 0) & 0x0f) * 4;
      if (q.length < ihl + 4 || q[9] !== IPPROTO_UDP) return;
      const qDst = ((q[16]! << 24) | (q[17]! << 16) | (q[18]! << 8) | q[19]!) >>> 0;
      const qSport = (q[ihl]! << 8) | q[ihl + 1]!;
      const qDport = (q[ihl + 2]! << 8) | q[ihl + 3]!;
      if (qDst === dst && qSport === sport && qDport === port) refused = true;
    });
    const close = (): void => {
      offIcmp();
      env.udp.unbind(sport);
    };
    cleanups.push(close);
    // write(2) on a connected socket returns the pending error (sk_err) instead of sending
    const write = (): boolean => {
      if (refused) return false;
      env.udp.send(sport, dst, port, X, { hash });
      return true;
    };
    const step = (i: number): void => {
      if (!write()) {
        close();
        status = 1;
        scanPort(k + 1);
        return;
      }
      if (i === 4) {
        close();
        succeeded(port);
        scanPort(k + 1);
        return;
      }
      // the first two writes go out back to back, then one a second
      if (i === 0) step(1);
      else engine.schedule(SECOND, () => step(i + 1));
    };
    step(0);
  };
  scanPort(0);
}

function crlf(b: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 10 && (i === 0 || b[i - 1] !== 13)) out.push(13);
    out.push(b[i]!);
  }
  return Uint8Array.from(out);
}

/** The `nc` command for the shell: needs the node's TCP stack (ctx.tcp). */
export const ncCommand: Command = (ctx, args, done) => {
  const o = parseNcArgs(args);
  if ('error' in o) {
    done({ status: 1, stdout: o.error });
    return;
  }
  const tcp = ctx.tcp;
  if (tcp === undefined) {
    done({ status: 1, stdout: `nc: podnet: node ${ctx.node.name} has no TCP stack` });
    return;
  }
  withLookedUp(
    ctx,
    o.listen ? undefined : o.host,
    (c) => runNc({ tcp, udp: ctx.udp, resolve: (n) => c.resolve(n) }, o, (r) => done(printed(r.status, r.screen))),
    o.ipv4Only === true ? { ipv4Only: true } : undefined,
  );
};
