/**
 * Clusters for NetworkPolicy work, as Cluster-document text: the Kubernetes e2e netpol world (namespaces
 * x, y, z labelled ns=<name>, pods a, b, c labelled pod=<name>, each with one agnhost serve-hostname
 * container per port and protocol, exactly as test/e2e/network/netpol/model.go builds them), and the
 * scale world of `podnet bench policy`: N pods over a few namespaces with varied labels and M generated
 * policies (a realistic mix: default-deny, allow-from-namespace, allow-from-label on a port, ipBlock),
 * deterministic from the seed.
 */
import { streamPrng } from '../sim/prng.js';

/** Which CNI (and so which enforcer: kube-router's with Flannel, Felix with Calico). */
export type PolicyCni = 'flannel' | 'calico';

/** The kubelet's default --max-pods, which k3s keeps. */
const MAX_PODS = 110;

/** The agnhost image the e2e suite runs (its version does not matter to podnet). */
export const E2E_AGNHOST_IMAGE = 'registry.k8s.io/e2e-test-images/agnhost:2.53';

function header(name: string, nodes: number, cni: PolicyCni, seed: number, enforce = true): string[] {
  const lines = [
    'apiVersion: podnet.dev/v1alpha1',
    'kind: Cluster',
    `metadata: { name: ${name} }`,
    'spec:',
    `  seed: ${seed}`,
    `  cni: ${cni}`,
    `  disable: [coredns, traefik, servicelb${enforce ? '' : ', network-policy'}]`,
    '  underlay: { type: switch, link: { latency: 10us, bandwidth: 10Gbps, mtu: 1500 } }',
    '  nodes:',
  ];
  for (let i = 0; i < nodes; i++)
    lines.push(`    - { name: node${i}, address: 172.16.0.${i + 10}/16${i === 0 ? ', role: server' : ''} }`);
  return lines;
}

/** One e2e container (model.go Container.Spec): cont-<port>-<proto>, port name serve-<port>-<proto>. */
function e2eContainer(port: number, protocol: 'TCP' | 'UDP' | 'SCTP'): string[] {
  const p = protocol.toLowerCase();
  const command =
    protocol === 'SCTP'
      ? `['/agnhost', 'porter']`
      : `['/agnhost', 'serve-hostname', '--${p}', '--http=false', '--port', '${port}']`;
  return [
    `    - name: cont-${port}-${p}`,
    `      image: ${E2E_AGNHOST_IMAGE}`,
    `      command: ${command}`,
    ...(protocol === 'SCTP' ? [`      env: [{ name: SERVE_SCTP_PORT_${port}, value: foo }]`] : []),
    `      ports: [{ containerPort: ${port}, name: serve-${port}-${p}, protocol: ${protocol} }]`,
  ];
}

/** Options of the e2e world. */
export interface E2eWorldOptions {
  cni?: PolicyCni;
  namespaces?: readonly string[];
  pods?: readonly string[];
  ports?: readonly number[];
  protocols?: readonly ('TCP' | 'UDP' | 'SCTP')[];
  seed?: number;
  /** false: k3s's network policy controller disabled (`disable: [network-policy]`), nothing enforces. */
  enforce?: boolean;
}

/**
 * The e2e netpol world on two nodes, followed by `manifests` (NetworkPolicy documents, as YAML text
 * without a leading `---`). Defaults: x, y, z; a, b, c; ports 80 and 81; TCP and UDP.
 */
export function e2eWorldText(manifests = '', o: E2eWorldOptions = {}): string {
  const namespaces = o.namespaces ?? ['x', 'y', 'z'];
  const pods = o.pods ?? ['a', 'b', 'c'];
  const ports = o.ports ?? [80, 81];
  const protocols = o.protocols ?? ['TCP', 'UDP'];
  const lines = header('netpol-e2e', 2, o.cni ?? 'flannel', o.seed ?? 1, o.enforce ?? true);
  for (const ns of namespaces)
    lines.push('---', 'apiVersion: v1', 'kind: Namespace', `metadata: { name: ${ns}, labels: { ns: ${ns} } }`);
  for (const ns of namespaces)
    for (const pod of pods) {
      lines.push(
        '---',
        'apiVersion: v1',
        'kind: Pod',
        `metadata: { name: ${pod}, namespace: ${ns}, labels: { pod: ${pod} } }`,
        'spec:',
        '  containers:',
      );
      for (const port of ports) for (const proto of protocols) lines.push(...e2eContainer(port, proto));
    }
  const text = lines.join('\n') + '\n';
  return manifests.trim() === '' ? text : `${text}---\n${manifests.trim()}\n`;
}

/** Options of the scale world. */
export interface PolicyBenchOptions {
  pods: number;
  policies: number;
  cni?: PolicyCni;
  seed?: number;
}

const APPS = ['web', 'api', 'db', 'cache', 'worker', 'auth', 'queue', 'search'];
const TIERS = ['frontend', 'backend', 'data'];

/** Nodes enough for `pods` pods at the kubelet's default max pods. */
export function nodesFor(pods: number): number {
  return Math.max(2, Math.ceil(pods / MAX_PODS));
}

/** How many namespaces the scale world spreads `pods` over. */
export function namespacesFor(pods: number): number {
  return Math.max(3, Math.min(10, Math.ceil(pods / 100)));
}

/**
 * The scale world: `pods` agnhost pods (TCP 80, port name serve-80-tcp) over a few namespaces, labelled
 * app/tier/pod, and `policies` NetworkPolicies drawn from the seed's stream `scenario:policy-bench`.
 */
export function policyBenchText(o: PolicyBenchOptions): string {
  const seed = o.seed ?? 1;
  const rng = streamPrng(seed, 'scenario:policy-bench');
  const nss = namespacesFor(o.pods);
  const lines = header('policy-bench', nodesFor(o.pods), o.cni ?? 'flannel', seed);
  for (let n = 0; n < nss; n++)
    lines.push(
      '---',
      'apiVersion: v1',
      'kind: Namespace',
      `metadata: { name: ns${n}, labels: { ns: ns${n}, team: t${n % 3} } }`,
    );
  for (let i = 0; i < o.pods; i++) {
    const app = APPS[rng.int(APPS.length)]!;
    const tier = TIERS[rng.int(TIERS.length)]!;
    lines.push(
      '---',
      'apiVersion: v1',
      'kind: Pod',
      `metadata: { name: p${i}, namespace: ns${i % nss}, labels: { pod: p${i}, app: ${app}, tier: ${tier} } }`,
      'spec:',
      '  containers:',
      ...e2eContainer(80, 'TCP'),
    );
  }
  // Felix does not program named ports (felix-policy-render.ts: they need hash:ip,port ipsets), so the
  // Calico world names its port by number; kube-router resolves the name per pod, as k3s does
  const named = (o.cni ?? 'flannel') === 'flannel';
  for (let i = 0; i < o.policies; i++) lines.push('---', ...benchPolicy(i, nss, rng, named));
  return lines.join('\n') + '\n';
}

/**
 * The i-th generated policy: default-deny (1 in 8), allow-from-namespace, allow-from-label on a port (by
 * number, or by name when `named`), ipBlock.
 */
function benchPolicy(i: number, nss: number, rng: ReturnType<typeof streamPrng>, named: boolean): string[] {
  const ns = `ns${rng.int(nss)}`;
  const app = APPS[rng.int(APPS.length)]!;
  const meta = ['apiVersion: networking.k8s.io/v1', 'kind: NetworkPolicy'];
  const kind = i % 8 === 0 ? 0 : 1 + rng.int(3);
  switch (kind) {
    case 0:
      return [...meta, `metadata: { name: deny-${i}, namespace: ${ns} }`, 'spec: { podSelector: {} }'];
    case 1:
      return [
        ...meta,
        `metadata: { name: from-ns-${i}, namespace: ${ns} }`,
        'spec:',
        `  podSelector: { matchLabels: { app: ${app} } }`,
        `  ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: t${rng.int(3)} } } }] }]`,
      ];
    case 2:
      return [
        ...meta,
        `metadata: { name: from-label-${i}, namespace: ${ns} }`,
        'spec:',
        `  podSelector: { matchLabels: { tier: ${TIERS[rng.int(TIERS.length)]!} } }`,
        '  ingress:',
        `    - from: [{ podSelector: { matchLabels: { app: ${APPS[rng.int(APPS.length)]!} } } }]`,
        `      ports: [{ protocol: TCP, port: ${rng.int(2) === 0 || !named ? 80 : "'serve-80-tcp'"} }]`,
      ];
    default: {
      const third = rng.int(4);
      return [
        ...meta,
        `metadata: { name: ipblock-${i}, namespace: ${ns} }`,
        'spec:',
        `  podSelector: { matchLabels: { app: ${app} } }`,
        `  ingress: [{ from: [{ ipBlock: { cidr: 10.42.0.0/16, except: [10.42.${third}.0/24] } }] }]`,
      ];
    }
  }
}
