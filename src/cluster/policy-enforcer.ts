/**
 * What a running cluster's NetworkPolicy enforcer offers the rest of podnet: k3s's embedded kube-router
 * controller on a Flannel cluster, Felix's policy chains on a Calico cluster. Each programs every node's
 * iptables and ipsets as the real one writes them and follows the cluster's changes; this is only what
 * the views, `podnet policy` and the scale bench read from it.
 */

/** What an enforcer has programmed on one node. */
export interface PolicyFootprint {
  /** Rules in the enforcer's own chains and its jumps from the built-in chains. */
  rules: number;
  /** Entries over all of its ipsets. */
  ipsetEntries: number;
}

/** A NetworkPolicy enforcer at work in a running cluster. */
export interface PolicyEnforcer {
  /** Which one: kube-router's controller (k3s with Flannel) or Felix (Calico). */
  readonly kind: 'kube-router' | 'felix';
  /** What it has programmed on `node` now. */
  footprint(node: string): PolicyFootprint;
  /** The chains it owns, by name (drop explanations name the policy only for drops in these). */
  ownsChain(chain: string): boolean;
}
