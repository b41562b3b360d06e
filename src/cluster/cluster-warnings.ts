/**
 * What a person should know before trusting a run of their cluster: warnings about things that will not
 * work as written (a selector that matches nothing, a Pending pod, an Ingress routed to a missing Service),
 * and what podnet does not emulate yet (kube-proxy, NetworkPolicy enforcement, kinds it does not read).
 * Each warning names the object (`Service default/web`) and carries a machine-readable code; the CLI prints
 * them and puts them in its --json. The plan finds the first kind (plan.ts, plan-services.ts); this file
 * adds the second from the plan and what reading skipped, and formats both.
 */
import { isKnownImage } from '../apps/images/registry.js';
import type { NotHandled } from './k8s-objects.js';
import type { ClusterPlan, PlannedService } from './plan-types.js';
import { problemAt, type FieldPath, type Origin, type Problem } from './source-ref.js';
import { traefikServes } from './traefik-provider.js';

/** Machine-readable warning codes (the `code` of the CLI's --json warnings). */
export type WarningCode =
  /** A Service selector that matches no pod: no endpoints. */
  | 'selector-matches-nothing'
  /** Every pod a Service selects is Pending: no endpoints. */
  | 'endpoints-pending'
  /** A named targetPort some selected pods do not declare. */
  | 'target-port-missing'
  /** A pod no node takes. */
  | 'pod-pending'
  /** An Ingress backend naming a Service or port that does not exist. */
  | 'ingress-no-backend'
  /** The Flannel backend cannot work on this underlay (host-gw across a router). */
  | 'backend-needs-l2'
  /** A Calico resource on a cluster whose CNI is not Calico: it changes nothing. */
  | 'calico-resource-ignored'
  /** A field podnet reads but ignores (scheduler affinity, a net-conf.json key flannel ignores). */
  | 'field-ignored'
  /** A Service whose virtual IP, node ports or DNS name nothing answers yet. */
  | 'service-not-emulated'
  /** A NetworkPolicy that nothing enforces (network-policy disabled, or an enforcer podnet does not emulate yet). */
  | 'networkpolicy-not-enforced'
  /** An Ingress that no ingress controller serves yet. */
  | 'ingress-not-emulated'
  /** A document of a kind podnet does not read: ignored. */
  | 'kind-not-handled'
  /** A container image podnet does not know: its TCP ports accept and answer nothing (apps/images). */
  | 'image-behaviour-unknown';

/** Codes that say what podnet does not emulate (the rest say what will not work as written). */
const NOT_EMULATED: ReadonlySet<WarningCode> = new Set<WarningCode>([
  'service-not-emulated',
  'networkpolicy-not-enforced',
  'ingress-not-emulated',
  'kind-not-handled',
]);

/** One warning, as printed and as put in --json. */
export interface ClusterWarning {
  code: WarningCode;
  /** The object, as `Kind namespace/name` (`Kind name` when cluster-scoped). */
  object: string;
  /** A sentence that names the object and says what happens. */
  message: string;
  /** `file:line` of the object or field, when the user wrote it. */
  at?: string;
}

/** A warning found while planning: located like an error (Problem), with its code and object. */
export interface PlanWarning extends Problem {
  code: WarningCode;
  /** `Kind namespace/name`. */
  object: string;
}

/** A PlanWarning about the field at `rel` of the object at `origin`. */
export function planWarning(
  origin: Origin,
  rel: FieldPath,
  code: WarningCode,
  object: string,
  message: string,
): PlanWarning {
  return { ...problemAt(origin, rel, message), code, object };
}

/** `Kind namespace/name`, or `Kind name` for a cluster-scoped object. */
export function objectName(kind: string, namespace: string, name: string): string {
  return namespace === '' ? `${kind} ${name}` : `${kind} ${namespace}/${name}`;
}

/** Kinds without a namespace that a manifest podnet does not read is likely to hold. */
const CLUSTER_SCOPED = new Set([
  'APIService',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'IngressClass',
  'MutatingWebhookConfiguration',
  'Node',
  'PersistentVolume',
  'PriorityClass',
  'RuntimeClass',
  'StorageClass',
  'ValidatingWebhookConfiguration',
]);

/** Everything to say about a loaded cluster: plan warnings, reading's other warnings, and what is not emulated. */
export function clusterWarnings(
  plan: ClusterPlan,
  notHandled: readonly NotHandled[],
  readingWarnings: readonly Problem[] = [],
): ClusterWarning[] {
  const out: ClusterWarning[] = [];
  const builtin = (file: string): boolean => file.startsWith('<');
  const at = (p: Problem): { at?: string } => (builtin(p.file) ? {} : { at: `${p.file}:${p.line}` });
  for (const w of readingWarnings)
    out.push({
      code: 'field-ignored',
      object: w.field === '' ? w.file : w.field,
      message: `${w.field === '' ? '' : `${w.field}: `}${w.message}`,
      ...at(w),
    });
  for (const w of plan.warnings) {
    // the planner's sentences follow a file:line:field prefix; here they follow the object's name, once
    const message = w.message.startsWith(w.object) ? w.message : `${w.object}: ${w.message}`;
    out.push({ code: w.code, object: w.object, message, ...at(w) });
  }
  for (const w of unknownImages(plan)) out.push({ code: w.code, object: w.object, message: w.message, ...at(w) });
  for (const s of plan.services) out.push(...serviceNotEmulated(s));
  // kube-router's controller enforces policy on a Flannel cluster unless k3s runs with --disable-network-policy;
  // Felix enforces it on a Calico cluster, named ports included (hash:ip,port cali40n: sets). What Felix's
  // model here leaves out of Calico's own policies (service accounts, ICMP types, other tiers) is warned
  // about where the policy is read (scenario/manifest-calico-policy.ts)
  const unenforced =
    plan.cluster.cni === 'calico'
      ? undefined
      : plan.cluster.disable.includes('network-policy')
        ? 'spec.disable lists network-policy (k3s --disable-network-policy), so no controller enforces it'
        : undefined;
  if (unenforced !== undefined)
    for (const np of plan.networkPolicies) {
      const object = objectName('NetworkPolicy', np.metadata.namespace, np.metadata.name);
      out.push({
        code: 'networkpolicy-not-enforced',
        object,
        message: `${object}: not enforced: ${unenforced}; traffic the policy would deny is allowed`,
        ...at(problemAt(np.origin, [], '')),
      });
    }
  // k3s's Traefik serves Ingresses of its class, or with no class (traefik-provider.ts); any other has no controller
  const traefikOn = !plan.cluster.disable.includes('traefik');
  for (const ing of plan.ingresses) {
    if (traefikOn && traefikServes(ing, ['traefik'])) continue;
    const object = objectName('Ingress', ing.metadata.namespace, ing.metadata.name);
    const why = !traefikOn
      ? 'traefik is disabled (spec.disable) and no other ingress controller is emulated'
      : `ingress class ${JSON.stringify(ing.spec.ingressClassName ?? ing.metadata.annotations['kubernetes.io/ingress.class'])} has no controller here (k3s's Traefik serves class traefik and Ingresses without one)`;
    out.push({
      code: 'ingress-not-emulated',
      object,
      message: `${object}: ${why}: its rules route nothing`,
      ...at(problemAt(ing.origin, [], '')),
    });
  }
  for (const n of notHandled) {
    const name = n.name ?? '(unnamed)';
    const object = CLUSTER_SCOPED.has(n.kind) ? `${n.kind} ${name}` : `${n.kind} ${n.namespace ?? 'default'}/${name}`;
    out.push({
      code: 'kind-not-handled',
      object,
      message: `${object}: kind ${n.kind} (${n.apiVersion}) is not handled by podnet yet: ignored`,
      at: `${n.file}:${n.line}`,
    });
  }
  return out;
}

/** One warning per Pod or Deployment container whose image podnet does not know. */
function unknownImages(plan: ClusterPlan): PlanWarning[] {
  const out: PlanWarning[] = [];
  const seen = new Set<string>();
  for (const p of plan.pods) {
    const object =
      p.owner === undefined
        ? objectName('Pod', p.namespace, p.name)
        : objectName('Deployment', p.namespace, p.owner.deployment);
    p.spec.containers.forEach((c, i) => {
      if (isKnownImage(c.image) || seen.has(`${object}/${c.name}`)) return;
      seen.add(`${object}/${c.name}`);
      const tcp = c.ports.filter((x) => x.protocol === 'TCP').map((x) => `${x.containerPort}/TCP`);
      const does =
        tcp.length > 0
          ? `its port${tcp.length > 1 ? 's' : ''} ${tcp.join(', ')} accept${tcp.length > 1 ? '' : 's'} connections and answer${tcp.length > 1 ? '' : 's'} nothing`
          : 'nothing listens in it';
      const rel = [...(p.owner === undefined ? [] : ['spec', 'template']), 'spec', 'containers', i, 'image'];
      out.push(
        planWarning(
          p.origin,
          rel,
          'image-behaviour-unknown',
          object,
          `${object}: container ${c.name}: the behaviour of image ${c.image} is unknown to podnet: ${does} (known images: nginx, httpd, traefik/whoami, hashicorp/http-echo, busybox, alpine, coredns)`,
        ),
      );
    });
  }
  return out;
}

/** What of a Service is not emulated yet: kube-proxy's health-check node port. */
function serviceNotEmulated(s: PlannedService): ClusterWarning[] {
  const object = objectName('Service', s.namespace, s.name);
  const at = s.builtin ? {} : { at: `${s.origin.doc.file}:${s.origin.doc.locate([...s.origin.path, 'kind']).line}` };
  // ExternalName (a CNAME) and headless Services (endpoint A records) are all DNS, which the coredns pod serves
  if (s.type === 'ExternalName' || s.clusterIP === undefined) return [];
  const what: string[] = [];
  // the ClusterIP and NodePorts are kube-proxy's (kube-proxy.ts), the external IPs ServiceLB's (servicelb.ts),
  // DNS the coredns pod's; what kube-proxy leaves out is its health-check server for Local load balancers
  if (s.healthCheckNodePort !== undefined)
    what.push(
      `healthCheckNodePort ${s.healthCheckNodePort} is allocated but kube-proxy's health-check server is not emulated: nothing answers on it`,
    );
  if (what.length === 0) return [];
  return [{ code: 'service-not-emulated', object, message: `${object}: ${what.join('; ')}`, ...at }];
}

/** Splits warnings into what will not work as written and what podnet does not emulate. */
export function partitionWarnings(ws: readonly ClusterWarning[]): {
  warnings: ClusterWarning[];
  notEmulated: ClusterWarning[];
} {
  return {
    warnings: ws.filter((w) => !NOT_EMULATED.has(w.code)),
    notEmulated: ws.filter((w) => NOT_EMULATED.has(w.code)),
  };
}

/** The WARNINGS and NOT EMULATED sections as lines (none when there is nothing to say). */
export function formatWarnings(ws: readonly ClusterWarning[]): string[] {
  const { warnings, notEmulated } = partitionWarnings(ws);
  const line = (w: ClusterWarning): string => `  ${w.message}${w.at === undefined ? '' : ` (${w.at})`}`;
  const out: string[] = [];
  if (warnings.length > 0) out.push('WARNINGS', ...warnings.map(line));
  if (notEmulated.length > 0) out.push('NOT EMULATED', ...notEmulated.map(line));
  return out;
}
