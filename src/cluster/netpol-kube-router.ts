/**
 * k3s's embedded kube-router network policy controller on every node of a Flannel cluster (k3s
 * pkg/agent/netpol, started by the agent unless --disable-network-policy): on each sync it turns the
 * running pods, namespaces and NetworkPolicies into control/kube-router's rules for that node, loads the
 * ipsets (`ipset restore -exist`) and the filter chains (`iptables-restore --noflush`), removes the last
 * sync's chains and sets, and puts its jumps and the explicit ACCEPT into the built-in chains. Like the
 * real controller it syncs on every pod and node change (coalesced into one sync per simulated instant),
 * each sync with a new version, so chain names change. Every node's netfilter gets the drop explainer that
 * names the policy behind a drop in a kube-router chain.
 */
import { formatCidr, formatIpv4 } from '../wire/addr.js';
import { parseIptablesSave } from '../net/netfilter/iptables-restore.js';
import { applyIpsetRestore, ipsetReferences } from '../net/netfilter/ipset.js';
import { generateKubeRouterSync, type KrSync } from '../control/kube-router/generator.js';
import { builtinRulesText, filterRestoreText, ipsetRestoreText } from '../control/kube-router/restore.js';
import type { KrInput, KrPod, KrPolicy, KrRule } from '../control/kube-router/types.js';
import type { NetworkPolicyRule } from './k8s-objects.js';
import { cachedNetpolWorld, policyDropExplainer } from './netpol-world.js';
import type { PolicyEnforcer, PolicyFootprint } from './policy-enforcer.js';
import type { ClusterNode, ClusterRuntime } from './runtime.js';

/** Chains kube-router owns: its top-level chains, KUBE-NWPLCY-* and KUBE-POD-FW-*. */
export function isKubeRouterChain(chain: string): boolean {
  return chain.startsWith('KUBE-ROUTER-') || chain.startsWith('KUBE-NWPLCY-') || chain.startsWith('KUBE-POD-FW-');
}

/** The sets kube-router owns (cleanupStaleIPSets removes KUBE-SRC-/KUBE-DST- sets no sync made). */
function isKubeRouterSet(name: string): boolean {
  return name.startsWith('KUBE-SRC-') || name.startsWith('KUBE-DST-');
}

/** The running cluster as the controller's informers see it. */
export function kubeRouterInput(rt: ClusterRuntime, node: string, syncVersion: string): KrInput {
  const planned = new Map(rt.plan.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const pods: KrPod[] = [];
  for (const p of rt.pods.values()) {
    // isNetPolActionable: running with an IP, not hostNetwork
    if (p.hostNetwork) continue;
    const spec = planned.get(p.id)?.spec;
    pods.push({
      namespace: p.namespace,
      name: p.name,
      ip: formatIpv4(p.ip),
      node: p.node,
      labels: p.labels,
      ports: (spec?.containers ?? []).flatMap((c) =>
        c.ports.map((cp) => ({
          ...(cp.name !== undefined ? { name: cp.name } : {}),
          containerPort: cp.containerPort,
          protocol: cp.protocol,
        })),
      ),
    });
  }
  const policies: KrPolicy[] = rt.plan.networkPolicies.map((np) => ({
    namespace: np.metadata.namespace ?? 'default',
    name: np.metadata.name,
    podSelector: np.spec.podSelector,
    policyTypes: np.spec.policyTypes,
    ingress: np.spec.ingress.map(toKrRule),
    egress: np.spec.egress.map(toKrRule),
  }));
  const spec = rt.plan.cluster;
  return {
    node,
    pods,
    namespaces: rt.plan.namespaceLabels,
    policies,
    serviceClusterIPRange: formatCidr(spec.serviceCIDR),
    nodePortRange: `${spec.nodePortRange.min}:${spec.nodePortRange.max}`,
    syncVersion,
  };
}

/** A rule with its ipBlocks written as the spec writes them. */
function toKrRule(r: NetworkPolicyRule): KrRule {
  return {
    ports: r.ports,
    peers: r.peers.map((p) => ({
      ...(p.podSelector !== undefined ? { podSelector: p.podSelector } : {}),
      ...(p.namespaceSelector !== undefined ? { namespaceSelector: p.namespaceSelector } : {}),
      ...(p.ipBlock !== undefined
        ? { ipBlock: { cidr: formatCidr(p.ipBlock.cidr), except: p.ipBlock.except.map(formatCidr) } }
        : {}),
    })),
  };
}

/** What one node has loaded: the last sync's chains and sets. */
interface Loaded {
  sync: KrSync;
}

/** The controller on every node of a cluster. */
export class KubeRouterNetpol implements PolicyEnforcer {
  readonly kind = 'kube-router';
  private readonly loaded = new Map<string, Loaded>();
  /** Syncs per node. */
  readonly syncs = new Map<string, number>();

  constructor(private readonly rt: ClusterRuntime) {}

  /** Programs every node now, and again after each change (one sync per simulated instant). */
  start(): void {
    const world = cachedNetpolWorld(this.rt);
    const explain = policyDropExplainer(world, isKubeRouterChain);
    // once per netfilter: a node that leaves and joins again under its name is a new machine
    const explained = new WeakSet<object>();
    const hang = (): void => {
      for (const n of this.rt.nodes.values()) {
        const nf = n.stack.enableNetfilter();
        if (explained.has(nf)) continue;
        explained.add(nf);
        nf.addDropExplainer(explain);
      }
    };
    hang();
    this.syncAll();
    let pending = false;
    this.rt.changes.subscribe((c) => {
      if (c.kind === 'node-removed') this.loaded.delete(c.node.name);
      // isPodUpdateNetPolRelevant: phase, IPs, host and labels matter; readiness does not
      if (c.kind === 'pod-ready' || pending) return;
      pending = true;
      this.rt.engine.schedule(0, () => {
        pending = false;
        hang();
        this.syncAll();
      });
    });
  }

  /** fullPolicySync on every node, in node order. */
  syncAll(): void {
    // strconv.FormatInt(time.Now().UnixNano(), 10): the simulated clock
    const version = String(this.rt.engine.now);
    for (const node of this.rt.nodes.values()) this.sync(node, version);
  }

  private sync(node: ClusterNode, version: string): void {
    const sync = generateKubeRouterSync(kubeRouterInput(this.rt, node.name, version));
    const nf = node.stack.enableNetfilter();
    node.stack.bridgeNfCallIptables = true;
    const fail = (what: string, msg: string): never => {
      throw new Error(`kube-router on ${node.name}: ${what}: ${msg}`);
    };
    // syncNetworkPolicyChains restores the sets before the chains that use them
    const sets = applyIpsetRestore(nf.ipsets, ipsetRestoreText(sync.ipsets), { exist: true });
    if (sets !== undefined) fail('ipset restore', `line ${sets.line}: ${sets.message}`);
    const active = new Set(sync.chains);
    const stale = [...nf.ruleset.filter.keys()].filter(
      (c) => (c.startsWith('KUBE-NWPLCY-') || c.startsWith('KUBE-POD-FW-')) && !active.has(c),
    );
    const r = parseIptablesSave(filterRestoreText(sync, stale), nf.ruleset, { noflush: true });
    if (!r.ok) fail('iptables-restore', r.errors.map((e) => `${e.line}: ${e.message}`).join('; '));
    const builtin = new Map(
      ['INPUT', 'FORWARD', 'OUTPUT'].map((b) => [b, (nf.ruleset.filter.get(b)?.rules ?? []).map((x) => x.text)]),
    );
    const b = parseIptablesSave(builtinRulesText(builtin), nf.ruleset, { noflush: true });
    if (!b.ok) fail('iptables-restore', b.errors.map((e) => `${e.line}: ${e.message}`).join('; '));
    // cleanupStaleIPSets: the policy sets no sync made any more
    const keep = new Set(sync.ipsets.map((s) => s.name));
    const gone = nf.ipsets
      .all()
      .filter((s) => isKubeRouterSet(s.name) && !keep.has(s.name))
      .map((s) => `destroy ${s.name}`);
    const d = applyIpsetRestore(nf.ipsets, gone.join('\n'), {
      inUse: (name) => ipsetReferences(nf.ruleset, name) > 0,
    });
    if (d !== undefined) fail('ipset destroy', `line ${d.line}: ${d.message}`);
    this.loaded.set(node.name, { sync });
    this.syncs.set(node.name, (this.syncs.get(node.name) ?? 0) + 1);
  }

  /** The rules in kube-router's chains plus its six rules in the built-in chains, and its sets' entries. */
  footprint(node: string): PolicyFootprint {
    const l = this.loaded.get(node);
    if (l === undefined) return { rules: 0, ipsetEntries: 0 };
    let rules = BUILTIN_RULES;
    for (const r of l.sync.rules.values()) rules += r.length;
    const ipsetEntries = l.sync.ipsets.reduce((n, s) => n + s.entries.length, 0);
    return { rules, ipsetEntries };
  }

  /** KUBE-ROUTER-*, KUBE-NWPLCY-* and KUBE-POD-FW-*. */
  ownsChain(chain: string): boolean {
    return isKubeRouterChain(chain);
  }
}

/** The jump and the explicit ACCEPT in each of INPUT, FORWARD and OUTPUT. */
const BUILTIN_RULES = 6;
