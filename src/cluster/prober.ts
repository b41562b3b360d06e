/**
 * The kubelet's prober (pkg/kubelet/prober): one worker per container and probe that sends the probe
 * from the node's own IP stack to the pod over the emulated network, on the probe's schedule, and turns
 * results into the container's readiness or a restart.
 *
 * Schedule (worker.go): a probe at the container's start and every periodSeconds after, where a tick
 * less than initialDelaySeconds after the start probes nothing. The kubelet sleeps a random jitter
 * (< period) before the first tick after its own restart; podnet's kubelet has just started every time,
 * and leaves the jitter out so runs repeat. Results (prober.go, probe/http, probe/tcp):
 * - httpGet: GET http://<host or pod IP>:<port><path> with "User-Agent: kube-probe/<major.minor>",
 *   "Accept" of any type and "Connection: close" (the kubelet's transport disables keep-alives); a status in
 *   200-399 is success, anything else, a timeout (timeoutSeconds) or a failed connection is failure.
 *   HTTPS is not emulated (no TLS): failure.
 * - tcpSocket: the handshake completing within timeoutSeconds is success; the kubelet closes at once.
 * - exec and grpc: not emulated; such a probe always succeeds (and says so in its detail).
 * A result counts toward successThreshold or failureThreshold when it repeats (results.go: consecutive).
 */
import { SECOND, type Engine, type Timer } from '../sim/engine.js';
import { formatIpv4, type Ipv4 } from '../wire/addr.js';
import type { TcpStack } from '../transport/tcp.js';
import { HttpConnection, httpExchange } from '../apps/http/client.js';
import type { ContainerPort, Probe } from './k8s-objects.js';

/** The Kubernetes minor the emulated kubelet reports in its probes' User-Agent (k3s v1.31). */
export const KUBE_PROBE_USER_AGENT = 'kube-probe/1.31';

/** Which probe. */
export type ProbeKind = 'readiness' | 'liveness';

/** One probe result, as `kubectl describe pod` would list it. */
export interface ProbeEvent {
  /** ns. */
  time: number;
  kind: ProbeKind;
  container: string;
  ok: boolean;
  /** "HTTP probe failed with statuscode: 404", "dial tcp 10.42.0.5:81: connect: connection refused", ... */
  detail: string;
}

/** What a worker needs to reach its container. */
export interface ProbeTarget {
  engine: Engine;
  /** The node's TCP stack: probes leave from the node, as the kubelet's do. */
  nodeTcp: TcpStack;
  podIp: Ipv4;
  container: string;
  ports: readonly ContainerPort[];
}

/** The port a probe names: a number, or a container port's name (undefined when no port has it). */
export function probePort(port: number | string, ports: readonly ContainerPort[]): number | undefined {
  return typeof port === 'number' ? port : ports.find((p) => p.name === port)?.containerPort;
}

/** Sends `probe` once and reports the result. */
export function runProbe(t: ProbeTarget, probe: Probe, done: (ok: boolean, detail: string) => void): void {
  const a = probe.action;
  const timeoutNs = probe.timeoutSeconds * SECOND;
  switch (a.type) {
    case 'exec':
    case 'grpc':
      done(true, `${a.type} probe not emulated: counted as success`);
      return;
    case 'tcpSocket':
    case 'httpGet': {
      const port = probePort(a.port, t.ports);
      if (port === undefined) {
        done(false, `port ${JSON.stringify(a.port)} is not a named port of container ${t.container}`);
        return;
      }
      const host = a.host ?? t.podIp;
      const where = `${formatIpv4(host)}:${port}`;
      if (a.type === 'tcpSocket') {
        const s = t.nodeTcp.connect(host, port, { timeoutNs });
        let connected = false;
        s.on('connect', () => {
          connected = true;
          done(true, `dial tcp ${where}: connected`);
          s.end();
        });
        s.on('close', (reason) => {
          if (!connected) done(false, `dial tcp ${where}: ${dialError(reason)}`);
        });
        return;
      }
      if (a.scheme === 'HTTPS') {
        done(false, `HTTPS probe to ${where}: TLS is not emulated`);
        return;
      }
      const conn = new HttpConnection(t.nodeTcp, host, port, { connectTimeoutNs: timeoutNs });
      const fields: [string, string][] = [
        ['Host', where],
        ['User-Agent', KUBE_PROBE_USER_AGENT],
        ['Accept', '*/*'],
        ...a.headers,
        ['Connection', 'close'],
      ];
      httpExchange(conn, { method: 'GET', target: a.path, fields }, { timeoutNs }, (r) => {
        conn.end();
        const status = r.head?.status;
        if (status !== undefined) {
          if (status >= 200 && status < 400) done(true, `HTTP probe succeeded with statuscode: ${status}`);
          else done(false, `HTTP probe failed with statuscode: ${status}`);
          return;
        }
        const kind = r.failure?.kind ?? 'empty';
        done(
          false,
          kind === 'timeout'
            ? `Get "http://${where}${a.path}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`
            : `Get "http://${where}${a.path}": ${kind === 'refused' ? 'dial tcp ' + where + ': connect: connection refused' : kind}`,
        );
      });
      return;
    }
  }
}

function dialError(reason: string): string {
  switch (reason) {
    case 'refused':
      return 'connect: connection refused';
    case 'timeout':
      return 'i/o timeout';
    case 'unreachable':
      return 'connect: no route to host';
    default:
      return reason;
  }
}

/** One container's probe on its schedule; `onResult` hears every result with the consecutive count. */
export class ProbeWorker {
  private timer: Timer | undefined;
  private last: boolean | undefined;
  private streak = 0;
  private startedAt = 0;

  constructor(
    private readonly target: ProbeTarget,
    readonly kind: ProbeKind,
    readonly probe: Probe,
    private readonly onResult: (ok: boolean, streak: number, detail: string) => void,
  ) {}

  /** Starts probing a container that started now (again after a restart). */
  start(): void {
    this.stop();
    this.startedAt = this.target.engine.now;
    this.last = undefined;
    this.streak = 0;
    this.tick();
  }

  /** Stops probing. */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private tick(): void {
    const engine = this.target.engine;
    // the probes of a running pod are housekeeping: a run with nothing else to do is idle (engine.ts)
    this.timer = engine.backgroundTimer(this.probe.periodSeconds * SECOND, () => this.tick());
    if (engine.now - this.startedAt < this.probe.initialDelaySeconds * SECOND) return;
    runProbe(this.target, this.probe, (ok, detail) => {
      this.streak = this.last === ok ? this.streak + 1 : 1;
      this.last = ok;
      this.onResult(ok, this.streak, detail);
    });
  }
}
