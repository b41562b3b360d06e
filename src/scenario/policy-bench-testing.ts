/**
 * For tests only: the e2e netpol world built and up, and a stand-in enforcer for a default-deny-ingress
 * policy in one namespace (until the kube-router and Felix enforcers are built in, the probe engine's
 * tests need something on the data path that denies): on every node, FORWARD first accepts replies
 * (conntrack ESTABLISHED,RELATED), then DROPs or REJECTs every new connection to the namespace's pods, in
 * a chain of its own whose drops the policy explainer puts in words. Shipped code does not import it.
 */
import { parseIptablesSave } from '../net/netfilter/iptables-restore.js';
import { formatIpv4 } from '../wire/addr.js';
import { loadCluster } from './manifests.js';
import { e2eWorldText, type E2eWorldOptions } from './policy-bench.js';
import { formatSpecError } from './source.js';
import { cachedNetpolWorld, policyDropExplainer } from '../cluster/netpol-world.js';
import { bringUp, buildCluster, type ClusterRuntime } from '../cluster/runtime.js';

/** A default-deny-ingress policy for namespace `ns`, as YAML. */
export function denyAllIngressYaml(ns: string, name = 'deny-all'): string {
  return `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: ${name}, namespace: ${ns} }
spec:
  podSelector: {}
  ingress: []
`;
}

/** The e2e world with `manifests`, built and up a minute. */
export async function upE2eWorld(manifests = '', o: E2eWorldOptions = {}): Promise<ClusterRuntime> {
  const r = loadCluster([{ file: 'e2e.yaml', text: e2eWorldText(manifests, o) }]);
  if (!r.ok) throw new Error(r.errors.map(formatSpecError).join('\n'));
  const rt = await buildCluster(r.cluster.plan);
  bringUp(rt);
  return rt;
}

/** The stand-in enforcer's chain. */
export const STAND_IN_CHAIN = 'TEST-NWPLCY';

/** Denies new connections to every pod of `ns` on every node (`target` DROP or REJECT). */
export function standInDenyIngress(rt: ClusterRuntime, ns: string, target: 'DROP' | 'REJECT'): void {
  const ips = [...rt.pods.values()].filter((p) => p.namespace === ns && !p.hostNetwork).map((p) => p.ip);
  const world = cachedNetpolWorld(rt);
  for (const node of rt.nodes.values()) {
    const nf = node.stack.enableNetfilter();
    node.stack.bridgeNfCallIptables = true;
    const text = [
      '*filter',
      `:${STAND_IN_CHAIN} - [0:0]`,
      `-I FORWARD 1 -j ${STAND_IN_CHAIN}`,
      `-A ${STAND_IN_CHAIN} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`,
      ...ips.map(
        (ip) => `-A ${STAND_IN_CHAIN} -d ${formatIpv4(ip)}/32 -m comment --comment "deny-all in ${ns}" -j ${target}`,
      ),
      'COMMIT',
      '',
    ].join('\n');
    const r = parseIptablesSave(text, nf.ruleset, { noflush: true });
    if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}: ${e.message}`).join('; '));
    nf.addDropExplainer(policyDropExplainer(world, (c) => c === STAND_IN_CHAIN));
  }
}
