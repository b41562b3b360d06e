/**
 * A pod's containers as the kubelet runs them: each starts its image's behaviour in the pod's network
 * namespace (apps/images), its readiness and liveness probes run from the node (prober.ts), and the pod is
 * ready when every container runs and passes its readiness probe (a container without one is ready once
 * started). A failed liveness probe restarts the container at once (the kubelet's CrashLoopBackOff delay
 * of 10 s, doubling, is left out) and its readiness starts over.
 */
import type { Engine } from '../sim/engine.js';
import type { IpNode } from '../net/ip-node.js';
import type { TcpStack } from '../transport/tcp.js';
import type { UdpStack } from '../transport/udp.js';
import { formatIpv4, type Ipv4 } from '../wire/addr.js';
import { isKnownImage, startContainer, type ImageEnvironment } from '../apps/images/registry.js';
import type { Listening, RunningContainer } from '../apps/images/types.js';
import type { Container } from './k8s-objects.js';
import { ProbeWorker, type ProbeEvent, type ProbeKind } from './prober.js';

/** A container's state, as `kubectl get pod -o yaml` shows its containerStatuses. */
export interface ContainerStatus {
  name: string;
  image: string;
  /** podnet knows what the image does (apps/images/registry.ts). */
  knownImage: boolean;
  running: boolean;
  ready: boolean;
  restartCount: number;
  /** Why it is not running ("Missing -text option!", "listen tcp :80: bind: address already in use"). */
  exited?: string;
  listening: readonly Listening[];
}

/** Where a pod's containers run. */
export interface PodSandbox {
  engine: Engine;
  /** The pod's stacks (the node's with hostNetwork). */
  stack: IpNode;
  tcp: TcpStack;
  udp: UdpStack;
  hostname: string;
  ip: Ipv4;
  /** The node's TCP stack, where probes come from. */
  nodeTcp: TcpStack;
  /** The node's address (status.hostIP), for env fieldRefs. */
  hostIp?: Ipv4;
}

/** The containers of one pod. */
export class PodContainers {
  readonly statuses: ContainerStatus[];
  /** Every probe result, oldest first. */
  readonly probeEvents: ProbeEvent[] = [];
  /** Told when the pod's readiness changes after start(). */
  onReadyChange: ((ready: boolean) => void) | undefined = undefined;
  private readonly running: (RunningContainer | undefined)[];
  private readonly workers: { container: number; worker: ProbeWorker }[] = [];
  private wasReady = false;

  constructor(
    private readonly sandbox: PodSandbox,
    private readonly containers: readonly Container[],
    private readonly env?: ImageEnvironment,
  ) {
    this.statuses = containers.map((c) => ({
      name: c.name,
      image: c.image,
      knownImage: isKnownImage(c.image),
      running: false,
      ready: false,
      restartCount: 0,
      listening: [],
    }));
    this.running = containers.map(() => undefined);
  }

  /** All containers run and are ready. */
  get ready(): boolean {
    return this.statuses.every((s) => s.running && s.ready);
  }

  /** Starts every container and its probes. */
  start(): void {
    this.containers.forEach((c, i) => {
      this.startOne(i);
      const target = {
        engine: this.sandbox.engine,
        nodeTcp: this.sandbox.nodeTcp,
        podIp: this.sandbox.ip,
        container: c.name,
        ports: c.ports,
      };
      if (c.readinessProbe !== undefined) {
        const w = new ProbeWorker(target, 'readiness', c.readinessProbe, (ok, streak, detail) =>
          this.result(i, 'readiness', ok, streak, detail),
        );
        this.workers.push({ container: i, worker: w });
        w.start();
      }
      if (c.livenessProbe !== undefined) {
        const w = new ProbeWorker(target, 'liveness', c.livenessProbe, (ok, streak, detail) =>
          this.result(i, 'liveness', ok, streak, detail),
        );
        this.workers.push({ container: i, worker: w });
        w.start();
      }
    });
    this.wasReady = this.ready;
  }

  /** Stops every container and probe (the pod is deleted). */
  stop(): void {
    for (const w of this.workers.splice(0)) w.worker.stop();
    this.running.forEach((r, i) => {
      r?.stop();
      this.running[i] = undefined;
      const s = this.statuses[i]!;
      s.running = s.ready = false;
    });
    this.changed();
  }

  private startOne(i: number): void {
    const c = this.containers[i]!;
    const s = this.statuses[i]!;
    const { engine: _e, ip: _ip, nodeTcp: _n, hostIp: _h, stack, ...rest } = this.sandbox;
    try {
      const r = startContainer(
        {
          ...rest,
          node: stack,
          image: c.image,
          command: c.command ?? [],
          args: c.args ?? [],
          ports: c.ports,
          env: containerEnv(c, this.sandbox),
        },
        this.env,
      );
      this.running[i] = r;
      s.listening = r.listening;
      s.running = r.exited === undefined;
      if (r.exited !== undefined) s.exited = r.exited;
      else delete s.exited;
    } catch (e) {
      // a port another container of the pod (or the node, with hostNetwork) already holds
      s.running = false;
      s.listening = [];
      s.exited = (e as Error).message;
    }
    s.ready = s.running && c.readinessProbe === undefined;
  }

  private result(i: number, kind: ProbeKind, ok: boolean, streak: number, detail: string): void {
    const c = this.containers[i]!;
    const s = this.statuses[i]!;
    this.probeEvents.push({ time: this.sandbox.engine.now, kind, container: c.name, ok, detail });
    if (kind === 'readiness') {
      const p = c.readinessProbe!;
      if (ok && streak >= p.successThreshold) s.ready = s.running;
      if (!ok && streak >= p.failureThreshold) s.ready = false;
    } else if (!ok && streak >= c.livenessProbe!.failureThreshold) {
      // the kubelet kills the container and starts it again; its probes start over
      this.running[i]?.stop();
      s.restartCount++;
      this.startOne(i);
      for (const w of this.workers) if (w.container === i) w.worker.start();
    }
    this.changed();
  }

  private changed(): void {
    const now = this.ready;
    if (now === this.wasReady) return;
    this.wasReady = now;
    this.onReadyChange?.(now);
  }
}

/**
 * A container's environment as the kubelet makes it (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables):
 * literal values, and the downward API's status.podIP and status.hostIP(s) (one address: podnet is IPv4 only).
 */
function containerEnv(c: Container, sandbox: PodSandbox): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of c.env ?? []) {
    if ('value' in e) out[e.name] = e.value;
    else {
      const f = e.valueFrom.fieldRef.fieldPath;
      if (f === 'status.podIP' || f === 'status.podIPs') out[e.name] = formatIpv4(sandbox.ip);
      else if ((f === 'status.hostIP' || f === 'status.hostIPs') && sandbox.hostIp !== undefined)
        out[e.name] = formatIpv4(sandbox.hostIp);
    }
  }
  return out;
}
