/**
 * Felix enforcing policy on a running Calico cluster: on every node it programs the filter chains and
 * ipsets control/calico/felix-policy-render.ts renders (for the node's pods, the cluster's policies and
 * every pod for the selector and named-port ipsets), again whenever a pod or node comes or goes; it hangs a drop explainer
 * on each node's netfilter so a drop in its chains names the policy that decided it (netpol-world.ts's
 * sentence when only Kubernetes policies are in force, Calico's judge's otherwise); and it is the cluster's
 * PolicyEnforcer (kind 'felix').
 */
import type { IpNode } from '../net/ip-node.js';
import type { Rule, TableName } from '../net/netfilter/rules.js';
import { parseRule, tokenize } from '../net/netfilter/rule-parse.js';
import { ipsetReferences, Ipset, parseIpPortMember } from '../net/netfilter/ipset.js';
import { parseCidr, type Ipv4Prefix } from '../wire/addr.js';
import { FELIX_IPSET_MAXELEM } from '../control/calico/felix-nat.js';
import { renderFelixPolicy, type FelixPolicyTables } from '../control/calico/felix-policy-render.js';
import { felixPolicies, felixWorkloads, hasCalicoPolicies } from './calico-policy.js';
import { calicoDropExplainer, calicoWorld } from './calico-policy-world.js';
import { cachedNetpolWorld, policyDropExplainer } from './netpol-world.js';
import type { PolicyEnforcer, PolicyFootprint } from './policy-enforcer.js';
import type { ClusterRuntime } from './runtime.js';

/** The chains Felix owns in the filter table (its `cali-` prefix). */
export function isFelixChain(chain: string): boolean {
  return chain.startsWith('cali-');
}

/** The chains whose drops are policy's: the endpoint, policy, group and profile chains. */
function isFelixPolicyChain(chain: string): boolean {
  return /^cali-(tw|fw|pi|po|gi|go|pri|pro)-/.test(chain);
}

const BUILTIN_JUMPS = ['INPUT', 'FORWARD', 'OUTPUT'] as const;

/** Rules from iptables-save lines ("-A CHAIN ..."). */
function parseLines(t: TableName, lines: readonly string[]): Rule[] {
  return lines.map((line) => {
    const words = tokenize(line);
    const r = words === undefined ? 'unterminated quote' : parseRule(words.slice(2), line, t);
    if (typeof r === 'string') throw new Error(`felix: bad rule ${line}: ${r}`);
    return r;
  });
}

/**
 * Applies Felix's policy tables to a node: ipsets first, then the chains, then removes what is no longer
 * used. `members` holds net members already parsed: every node's all-hosts set lists every node, so one
 * pass over a 1,000-node cluster would otherwise parse a million addresses.
 */
export function applyFelixPolicy(
  node: IpNode,
  tables: FelixPolicyTables,
  members = new Map<string, Ipv4Prefix | undefined>(),
): void {
  const nf = node.enableNetfilter();
  for (const [name, want] of tables.ipsets) {
    let s = nf.ipsets.get(name);
    if (s === undefined) {
      const made = nf.ipsets.create(name, want.type, { hashsize: 1024, maxelem: FELIX_IPSET_MAXELEM });
      if (!(made instanceof Ipset)) throw new Error(`felix: ipset ${name}: ${made}`);
      s = made;
    }
    s.flush();
    for (const m of want.members) {
      if (want.type === 'hash:ip,port') {
        const e = parseIpPortMember(m);
        if (typeof e === 'string') throw new Error(`felix: ipset ${name}: ${m}: ${e}`);
        s.add(e);
        continue;
      }
      let p = members.get(m);
      if (p === undefined && !members.has(m)) {
        p = parseCidr(m.includes('/') ? m : `${m}/32`);
        members.set(m, p);
      }
      if (p !== undefined) s.add(p);
    }
  }
  const filter = nf.ruleset.filter;
  for (const [chain, lines] of tables.chains) {
    const c = filter.get(chain);
    if (c === undefined)
      filter.set(chain, { name: chain, policy: undefined, rules: parseLines('filter', lines), packets: 0, bytes: 0 });
    else c.rules = parseLines('filter', lines);
  }
  for (const chain of [...filter.keys()]) if (isFelixChain(chain) && !tables.chains.has(chain)) filter.delete(chain);
  // the jumps: inserted at the top of INPUT/FORWARD/OUTPUT, the FORWARD appends at its end, once each
  for (const b of BUILTIN_JUMPS) {
    const c = filter.get(b)!;
    const appends = b === 'FORWARD' ? tables.appends.FORWARD : [];
    const mine = new Set([...tables.inserts[b], ...appends]);
    const others = c.rules.filter((r) => !mine.has(r.text));
    c.rules = [...parseLines('filter', tables.inserts[b]), ...others, ...parseLines('filter', appends)];
  }
  for (const s of nf.ipsets.all())
    if (/^cali40[sn]:/.test(s.name) && !tables.ipsets.has(s.name))
      nf.ipsets.destroy(s.name, ipsetReferences(nf.ruleset, s.name) > 0);
}

/** Starts Felix's policy programming on every node of `rt` and makes it the cluster's enforcer. */
export function startFelixPolicy(rt: ClusterRuntime): PolicyEnforcer {
  const policies = felixPolicies(rt.plan.networkPolicies, rt.plan.calicoResources);
  const programmed = new Map<string, FelixPolicyTables>();
  const calico = rt.calico;
  const program = (): void => {
    const all = felixWorkloads(rt);
    const hosts = [...rt.nodes.values()].map((n) => n.ip);
    const ipip = calico?.pools.some((p) => !p.disabled && p.ipipMode !== 'Never') ?? false;
    const vxlan = calico?.pools.some((p) => !p.disabled && p.vxlanMode !== 'Never') ?? false;
    const members = new Map<string, Ipv4Prefix | undefined>();
    for (const n of rt.nodes.values()) {
      const tables = renderFelixPolicy({
        local: all.filter((w) => w.node === n.name).map((w) => w.workload),
        all: all.map((w) => w.workload),
        policies,
        hosts,
        ipip,
        vxlan,
        vxlanPort: calico?.felixConfig.vxlanPort ?? 4789,
      });
      applyFelixPolicy(n.stack, tables, members);
      programmed.set(n.name, tables);
    }
    for (const name of [...programmed.keys()]) if (!rt.nodes.has(name)) programmed.delete(name);
  };
  const explain = hasCalicoPolicies(rt.plan.calicoResources)
    ? (() => {
        let world: ReturnType<typeof calicoWorld> | undefined;
        rt.changes.subscribe(() => (world = undefined));
        return calicoDropExplainer(() => (world ??= calicoWorld(rt)), isFelixPolicyChain);
      })()
    : policyDropExplainer(cachedNetpolWorld(rt), isFelixPolicyChain);
  const explained = new Set<string>();
  const explainNodes = (): void => {
    for (const n of rt.nodes.values())
      if (!explained.has(n.name)) {
        n.stack.enableNetfilter().addDropExplainer(explain);
        explained.add(n.name);
      }
  };
  explainNodes();
  program();
  // Felix keeps its inserted rules at the top of INPUT/FORWARD/OUTPUT: its next refresh moves them above
  // what kube-proxy inserted after it started
  rt.engine.schedule(0, program);
  // Felix batches what changed and applies it in one go: pods that start together are programmed once
  let pending = false;
  rt.changes.subscribe((c) => {
    if (c.kind === 'pod-ready' || pending) return;
    pending = true;
    rt.engine.schedule(0, () => {
      pending = false;
      explainNodes();
      program();
    });
  });
  return {
    kind: 'felix',
    ownsChain: isFelixChain,
    footprint(node: string): PolicyFootprint {
      const t = programmed.get(node);
      if (t === undefined) return { rules: 0, ipsetEntries: 0 };
      let rules =
        t.inserts.INPUT.length + t.inserts.FORWARD.length + t.inserts.OUTPUT.length + t.appends.FORWARD.length;
      for (const lines of t.chains.values()) rules += lines.length;
      let ipsetEntries = 0;
      for (const s of t.ipsets.values()) ipsetEntries += s.members.length;
      return { rules, ipsetEntries };
    },
  };
}
