/**
 * The semantics of Calico policy, evaluated on paper: the judge Felix's chains are checked against, knowing
 * nothing of iptables. From Calico's documentation of policy ordering and actions (and Felix's model of it):
 * - the policies that apply to an endpoint in a direction are those whose selector matches its labels and
 *   whose types include the direction, ordered by `order` (none last), then by name;
 * - within them, rules are tried in order and the first matching rule decides: Allow accepts, Deny drops,
 *   Pass skips the rest of the tier (to the profiles: there is one tier here), Log records and goes on;
 * - if some policy applies and no rule decided, the tier's default action drops ("end of tier");
 * - with no policy (or after a Pass), the endpoint's profiles decide: kns.<ns> allows everything;
 * - a connection needs the source's egress and the destination's ingress (a non-workload address has no
 *   policy of its own); replies ride on conntrack.
 * Selectors match only workload endpoints (the pods); nets match any address.
 */
import { prefixContains, type Ipv4 } from '../wire/addr.js';
import {
  comparePolicies,
  selects,
  type FelixEntity,
  type FelixPolicy,
  type FelixRule,
} from '../control/calico/felix-policy-model.js';
import type { NetpolProtocol } from './netpol-eval.js';
import type { Protocol } from './k8s-objects.js';

/** A workload endpoint as policy sees it. */
export interface CalicoEndpoint {
  namespace: string;
  name: string;
  ip: Ipv4;
  /** Its labels with Calico's additions (calicoWorkloadLabels). */
  labels: Readonly<Record<string, string>>;
  /** Its named container ports. */
  ports: readonly { name?: string; port: number; protocol: Protocol }[];
}

/** What the evaluation reads. */
export interface CalicoWorld {
  endpoints: readonly CalicoEndpoint[];
  policies: readonly FelixPolicy[];
}

/** One end of a connection: a workload, or another address. */
export type CalicoPeer = { endpoint: CalicoEndpoint } | { ip: Ipv4 };

/** What decided one direction. */
export type CalicoDecision =
  | { kind: 'rule'; policy: FelixPolicy; rule: number; action: 'allow' | 'deny' }
  | { kind: 'end-of-tier' }
  | { kind: 'profile'; profile: string; passedBy?: { policy: FelixPolicy; rule: number } }
  | { kind: 'no-endpoint' };

/** How one direction judged the connection. */
export interface CalicoDirectionVerdict {
  allowed: boolean;
  /** The policies that apply, in order. */
  policies: FelixPolicy[];
  decision: CalicoDecision;
}

/** The verdict on one connection. */
export interface CalicoVerdict {
  allowed: boolean;
  egress: CalicoDirectionVerdict;
  ingress: CalicoDirectionVerdict;
}

const PROTO_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1 };
const CONN_NUMBERS: Record<NetpolProtocol, number> = { TCP: 6, UDP: 17, SCTP: 132, ICMP: 1 };

function matchesSelector(text: string, labels: Readonly<Record<string, string>>): boolean {
  return selects(text, labels);
}

function ipOf(p: CalicoPeer): Ipv4 {
  return 'endpoint' in p ? p.endpoint.ip : p.ip;
}

function portMatches(
  ports: FelixEntity['ports'],
  port: number | undefined,
  protocol: NetpolProtocol,
  self: CalicoPeer,
): boolean {
  if (port === undefined) return false;
  return ports.some((p) =>
    'name' in p
      ? 'endpoint' in self &&
        self.endpoint.ports.some((cp) => cp.name === p.name && cp.protocol === protocol && cp.port === port)
      : port >= p.first && port <= p.last,
  );
}

/** Whether `self` (the connection's source or destination) matches one side of a rule. */
function entityMatches(e: FelixEntity, self: CalicoPeer, port: number | undefined, protocol: NetpolProtocol): boolean {
  const ip = ipOf(self);
  if (e.nets.length > 0 && !e.nets.some((n) => prefixContains(n, ip))) return false;
  if (e.notNets.some((n) => prefixContains(n, ip))) return false;
  const labels = 'endpoint' in self ? self.endpoint.labels : undefined;
  if (e.selector !== '' && (labels === undefined || !matchesSelector(e.selector, labels))) return false;
  if (e.notSelector !== '' && labels !== undefined && matchesSelector(e.notSelector, labels)) return false;
  const hasPorts = protocol !== 'ICMP';
  if (e.ports.length > 0 && (!hasPorts || !portMatches(e.ports, port, protocol, self))) return false;
  if (e.notPorts.length > 0 && (!hasPorts || portMatches(e.notPorts, port, protocol, self))) return false;
  return true;
}

function ruleMatches(r: FelixRule, from: CalicoPeer, to: CalicoPeer, port: number, protocol: NetpolProtocol): boolean {
  const num = CONN_NUMBERS[protocol];
  const protoNum = (p: string | number): number | undefined => (typeof p === 'number' ? p : PROTO_NUMBERS[p]);
  if (r.protocol !== undefined && protoNum(r.protocol) !== num) return false;
  if (r.notProtocol !== undefined && protoNum(r.notProtocol) === num) return false;
  // the source port of a new connection is the client's choice: a rule on source ports never matches here
  return entityMatches(r.src, from, undefined, protocol) && entityMatches(r.dst, to, port, protocol);
}

function direction(
  world: CalicoWorld,
  self: CalicoPeer,
  dir: 'ingress' | 'egress',
  from: CalicoPeer,
  to: CalicoPeer,
  port: number,
  protocol: NetpolProtocol,
): CalicoDirectionVerdict {
  if (!('endpoint' in self)) return { allowed: true, policies: [], decision: { kind: 'no-endpoint' } };
  const ep = self.endpoint;
  const policies = world.policies
    .filter((p) => (dir === 'ingress' ? p.ingress : p.egress) && matchesSelector(p.selector, ep.labels))
    .sort(comparePolicies);
  const profile = `kns.${ep.namespace}`;
  for (const p of policies) {
    const rules = dir === 'ingress' ? p.inbound : p.outbound;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (!ruleMatches(r, from, to, port, protocol)) continue;
      if (r.action === 'log') continue;
      if (r.action === 'pass')
        return { allowed: true, policies, decision: { kind: 'profile', profile, passedBy: { policy: p, rule: i } } };
      return {
        allowed: r.action === 'allow',
        policies,
        decision: { kind: 'rule', policy: p, rule: i, action: r.action },
      };
    }
  }
  if (policies.length > 0) return { allowed: false, policies, decision: { kind: 'end-of-tier' } };
  return { allowed: true, policies, decision: { kind: 'profile', profile } };
}

/** Whether `from` may open a connection to `to` on `port`/`protocol` under Calico's policy, and why. */
export function evaluateCalicoPolicy(
  world: CalicoWorld,
  from: CalicoPeer,
  to: CalicoPeer,
  port: number,
  protocol: NetpolProtocol,
): CalicoVerdict {
  const egress = direction(world, from, 'egress', from, to, port, protocol);
  const ingress = direction(world, to, 'ingress', from, to, port, protocol);
  return { allowed: egress.allowed && ingress.allowed, egress, ingress };
}

/** The peer an address is: the workload that has it, or the address. */
export function calicoPeerAt(world: CalicoWorld, ip: Ipv4): CalicoPeer {
  const endpoint = world.endpoints.find((e) => e.ip === ip);
  return endpoint !== undefined ? { endpoint } : { ip };
}
