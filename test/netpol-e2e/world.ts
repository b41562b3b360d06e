/**
 * The e2e suite's world as a podnet cluster: namespaces x, y, z each with pods a, b, c, every pod running
 * model.go's four agnhost containers (cont-<port>-<tcp|udp>: `/agnhost serve-hostname --tcp|--udp
 * --http=false --port <port>`, container port named serve-<port>-<tcp|udp>), on two nodes (a and c on the
 * server, b on the agent, so both same-node and cross-node pairs are probed), with Flannel or Calico.
 * CoreDNS, Traefik and ServiceLB are off: the probes go pod to pod by address, as the suite's do.
 */
import { E2E_NAMESPACES, E2E_PODS, E2E_PORTS } from './cases.js';
import { namespaceManifests, policyManifests, type E2eState } from './state.js';

/** The CNIs (and so the enforcers) the world is built with. */
export type E2eCni = 'flannel' | 'calico';

/** agnhost, as the suite pulls it (imageutils.Agnhost). */
export const AGNHOST_IMAGE = 'registry.k8s.io/e2e-test-images/agnhost:2.52';

/** The node each pod runs on: a and c on the server, b on the agent. */
const NODE_OF: Record<string, string> = { a: 'server', b: 'agent', c: 'server' };

/** The Cluster document: two nodes on one switch, `cni`. */
function clusterDoc(cni: E2eCni): string {
  return [
    'apiVersion: podnet.dev/v1alpha1',
    'kind: Cluster',
    'metadata: { name: netpol-e2e }',
    'spec:',
    '  seed: 12',
    '  nodes:',
    '    - { name: server, address: 172.20.0.11/24, role: server }',
    '    - { name: agent, address: 172.20.0.12/24, role: agent }',
    `  cni: ${cni}`,
    '  disable: [coredns, traefik, servicelb]',
    '',
  ].join('\n');
}

/** One pod of the model with `labels`. */
function podDoc(ns: string, name: string, labels: Record<string, string>): string {
  const containers = E2E_PORTS.flatMap((port) =>
    (['TCP', 'UDP'] as const).map((protocol) => {
      const p = protocol.toLowerCase();
      return [
        `    - name: cont-${port}-${p}`,
        `      image: ${AGNHOST_IMAGE}`,
        `      command: [/agnhost, serve-hostname, --${p}, --http=false, --port, "${port}"]`,
        `      ports: [{ containerPort: ${port}, name: serve-${port}-${p}, protocol: ${protocol} }]`,
      ].join('\n');
    }),
  );
  return [
    'apiVersion: v1',
    'kind: Pod',
    `metadata: { name: ${name}, namespace: ${ns}, labels: ${JSON.stringify(labels)} }`,
    'spec:',
    `  nodeName: ${NODE_OF[name] ?? 'server'}`,
    '  terminationGracePeriodSeconds: 0',
    '  containers:',
    ...containers,
    '',
  ].join('\n');
}

/**
 * The whole world of `state` as cluster input: the Cluster document, the namespaces and pods with
 * `state`'s labels, and its policies (`ipOf` gives the addresses `{{ns/pod}}` stands for).
 */
export function e2eClusterYaml(cni: E2eCni, state: E2eState, ipOf?: (pod: string) => string): string {
  const pods = E2E_NAMESPACES.flatMap((ns) => E2E_PODS.map((p) => podDoc(ns, p, state.podLabels.get(`${ns}/${p}`)!)));
  const policies = state.policies.size === 0 ? '' : policyManifests(state, ipOf ?? noAddresses);
  return [clusterDoc(cni), namespaceManifests(state), ...pods, ...(policies === '' ? [] : [policies])].join('---\n');
}

function noAddresses(pod: string): string {
  throw new Error(`a policy names ${pod}'s address, but the world has none yet`);
}
