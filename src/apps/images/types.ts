/**
 * The contract between a pod and the images its containers run: what a container gets (its pod's stacks,
 * its name, command and args, the ports it declares) and what a started container gives back (what it
 * listens on, a way to stop it). Each image's behaviour is one file of this folder; registry.ts maps image
 * references to them. Probing, readiness and restarts are the kubelet's (cluster/prober.ts).
 */
import type { IpNode } from '../../net/ip-node.js';
import type { TcpStack } from '../../transport/tcp.js';
import type { UdpStack } from '../../transport/udp.js';

/** A port a container declares (v1.ContainerPort, the parts an image needs). */
export interface DeclaredPort {
  containerPort: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
}

/** What a container runs in: its pod's network namespace and what the manifest says about it. */
export interface ContainerContext {
  /** The pod's stack (the node's for hostNetwork pods). */
  node: IpNode;
  tcp: TcpStack;
  udp: UdpStack;
  /** The pod's hostname (its name), as containers see it. */
  hostname: string;
  /** The manifest's image reference, as written. */
  image: string;
  command: readonly string[];
  args: readonly string[];
  ports: readonly DeclaredPort[];
  /** The container's environment, field references resolved by the kubelet (absent: none). */
  env?: Readonly<Record<string, string>>;
}

/** A socket a running container holds open. */
export interface Listening {
  protocol: 'TCP' | 'UDP';
  port: number;
  /** What answers there ("nginx default page", "DNS", "accepts, answers nothing"). */
  serves: string;
}

/** A started container. */
export interface RunningContainer {
  readonly listening: readonly Listening[];
  /** The process exited at once (http-echo without -text): the kubelet's CrashLoopBackOff. */
  readonly exited?: string;
  /** Stops it: listeners close (open connections finish). */
  stop(): void;
}

/** One image's behaviour. */
export interface ImageBehaviour {
  /** The repository names it answers to (registry, tag and digest stripped: "nginx", "traefik/whoami"). */
  readonly repositories: readonly string[];
  /** One line for the README and listings. */
  readonly summary: string;
  start(ctx: ContainerContext): RunningContainer;
}
