/**
 * The messages between the page and the emulator's Web Worker (src/web/worker.ts). Plain data only, so
 * they cross postMessage by structured clone; frame bytes travel as transferable ArrayBuffers. The page
 * never imports the emulator itself: everything it shows arrives through these types.
 */
import type { FrameSummary } from '../../observe/summary.js';

/** One problem in the YAML, located for the editor (1-based line and column). */
export interface LabProblem {
  line: number;
  col: number;
  field: string;
  message: string;
}

/** What kind of document the editor holds. */
export type DocKind = 'lab' | 'cluster';

/** A box of the topology: a device of the network (or, collapsed, a group of pods). */
export interface TopoNode {
  id: string;
  /** host, router, switch, hub, pod, node, pods (a collapsed group) ... */
  kind: string;
  label: string;
  /** For pods: the node they run on (their group when collapsed). */
  parent?: string;
  /** Addresses shown under the name. */
  addresses: string[];
  /** VLAN ids or VNIs it carries, for colouring. */
  segments: number[];
  /**
   * For a folded group of pods: the pods' boxes as they are drawn unfolded (in a cluster drawn from its
   * plan, without addresses: IPAM gives them when the cluster is built).
   */
  members?: TopoNode[];
}

/** A cable between two ports (underlay) or a tunnel between two endpoints (overlay). */
export interface TopoEdge {
  id: string;
  a: string;
  b: string;
  aPort: string;
  bPort: string;
  layer: 'underlay' | 'overlay';
  /** VLAN or VNI this edge belongs to, for colouring. */
  segment?: number;
  label?: string;
}

/** The whole picture. */
export interface Topology {
  nodes: TopoNode[];
  edges: TopoEdge[];
  /** Pods folded into their node's group (large clusters). */
  collapsed: boolean;
  /** Devices in the network before collapsing. */
  deviceCount: number;
}

/** A machine a command can run on. */
export interface Machine {
  name: string;
  kind: 'host' | 'router' | 'pod' | 'node' | 'outside';
  /** Its primary IPv4 address, dotted. */
  ip?: string;
  /** For pods: the node it runs on. */
  node?: string;
}

/** A recorded event, as the page sees it. Frame bytes are in `bytes` (transferred). */
export type WebEvent =
  | {
      kind: 'frame';
      time: number;
      device: string;
      inPort?: string;
      outPort: string;
      /** The edge id the frame travels on. */
      edge?: string;
      /** The device at the far end of the cable. */
      to?: string;
      /** The boxes it goes between (a folded pod's box is its node's group). */
      boxes?: [string, string];
      frame: FrameSummary;
      bytes?: Uint8Array;
    }
  | { kind: 'note'; time: number; device: string; message: string }
  | { kind: 'drop'; time: number; device: string; port?: string; reason: string; detail: string };

/** The tools of the Run panel. */
export type Tool = 'ping' | 'traceroute' | 'curl' | 'dig';

/** A run: one action, or the file's steps. */
export type RunRequest = { mode: 'action'; tool: Tool; from: string; to: string } | { mode: 'steps' };

/** One step's (or the action's) outcome line. */
export interface RunStepInfo {
  name: string;
  ok: boolean;
  output: string;
  failures: string[];
  /** Index of its first event in the run's events. */
  firstEvent: number;
}

/** A finished run. */
export interface RunResult {
  title: string;
  events: WebEvent[];
  steps: RunStepInfo[];
  /** The per-hop table, as `podnet trace` prints it. */
  hopTable: string;
  /** pcapng of every link during the run. */
  pcapng: Uint8Array;
  /** Instant (ns) the run started at: event times are shown from here. */
  start: number;
  /** Events not kept (recording cap). */
  omitted: number;
}

/** One device's tables at an instant, as its commands print them. */
export interface DeviceTable {
  title: string;
  text: string;
}

/** Backend comparison rows (charts). */
export interface CompareRow {
  backend: string;
  /** Bytes on the wire of one pod-to-pod echo request between nodes. */
  wireBytes: number;
  /** Bytes of the same request as the pod put it on its cable. */
  innerBytes: number;
  mtu: number;
  routes: number;
  neighbours: number;
  fdb: number;
  ok: boolean;
}

/** BGP sessions of a Calico cluster of `nodes` nodes: full mesh or two route reflectors. */
export interface BgpSessionsRow {
  nodes: number;
  mode: 'mesh' | 'rr';
  /** Computed from the configuration: sessions in the cluster, counted once per pair. */
  total: number;
  /** Sessions of a node that is not a route reflector. */
  perNode: number;
  /** Sessions of a route reflector. */
  perReflector?: number;
  /** Established sessions counted in a cluster run to convergence (small sizes only). */
  measured?: { total: number; perNode: number; perReflector?: number };
}

/** Page -> worker. */
export type ToWorker =
  | { id: number; type: 'open'; text: string; file: string }
  | { id: number; type: 'run'; text: string; file: string; run: RunRequest }
  | {
      id: number;
      type: 'tables';
      text: string;
      file: string;
      run: RunRequest;
      device: string;
      /** The instant (absolute ns). */
      time: number;
      /** For steps: the index of the step the instant is in. */
      step?: number;
    }
  | { id: number; type: 'compare'; text: string; file: string }
  /** The built cluster's node and pod boxes, for the folded nodes of a cluster drawn from its plan. */
  | { id: number; type: 'boxes'; text: string; file: string }
  | { id: number; type: 'bgp-sessions' };

/** Worker -> page. */
export type FromWorker =
  | {
      id: number;
      type: 'opened';
      kind: DocKind;
      name: string;
      problems: LabProblem[];
      topology?: Topology;
      machines: Machine[];
      steps: string[];
      /** Time to read the file and build the world (or plan it), ms. */
      ms: number;
      /** Drawn from the cluster's plan, not built (a big cluster: pods have no addresses yet). */
      fromPlan?: boolean;
    }
  | { id: number; type: 'ran'; result: RunResult }
  | { id: number; type: 'tables'; device: string; time: number; tables: DeviceTable[] }
  | { id: number; type: 'compared'; rows: CompareRow[] }
  | {
      id: number;
      type: 'boxes';
      /** Every node's box and every pod's (unfolded), with the addresses the build gave them. */
      boxes: TopoNode[];
      /** Time to build the cluster, ms. */
      ms: number;
    }
  | { id: number; type: 'bgp-sessions'; rows: BgpSessionsRow[] }
  | { id: number; type: 'error'; message: string; problems: LabProblem[] };
