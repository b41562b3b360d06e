/**
 * kube-router's names: every chain and ipset it makes is a prefix and the first 16 characters of
 * base32(sha256(...)) of the words listed per function (pkg/controllers/netpol/policy.go and pod.go of
 * kube-router v2.6.3, which k3s vendors as k3s-io/kube-router v2.6.3-k3s1), and the " - <uuid>" suffix
 * ensureTopLevelChains adds to the comments of the rules it inserts with the iptables command.
 */
import { base32, sha256, utf8 } from '../../wire/digest.js';

/** The only family podnet runs: v1core.IPv4Protocol, hashed into names as its string "IPv4". */
export const IPV4 = 'IPv4';

/** The top-level chains and the shared policy chains (network_policy_controller.go's constants). */
export const KR_CHAINS = {
  input: 'KUBE-ROUTER-INPUT',
  forward: 'KUBE-ROUTER-FORWARD',
  output: 'KUBE-ROUTER-OUTPUT',
  default: 'KUBE-NWPLCY-DEFAULT',
  common: 'KUBE-NWPLCY-COMMON',
} as const;

/** The built-in chain each top-level chain hangs from (defaultChains). */
export const BUILTIN_TO_KR: readonly (readonly [string, string])[] = [
  ['INPUT', KR_CHAINS.input],
  ['FORWARD', KR_CHAINS.forward],
  ['OUTPUT', KR_CHAINS.output],
];

/** The first 16 characters of base32(sha256(text)). */
export function hash16(text: string): string {
  return base32(sha256(utf8(text))).slice(0, 16);
}

/** podFirewallChainName: KUBE-POD-FW- + hash(namespace + podName + version). */
export function podFirewallChainName(namespace: string, pod: string, version: string): string {
  return 'KUBE-POD-FW-' + hash16(namespace + pod + version);
}

/** networkPolicyChainName: KUBE-NWPLCY- + hash(namespace + policyName + version + ipFamily). */
export function networkPolicyChainName(namespace: string, policy: string, version: string): string {
  return 'KUBE-NWPLCY-' + hash16(namespace + policy + version + IPV4);
}

/** policySourcePodIPSetName: the policy's selected pods as sources (egress). */
export function policySourcePodIPSetName(namespace: string, policy: string): string {
  return 'KUBE-SRC-' + hash16(namespace + policy + IPV4);
}

/** policyDestinationPodIPSetName: the policy's selected pods as destinations (ingress). */
export function policyDestinationPodIPSetName(namespace: string, policy: string): string {
  return 'KUBE-DST-' + hash16(namespace + policy + IPV4);
}

/** policyIndexedSourcePodIPSetName: the pods an ingress rule's `from` selects. */
export function ingressRulePodSetName(namespace: string, policy: string, rule: number): string {
  return 'KUBE-SRC-' + hash16(`${namespace}${policy}ingressrule${rule}${IPV4}pod`);
}

/** policyIndexedDestinationPodIPSetName: the pods an egress rule's `to` selects. */
export function egressRulePodSetName(namespace: string, policy: string, rule: number): string {
  return 'KUBE-DST-' + hash16(`${namespace}${policy}egressrule${rule}${IPV4}pod`);
}

/** policyIndexedSourceIPBlockIPSetName: an ingress rule's ipBlocks. */
export function ingressRuleIPBlockSetName(namespace: string, policy: string, rule: number): string {
  return 'KUBE-SRC-' + hash16(`${namespace}${policy}ingressrule${rule}${IPV4}ipblock`);
}

/** policyIndexedDestinationIPBlockIPSetName: an egress rule's ipBlocks. */
export function egressRuleIPBlockSetName(namespace: string, policy: string, rule: number): string {
  return 'KUBE-DST-' + hash16(`${namespace}${policy}egressrule${rule}${IPV4}ipblock`);
}

/** policyIndexedIngressNamedPortIPSetName: the pods one named port of an ingress rule resolves on. */
export function ingressNamedPortSetName(namespace: string, policy: string, rule: number, port: number): string {
  return 'KUBE-DST-' + hash16(`${namespace}${policy}ingressrule${rule}${port}${IPV4}namedport`);
}

/** policyIndexedEgressNamedPortIPSetName: the pods one named port of an egress rule resolves on. */
export function egressNamedPortSetName(namespace: string, policy: string, rule: number, port: number): string {
  return 'KUBE-DST-' + hash16(`${namespace}${policy}egressrule${rule}${port}${IPV4}namedport`);
}

/**
 * ensureTopLevelChains' addUUIDForRuleSpec: the comment of a rule it inserts gets " - " and
 * hash(chain + the rule's words joined without spaces), so it can find the rule again.
 */
export function withRuleUuid(chain: string, words: readonly string[], comment: string): string {
  return `${comment} - ${hash16(chain + words.join(''))}`;
}

/**
 * safeJoin (k3s-io/kube-router utils.go): "namespace/name" for the NFLOG prefix, cut so it fits 48
 * characters (the prefix is capped at 64 and "DROP by policy " takes 16).
 */
export function safeJoin(namespace: string, name: string): string {
  const minLen = 24;
  const maxLen = 48;
  if (namespace.length + name.length < maxLen) return `${namespace}/${name}`;
  if (namespace.length < minLen) return `${namespace}/${name.slice(0, maxLen - namespace.length - 1)}`;
  if (name.length < minLen) return `${namespace.slice(0, maxLen - name.length - 1)}/${name}`;
  return `${namespace.slice(0, 23)}/${name.slice(0, 23)}`;
}
