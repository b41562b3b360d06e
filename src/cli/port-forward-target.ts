/**
 * What `podnet port-forward` forwards to, decided as kubectl port-forward decides it
 * (k8s.io/kubectl/pkg/cmd/portforward/portforward.go): TYPE/NAME (pod by default; svc and deployment pick
 * one of their pods), and each `[LOCAL:]REMOTE` pair, where a Service's port (by number or name) becomes the
 * chosen pod's targetPort and a pod's named port its number. Errors use kubectl's wording. No Node APIs here:
 * the sockets are realtime/port-forward.ts's.
 */
import type { ClusterPod, ClusterRuntime } from '../cluster/runtime.js';
import type { PlannedPod, PlannedService } from '../cluster/plan-types.js';
import type { ForwardedPort } from '../realtime/port-forward.js';

/** A port pair as typed: REMOTE may be a port name. */
export interface PortArg {
  /** 0 when empty (`:80`) or absent: the system picks. With a named remote and no local, `undefined`. */
  local: number | undefined;
  remote: string;
}

/** The resource kinds port-forward takes, by every name kubectl accepts for them. */
const KINDS: Record<string, 'pod' | 'service' | 'deployment'> = {
  pod: 'pod',
  pods: 'pod',
  po: 'pod',
  service: 'service',
  services: 'service',
  svc: 'service',
  deployment: 'deployment',
  deployments: 'deployment',
  deploy: 'deployment',
  'deployment.apps': 'deployment',
  'deployments.apps': 'deployment',
};

/** TYPE/NAME (TYPE defaults to pod, as kubectl's). */
export interface ResourceArg {
  kind: 'pod' | 'service' | 'deployment';
  name: string;
}

/** Reads TYPE/NAME; a string says what is wrong. */
export function parseResourceArg(arg: string): ResourceArg | string {
  const slash = arg.indexOf('/');
  if (slash < 0) return arg === '' ? 'pod name or resource type/name must be specified' : { kind: 'pod', name: arg };
  const kind = KINDS[arg.slice(0, slash).toLowerCase()];
  const name = arg.slice(slash + 1);
  if (kind === undefined) return `port-forward takes pod/NAME, svc/NAME or deployment/NAME, got ${JSON.stringify(arg)}`;
  if (name === '' || name.includes('/')) return `bad resource name in ${JSON.stringify(arg)}`;
  return { kind, name };
}

/**
 * Reads one `[LOCAL:]REMOTE` (client-go tools/portforward parsePorts): LOCAL empty means a free port; REMOTE
 * is a number from 1 to 65535 or a port name.
 */
export function parsePortArg(arg: string): PortArg | string {
  const parts = arg.split(':');
  if (parts.length > 2) return `invalid port format ${JSON.stringify(arg)}: use [LOCAL_PORT:]REMOTE_PORT`;
  const [first, second] = parts as [string, string | undefined];
  const remote = second ?? first;
  if (remote === '') return `remote port cannot be empty in ${JSON.stringify(arg)}`;
  if (/^[0-9]+$/.test(remote) && (Number(remote) < 1 || Number(remote) > 65535))
    return `Remote port must be > 0 and < 65536, got ${remote}`;
  if (!/^[0-9]+$/.test(remote) && !/^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/.test(remote))
    return `invalid remote port ${JSON.stringify(remote)}: a number or a port name`;
  if (second === undefined) return { local: /^[0-9]+$/.test(remote) ? Number(remote) : undefined, remote };
  if (first === '') return { local: 0, remote };
  if (!/^[0-9]+$/.test(first) || Number(first) > 65535)
    return `Error parsing local port '${first}': must be a number from 0 to 65535`;
  return { local: Number(first), remote };
}

/** The pod chosen and the numeric pairs to forward to it. */
export interface ForwardTarget {
  pod: ClusterPod;
  ports: ForwardedPort[];
}

/**
 * Chooses the pod and translates the ports, or says why not (kubectl's messages). Like kubectl's GetFirstPod
 * (sorted by podutils.ActivePods, most active first): a running pod, ready before not ready, fewer restarts
 * first, then by name.
 */
export function resolveTarget(
  c: ClusterRuntime,
  res: ResourceArg,
  namespace: string,
  ports: readonly PortArg[],
): ForwardTarget | string {
  const planned = (p: ClusterPod): PlannedPod | undefined =>
    c.plan.pods.find((x) => x.namespace === p.namespace && x.name === p.name);
  const inNs = [...c.pods.values()].filter((p) => p.namespace === namespace);
  let candidates: ClusterPod[];
  let svc: PlannedService | undefined;
  switch (res.kind) {
    case 'pod': {
      const p = inNs.find((x) => x.name === res.name);
      if (p === undefined) {
        const pending = c.plan.pods.find((x) => x.namespace === namespace && x.name === res.name);
        return pending !== undefined
          ? `unable to forward port because pod is not running. Current status=Pending`
          : `pods "${res.name}" not found`;
      }
      candidates = [p];
      break;
    }
    case 'service': {
      svc = c.plan.services.find((s) => s.namespace === namespace && s.name === res.name);
      if (svc === undefined) return `services "${res.name}" not found`;
      const selector = svc.selector;
      if (selector === undefined || Object.keys(selector).length === 0)
        return `cannot attach to *v1.Service: invalid service '${res.name}': Service is defined without a selector`;
      candidates = inNs.filter((p) => Object.entries(selector).every(([k, v]) => p.labels[k] === v));
      break;
    }
    case 'deployment': {
      const owned = c.plan.pods.filter((x) => x.namespace === namespace && x.owner?.deployment === res.name);
      if (owned.length === 0 && !c.plan.pods.some((x) => x.owner?.deployment === res.name))
        return `deployments.apps "${res.name}" not found`;
      candidates = inNs.filter((p) => owned.some((o) => o.name === p.name));
      break;
    }
  }
  const restarts = (p: ClusterPod): number => p.containers.statuses.reduce((n, s) => n + s.restartCount, 0);
  const pod = [...candidates].sort(
    (a, b) =>
      Number(b.ready) - Number(a.ready) ||
      restarts(a) - restarts(b) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  )[0];
  if (pod === undefined) return `no running pod for ${res.kind}/${res.name} in namespace ${namespace}`;
  const spec = planned(pod);
  const containerPorts = spec?.spec.containers.flatMap((k) => k.ports) ?? [];
  const byName = (name: string): number | string => {
    const cp = containerPorts.find((x) => x.name === name);
    return cp !== undefined ? cp.containerPort : `Pod '${pod.name}' does not have a named port '${name}'`;
  };
  const out: ForwardedPort[] = [];
  for (const p of ports) {
    let remote: number;
    let local = p.local;
    if (svc !== undefined) {
      let svcPort = Number(p.remote);
      if (!/^[0-9]+$/.test(p.remote)) {
        const named = svc.ports.find((x) => x.name === p.remote);
        if (named === undefined) return `Service '${svc.name}' does not have a named port '${p.remote}'`;
        svcPort = named.port;
      }
      local ??= svcPort;
      const sp = svc.ports.filter((x) => x.port === svcPort);
      // kubectl refuses a port the Service serves over UDP only (port-forward is TCP)
      if (sp.length > 0 && sp.every((x) => x.protocol === 'UDP'))
        return `UDP protocol is not supported for ${p.remote}`;
      const first = sp[0];
      if (svc.headless) remote = svcPort;
      else if (first === undefined) return `Service ${svc.name} does not have a service port ${svcPort}`;
      else if (typeof first.targetPort === 'number') remote = first.targetPort === 0 ? first.port : first.targetPort;
      else {
        const n = byName(first.targetPort);
        if (typeof n === 'string') return n;
        remote = n;
      }
    } else if (/^[0-9]+$/.test(p.remote)) {
      remote = Number(p.remote);
      const cps = containerPorts.filter((x) => x.containerPort === remote);
      if (cps.length > 0 && cps.every((x) => x.protocol === 'UDP'))
        return `UDP protocol is not supported for ${p.remote}`;
    } else {
      const n = byName(p.remote);
      if (typeof n === 'string') return n;
      remote = n;
      local ??= n;
    }
    out.push({ local: local ?? remote, remote });
  }
  return { pod, ports: out };
}
