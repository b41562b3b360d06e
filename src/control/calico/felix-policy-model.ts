/**
 * Calico policy as Felix receives it (the v1 backend model libcalico-go's update processors hand the
 * calculation graph: libcalico-go/lib/backend/syncersv1/updateprocessors/networkpolicyprocessor.go, rules.go),
 * and the workload endpoints it applies to. Both Calico's own projectcalico.org/v3 NetworkPolicy and
 * GlobalNetworkPolicy and Kubernetes NetworkPolicy (converted as `knp.default.<name>`) arrive in this form:
 * - a namespaced policy's key name is `<namespace>/<name>` and its selector gains
 *   `projectcalico.org/namespace == '<ns>'` (networkpolicyprocessor.go);
 * - a rule's `selector` and `namespaceSelector` become one selector (rules.go getEndpointSelector): the
 *   namespace selector's labels take the `pcns.` prefix the namespace profile gives its endpoints, `all()`
 *   becomes `has(projectcalico.org/namespace)`, and a namespaced policy's rule selector is limited to its
 *   namespace.
 * Only the default tier exists here. What the rules mean is cluster/calico-policy-eval.ts's; how Felix
 * writes them into iptables is felix-policy-render.ts's.
 */
import type { Ipv4, Ipv4Prefix } from '../../wire/addr.js';
import { formatSelector, parseSelector, selectorMatches, type SelectorNode } from './selector.js';

/** A rule's action (v1: lower case). `log` logs and goes on to the next rule. */
export type FelixAction = 'allow' | 'deny' | 'pass' | 'log';

/** A port or an inclusive range (numorstring.Port), or a named port. */
export type FelixPort = { first: number; last: number } | { name: string };

/** One side of a rule (model.Rule's Src* / Dst* fields). */
export interface FelixEntity {
  nets: readonly Ipv4Prefix[];
  notNets: readonly Ipv4Prefix[];
  /** The combined v1 selector ('' when the rule has none). */
  selector: string;
  notSelector: string;
  ports: readonly FelixPort[];
  notPorts: readonly FelixPort[];
}

/** A protocol by its v1 name (`tcp`, `udp`, `sctp`, `icmp`) or number. */
export type FelixProtocol = string | number;

/** One rule of a policy. */
export interface FelixRule {
  action: FelixAction;
  protocol?: FelixProtocol;
  notProtocol?: FelixProtocol;
  src: FelixEntity;
  dst: FelixEntity;
}

/** A policy in the v1 model. */
export interface FelixPolicy {
  /** Always `default` here. */
  tier: 'default';
  /** The key name: `<ns>/<name>` for a namespaced policy, `<name>` for a global one. */
  name: string;
  /** The namespace of a namespaced policy. */
  namespace?: string;
  /** Lower first; undefined sorts last (policy_sorter.go). */
  order?: number;
  /** The v1 selector (with the namespace clause of a namespaced policy). */
  selector: string;
  ingress: boolean;
  egress: boolean;
  inbound: readonly FelixRule[];
  outbound: readonly FelixRule[];
  /** Where it came from, for messages: `NetworkPolicy x/default-deny`, `GlobalNetworkPolicy deny-all`. */
  source: string;
}

/** A named container port of a workload endpoint (model.EndpointPort). */
export interface FelixNamedPort {
  name: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  port: number;
}

/** A workload endpoint as Felix sees it: its host interface, address, labels, profiles and named ports. */
export interface FelixWorkload {
  iface: string;
  ip: Ipv4;
  namespace: string;
  pod: string;
  /** The pod's labels plus the projectcalico.org/* ones and those its profiles give (calicoWorkloadLabels). */
  labels: Readonly<Record<string, string>>;
  /** `kns.<ns>`, `ksa.<ns>.<serviceaccount>`. */
  profiles: readonly string[];
  /** Its named ports, what named-port ipsets are filled from (calicoEndpointPorts). */
  ports: readonly FelixNamedPort[];
}

/** libcalico-go/lib/apis/v3 labels Calico adds to every workload endpoint. */
export const LABEL_NAMESPACE = 'projectcalico.org/namespace';
/** The orchestrator label (k8s for a pod). */
export const LABEL_ORCHESTRATOR = 'projectcalico.org/orchestrator';
/** The service account label. */
export const LABEL_SERVICE_ACCOUNT = 'projectcalico.org/serviceaccount';
/** conversion.NamespaceLabelPrefix: namespace labels as the kns.<ns> profile gives them to its endpoints. */
export const NAMESPACE_LABEL_PREFIX = 'pcns.';
/** conversion.ServiceAccountLabelPrefix. */
export const SERVICE_ACCOUNT_LABEL_PREFIX = 'pcsa.';

/**
 * The labels a pod's endpoint carries for selectors (conversion.go NamespaceToProfile, ServiceAccountToProfile,
 * workload_endpoint.go): its own, projectcalico.org/namespace, /orchestrator and /serviceaccount, and the
 * profiles' labels (`pcns.<k>` for each namespace label, `pcns.projectcalico.org/name`, and the service
 * account's `pcsa.projectcalico.org/name`).
 */
export function calicoWorkloadLabels(
  pod: Readonly<Record<string, string>>,
  namespace: string,
  namespaceLabels: Readonly<Record<string, string>>,
  serviceAccount: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(namespaceLabels)) out[NAMESPACE_LABEL_PREFIX + k] = v;
  out[`${NAMESPACE_LABEL_PREFIX}projectcalico.org/name`] = namespace;
  out[`${SERVICE_ACCOUNT_LABEL_PREFIX}projectcalico.org/name`] = serviceAccount;
  Object.assign(out, pod);
  out[LABEL_NAMESPACE] = namespace;
  out[LABEL_ORCHESTRATOR] = 'k8s';
  out[LABEL_SERVICE_ACCOUNT] = serviceAccount;
  return out;
}

/** The profiles of a pod's endpoint: its namespace's and its service account's. */
export function calicoWorkloadProfiles(namespace: string, serviceAccount: string): string[] {
  return [`kns.${namespace}`, `ksa.${namespace}.${serviceAccount}`];
}

/**
 * A pod's endpoint ports (libcalico-go/lib/backend/k8s/conversion/workload_endpoint_default.go
 * appendEndpointPorts): each container port with a number and a name (or a hostPort), its protocol in lower
 * case (TCP when unset). Only named ones are kept here: a rule's named port never has the empty name.
 */
export function calicoEndpointPorts(
  containers: readonly { ports: readonly { name?: string; containerPort: number; protocol: string }[] }[],
): FelixNamedPort[] {
  const out: FelixNamedPort[] = [];
  for (const c of containers)
    for (const p of c.ports) {
      const protocol = ({ TCP: 'tcp', UDP: 'udp', SCTP: 'sctp', '': 'tcp' } as const)[p.protocol as 'TCP'];
      if (p.name !== undefined && p.name !== '' && p.containerPort !== 0 && protocol !== undefined)
        out.push({ name: p.name, protocol, port: p.containerPort });
    }
  return out;
}

/** Every label of `node` with `prefix` in front (rules.go parseSelectorAttachPrefix). */
function prefixLabels(node: SelectorNode, prefix: string): SelectorNode {
  switch (node.op) {
    case 'all':
    case 'global':
      return node;
    case '!':
      return { op: '!', operand: prefixLabels(node.operand, prefix) };
    case '&&':
    case '||':
      return { op: node.op, operands: node.operands.map((o) => prefixLabels(o, prefix)) };
    default:
      return { ...node, label: prefix + node.label };
  }
}

/**
 * The v1 selector of a rule side (rules.go getEndpointSelector): `selector` and `namespaceSelector` as written,
 * `ns` the policy's namespace ('' for a global policy). Selectors are assumed to parse (the readers check).
 */
export function entitySelector(selector: string, namespaceSelector: string, notSelector: string, ns: string): string {
  let nsSelector = '';
  if (namespaceSelector !== '') {
    const parsed = parseSelector(namespaceSelector);
    nsSelector = parsed.ok ? formatSelector(prefixLabels(parsed.value, NAMESPACE_LABEL_PREFIX)) : namespaceSelector;
    nsSelector = nsSelector
      .replaceAll('all()', `has(${LABEL_NAMESPACE})`)
      .replaceAll('global()', `!has(${LABEL_NAMESPACE})`);
  } else if (ns !== '') nsSelector = `${LABEL_NAMESPACE} == '${ns}'`;
  if (nsSelector !== '' && (selector !== '' || notSelector !== '' || namespaceSelector !== ''))
    return selector !== '' ? `(${nsSelector}) && (${selector})` : nsSelector;
  return selector;
}

/** A namespaced policy's selector (networkpolicyprocessor.go): `(sel) && projectcalico.org/namespace == 'ns'`. */
export function namespacedPolicySelector(selector: string, ns: string): string {
  const nsSel = `${LABEL_NAMESPACE} == '${ns}'`;
  return selector === '' ? nsSel : `(${selector}) && ${nsSel}`;
}

/** Felix's policy order (calc/policy_sorter.go): by order, none last, then by name. */
export function comparePolicies(a: FelixPolicy, b: FelixPolicy): number {
  const ao = a.order ?? Infinity;
  const bo = b.order ?? Infinity;
  if (ao !== bo) return ao < bo ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Parsed selectors by text: policies repeat a few selectors over many endpoints. */
const parsedCache = new Map<string, SelectorNode | undefined>();

/** A selector parsed once per text (undefined when it does not parse: it then matches nothing). */
export function cachedSelector(text: string): SelectorNode | undefined {
  if (parsedCache.has(text)) return parsedCache.get(text);
  if (parsedCache.size > 50_000) parsedCache.clear();
  const r = parseSelector(text);
  const node = r.ok ? r.value : undefined;
  parsedCache.set(text, node);
  return node;
}

/** Whether the selector `text` selects `labels`. */
export function selects(text: string, labels: Readonly<Record<string, string>>): boolean {
  const node = cachedSelector(text);
  return node !== undefined && selectorMatches(node, labels);
}

/** The canonical text of a selector (libcalico-go Selector.String), or the text itself if it does not parse. */
export function normaliseSelector(text: string): string {
  const node = cachedSelector(text);
  return node !== undefined ? formatSelector(node) : text;
}
