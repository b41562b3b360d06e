/**
 * A Cluster document's `steps`: what happens to the cluster over time, checked as a lab's steps are. The
 * vocabulary is the lab's (`ping`, `exec`, `wait`, `show`, with the same `expect` keys) plus what changes
 * a cluster: `scale` a Deployment, `delete` a pod, `addNode`, `removeNode`, `restart` flanneld. Names of
 * pods and nodes are checked when the step runs (a Deployment's pod names exist only once it is planned);
 * everything else here, with file, line and field.
 */
import { parseCidr, type Ipv4Prefix } from '../wire/addr.js';
import { splitWords } from '../apps/shell.js';
import { checkDns1123Subdomain } from '../cluster/k8s-validation.js';
import type { Checker, SpecPath } from './source.js';
import { parseDuration } from './units.js';
import { checkLimits, checkOutputExpect } from './lab-steps.js';
import type { StepExpect } from './lab-types.js';

/** What a cluster step does. */
export type ClusterStepAction =
  | { kind: 'ping'; from: string; to: string; count: number; interval?: number }
  | { kind: 'exec'; on: string; argv: string[] }
  | { kind: 'wait'; duration: number }
  | { kind: 'show'; what: 'routes' | 'arp' | 'fdb' | 'iptables' | 'conntrack'; on: string }
  | { kind: 'scale'; deployment: string; replicas: number }
  | { kind: 'delete'; pod: string }
  | {
      kind: 'addNode';
      node: { name: string; address: Ipv4Prefix; role: 'server' | 'agent'; labels: Record<string, string> };
    }
  | { kind: 'removeNode'; name: string; revokeLease: boolean }
  | { kind: 'restart'; flanneld: string };

/** What a cluster step checks: on a ping's or command's output (or a change's log), as in labs. */
export type ClusterStepExpect = Pick<
  StepExpect,
  'received' | 'loss' | 'status' | 'contains' | 'notContains' | 'matches'
>;

/** One step. */
export interface ClusterStep {
  name: string;
  action: ClusterStepAction;
  expect: ClusterStepExpect;
  path: SpecPath;
}

/** A cluster's steps and the budgets each one runs under (spec.limits, as in labs). */
export interface ClusterRunSpec {
  steps: ClusterStep[];
  limits: { maxEvents?: number; maxSimTime?: number };
}

const KINDS = ['ping', 'exec', 'wait', 'show', 'scale', 'delete', 'addNode', 'removeNode', 'restart'] as const;
type Kind = (typeof KINDS)[number];

const EXPECT_KEYS: Record<Kind, string[]> = {
  ping: ['received', 'loss', 'status', 'contains', 'notContains', 'matches'],
  exec: ['status', 'contains', 'notContains', 'matches'],
  wait: [],
  show: ['contains', 'notContains', 'matches'],
  scale: ['contains', 'notContains', 'matches'],
  delete: ['contains', 'notContains', 'matches'],
  addNode: ['contains', 'notContains', 'matches'],
  removeNode: ['contains', 'notContains', 'matches'],
  restart: ['contains', 'notContains', 'matches'],
};

const SHOW = ['routes', 'arp', 'fdb', 'iptables', 'conntrack'] as const;

/** Validates spec.steps and spec.limits of a Cluster document. */
export function checkClusterRun(c: Checker, spec: Record<string, unknown>): ClusterRunSpec {
  const steps: ClusterStep[] = [];
  if (spec.steps !== undefined)
    (c.arr(['spec', 'steps'], spec.steps) ?? []).forEach((s, i) => {
      const step = checkClusterStep(c, ['spec', 'steps', i], s);
      if (step !== undefined) steps.push(step);
    });
  return { steps, limits: checkLimits(c, spec.limits) };
}

function checkClusterStep(c: Checker, path: SpecPath, v: unknown): ClusterStep | undefined {
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  c.unknownKeys(path, o, ['name', ...KINDS, 'expect']);
  const kinds = KINDS.filter((k) => o[k] !== undefined);
  if (kinds.length !== 1) {
    c.error(
      path,
      `a step has exactly one of: ${KINDS.join(', ')} (found ${kinds.length === 0 ? 'none' : kinds.join(', ')})`,
    );
    return undefined;
  }
  const kind = kinds[0]!;
  const action = checkAction(c, [...path, kind], kind, o[kind]);
  const expect: ClusterStepExpect = {};
  if (o.expect !== undefined) {
    const eo = c.obj([...path, 'expect'], o.expect);
    if (eo !== undefined) {
      c.unknownKeys([...path, 'expect'], eo, EXPECT_KEYS[kind]);
      checkOutputExpect(c, [...path, 'expect'], eo, expect);
    }
  }
  const name = o.name === undefined ? undefined : c.str([...path, 'name'], o.name);
  if (action === undefined) return undefined;
  return { name: name ?? describe(action), action, expect, path };
}

function checkAction(c: Checker, ap: SpecPath, kind: Kind, v: unknown): ClusterStepAction | undefined {
  switch (kind) {
    case 'wait': {
      const d = c.parse(ap, v, parseDuration, 'a duration (1s, 500ms, 24h)');
      return d === undefined ? undefined : { kind, duration: d };
    }
    case 'delete': {
      const o = c.obj(ap, v);
      if (o === undefined) return undefined;
      c.unknownKeys(ap, o, ['pod']);
      const pod = c.str([...ap, 'pod'], o.pod);
      return pod === undefined ? undefined : { kind, pod };
    }
    case 'restart': {
      const o = c.obj(ap, v);
      if (o === undefined) return undefined;
      c.unknownKeys(ap, o, ['flanneld']);
      const node = c.str([...ap, 'flanneld'], o.flanneld);
      return node === undefined ? undefined : { kind, flanneld: node };
    }
    case 'scale': {
      const o = c.obj(ap, v);
      if (o === undefined) return undefined;
      c.unknownKeys(ap, o, ['deployment', 'replicas']);
      const deployment = c.str([...ap, 'deployment'], o.deployment);
      const replicas = c.int([...ap, 'replicas'], o.replicas, { min: 0, max: 10_000 });
      return deployment === undefined || replicas === undefined ? undefined : { kind, deployment, replicas };
    }
    case 'removeNode': {
      if (typeof v === 'string') return { kind, name: v, revokeLease: false };
      const o = c.obj(ap, v);
      if (o === undefined) return undefined;
      c.unknownKeys(ap, o, ['name', 'revokeLease']);
      const name = c.str([...ap, 'name'], o.name);
      const revoke = o.revokeLease === undefined ? false : c.bool([...ap, 'revokeLease'], o.revokeLease);
      return name === undefined || revoke === undefined ? undefined : { kind, name, revokeLease: revoke };
    }
    case 'addNode':
      return checkAddNode(c, ap, v);
    case 'exec': {
      const o = c.obj(ap, v);
      if (o === undefined) return undefined;
      c.unknownKeys(ap, o, ['node', 'command']);
      const on = c.str([...ap, 'node'], o.node);
      const cmd = c.str([...ap, 'command'], o.command);
      const argv = cmd === undefined ? undefined : splitWords(cmd);
      if (cmd !== undefined && (argv === undefined || argv.length === 0)) {
        c.error([...ap, 'command'], 'unbalanced quotes or an empty command');
        return undefined;
      }
      return on === undefined || argv === undefined ? undefined : { kind, on, argv };
    }
    case 'show': {
      const o = c.obj(ap, v);
      if (o === undefined) return undefined;
      c.unknownKeys(ap, o, [...SHOW]);
      const which = SHOW.filter((k) => o[k] !== undefined);
      if (which.length !== 1) {
        c.error(ap, `show exactly one of: ${SHOW.join(', ')}`);
        return undefined;
      }
      const on = c.str([...ap, which[0]!], o[which[0]!]);
      return on === undefined ? undefined : { kind, what: which[0]!, on };
    }
    case 'ping': {
      const o = c.obj(ap, v);
      if (o === undefined) return undefined;
      c.unknownKeys(ap, o, ['from', 'to', 'count', 'interval']);
      const from = c.str([...ap, 'from'], o.from);
      const to = c.str([...ap, 'to'], o.to);
      const count = o.count === undefined ? 3 : c.int([...ap, 'count'], o.count, { min: 1, max: 100_000 });
      const interval =
        o.interval === undefined ? undefined : c.parse([...ap, 'interval'], o.interval, parseDuration, 'a duration');
      if (from === undefined || to === undefined || count === undefined) return undefined;
      return { kind, from, to, count, ...(interval !== undefined ? { interval } : {}) };
    }
  }
}

function checkAddNode(c: Checker, ap: SpecPath, v: unknown): ClusterStepAction | undefined {
  const o = c.obj(ap, v);
  if (o === undefined) return undefined;
  c.unknownKeys(ap, o, ['name', 'address', 'role', 'labels']);
  const name = c.str([...ap, 'name'], o.name);
  if (name !== undefined) {
    const bad = checkDns1123Subdomain(name);
    if (bad.length > 0) c.error([...ap, 'name'], `invalid node name ${JSON.stringify(name)}: ${bad.join('; ')}`);
  }
  const address = c.parse([...ap, 'address'], o.address, parseCidr, 'an address with its prefix (192.168.56.13/24)');
  const role = o.role === undefined ? 'agent' : c.oneOf([...ap, 'role'], o.role, ['server', 'agent'] as const);
  const labels: Record<string, string> = {};
  if (o.labels !== undefined) {
    const lo = c.obj([...ap, 'labels'], o.labels);
    for (const [k, x] of Object.entries(lo ?? {})) {
      const t = c.str([...ap, 'labels', k], x, { allowEmpty: true });
      if (t !== undefined) labels[k] = t;
    }
  }
  if (name === undefined || address === undefined || role === undefined) return undefined;
  return { kind: 'addNode', node: { name, address, role, labels } };
}

/** A step's default name, from what it does. */
function describe(a: ClusterStepAction): string {
  switch (a.kind) {
    case 'ping':
      return `ping ${a.from} -> ${a.to}`;
    case 'exec':
      return `exec on ${a.on}: ${a.argv.join(' ')}`;
    case 'wait':
      return `wait ${a.duration / 1e9}s`;
    case 'show':
      return `show ${a.what} of ${a.on}`;
    case 'scale':
      return `scale ${a.deployment} to ${a.replicas}`;
    case 'delete':
      return `delete pod ${a.pod}`;
    case 'addNode':
      return `addNode ${a.node.name}`;
    case 'removeNode':
      return `removeNode ${a.name}`;
    case 'restart':
      return `restart flanneld on ${a.flanneld}`;
  }
}
