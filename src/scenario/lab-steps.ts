/**
 * Validation of a lab's steps (what each does) and their expectations (what must hold afterwards).
 */
import { parseIpv4, parseMac, type Mac } from '../wire/addr.js';
import { splitWords } from '../apps/shell.js';
import type { Checker, SpecPath } from './source.js';
import { parseDuration } from './units.js';
import { parseEnd } from './lab-nodes.js';
import type { NodeSpec, StepAction, StepExpect, StepSpec, Target } from './lab-types.js';

function checkTarget(c: Checker, path: SpecPath, v: unknown, nodes: NodeSpec[]): Target | undefined {
  if (typeof v === 'string' && nodes.some((n) => n.name === v)) return { node: v };
  const ip = c.parse(path, v, parseIpv4, 'a node name or an IPv4 address');
  return ip === undefined ? undefined : { ip };
}

function checkFrom(c: Checker, path: SpecPath, v: unknown, nodes: NodeSpec[]): string | undefined {
  const s = c.str(path, v);
  if (s === undefined) return undefined;
  const n = nodes.find((x) => x.name === s);
  if (n === undefined || (n.kind !== 'host' && n.kind !== 'router')) {
    c.error(path, `${JSON.stringify(s)} is not a host or router of this lab`);
    return undefined;
  }
  return s;
}

const STEP_KINDS = ['ping', 'udp', 'wait', 'show', 'link', 'unlink', 'fdb', 'exec'] as const;

/** Validates one step. */
export function checkStep(c: Checker, path: SpecPath, v: unknown, nodes: NodeSpec[]): StepSpec | undefined {
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  c.unknownKeys(path, o, ['name', ...STEP_KINDS, 'expect']);
  const kinds = STEP_KINDS.filter((k) => o[k] !== undefined);
  if (kinds.length !== 1) {
    c.error(
      path,
      `a step has exactly one of: ${STEP_KINDS.join(', ')} (found ${kinds.length === 0 ? 'none' : kinds.join(', ')})`,
    );
    return undefined;
  }
  const kind = kinds[0]!;
  const ap = [...path, kind];
  let action: StepAction | undefined;
  if (kind === 'exec') {
    const eo = c.obj(ap, o.exec);
    if (eo !== undefined) {
      c.unknownKeys(ap, eo, ['node', 'command']);
      const node = checkFrom(c, [...ap, 'node'], eo.node, nodes);
      const cmd = c.str([...ap, 'command'], eo.command);
      const argv = cmd === undefined ? undefined : splitWords(cmd);
      if (cmd !== undefined && (argv === undefined || argv.length === 0))
        c.error([...ap, 'command'], 'unbalanced quotes or an empty command');
      else if (node !== undefined && argv !== undefined) action = { kind: 'exec', node, argv };
    }
  } else if (kind === 'unlink') {
    const end = parseEnd(c, ap, o.unlink, nodes);
    if (end !== undefined) action = { kind: 'unlink', node: end.node, port: end.port };
  } else if (kind === 'link') {
    const lo = c.obj(ap, o.link);
    if (lo !== undefined) {
      c.unknownKeys(ap, lo, ['a', 'b']);
      const a = parseEnd(c, [...ap, 'a'], lo.a, nodes);
      const b = parseEnd(c, [...ap, 'b'], lo.b, nodes);
      if (a !== undefined && b !== undefined) action = { kind: 'link', a, b };
    }
  } else if (kind === 'fdb') {
    const fo = c.obj(ap, o.fdb);
    if (fo !== undefined) {
      c.unknownKeys(ap, fo, ['node', 'dev', 'mac', 'remote']);
      const node = c.str([...ap, 'node'], fo.node);
      const n = nodes.find((x) => x.name === node);
      const dev = c.str([...ap, 'dev'], fo.dev);
      const mac = c.parse([...ap, 'mac'], fo.mac, parseMac, 'a MAC address');
      const remote = c.parse([...ap, 'remote'], fo.remote, parseIpv4, 'an IPv4 address');
      if (node !== undefined && (n === undefined || n.kind === 'switch' || n.kind === 'hub'))
        c.error([...ap, 'node'], `${JSON.stringify(node)} is not a host or router of this lab`);
      else if (
        n !== undefined &&
        n.kind !== 'switch' &&
        n.kind !== 'hub' &&
        dev !== undefined &&
        !n.vxlans.some((v) => v.name === dev)
      )
        c.error([...ap, 'dev'], `${node} has no vxlan device ${JSON.stringify(dev)}`);
      else if (node !== undefined && dev !== undefined && mac !== undefined && remote !== undefined)
        action = { kind: 'fdb', node, dev, mac, remote };
    }
  } else if (kind === 'wait') {
    const d = c.parse(ap, o.wait, parseDuration, 'a duration (1s, 500ms)');
    if (d !== undefined) action = { kind: 'wait', duration: d };
  } else if (kind === 'show') {
    const so = c.obj(ap, o.show);
    if (so !== undefined) {
      c.unknownKeys(ap, so, ['macTable', 'routes', 'arp', 'fdb', 'conntrack', 'iptables', 'stp']);
      const which = (['macTable', 'routes', 'arp', 'fdb', 'conntrack', 'iptables', 'stp'] as const).filter(
        (k) => so[k] !== undefined,
      );
      if (which.length !== 1) c.error(ap, 'show exactly one of: macTable, routes, arp, fdb, conntrack, iptables, stp');
      else {
        const w = which[0]!;
        const node = c.str([...ap, w], so[w]);
        const n = nodes.find((x) => x.name === node);
        if (node !== undefined && n === undefined) c.error([...ap, w], `no node named ${JSON.stringify(node)}`);
        else if (w === 'macTable' && n !== undefined && n.kind !== 'switch')
          c.error([...ap, w], `${node} is a ${n.kind}; only switches have a MAC table`);
        else if (w === 'stp' && n !== undefined && n.kind === 'hub')
          c.error([...ap, w], `${node} is a hub; it runs no spanning tree`);
        else if (w !== 'macTable' && w !== 'stp' && n !== undefined && n.kind !== 'host' && n.kind !== 'router')
          c.error([...ap, w], `${node} is a ${n.kind}; it has no ${w}`);
        else if (node !== undefined) action = { kind: 'show', what: w === 'macTable' ? 'mac-table' : w, node };
      }
    }
  } else if (kind === 'ping') {
    const po = c.obj(ap, o.ping);
    if (po !== undefined) {
      c.unknownKeys(ap, po, ['from', 'to', 'count', 'size', 'ttl', 'df', 'interval']);
      const from = checkFrom(c, [...ap, 'from'], po.from, nodes);
      const to = checkTarget(c, [...ap, 'to'], po.to, nodes);
      const count = po.count === undefined ? 3 : c.int([...ap, 'count'], po.count, { min: 1, max: 100000 });
      if (from !== undefined && to !== undefined && count !== undefined) {
        const a: StepAction = { kind: 'ping', from, to, count };
        if (po.size !== undefined) a.size = c.int([...ap, 'size'], po.size, { min: 0, max: 65507 }) ?? 56;
        if (po.ttl !== undefined) a.ttl = c.int([...ap, 'ttl'], po.ttl, { min: 1, max: 255 }) ?? 64;
        if (po.df !== undefined) a.df = c.bool([...ap, 'df'], po.df) ?? true;
        if (po.interval !== undefined)
          a.interval = c.parse([...ap, 'interval'], po.interval, parseDuration, 'a duration') ?? 1e9;
        action = a;
      }
    }
  } else {
    const uo = c.obj(ap, o.udp);
    if (uo !== undefined) {
      c.unknownKeys(ap, uo, ['from', 'to', 'srcPort', 'dstPort', 'data', 'count', 'listen', 'listenAt', 'size', 'df']);
      if (uo.size !== undefined && uo.data !== undefined)
        c.error([...ap, 'size'], 'give either "data" or "size", not both');
      const size = uo.size === undefined ? undefined : c.int([...ap, 'size'], uo.size, { min: 0, max: 65507 });
      const df = uo.df === undefined ? undefined : c.bool([...ap, 'df'], uo.df);
      let listenAt: { node: string; port: number } | undefined;
      if (uo.listenAt !== undefined) {
        const t = c.str([...ap, 'listenAt'], uo.listenAt, {
          pattern: /^[^:]+:[0-9]{1,5}$/,
          what: 'NODE:PORT, where the datagram is expected (behind a DNAT)',
        });
        if (t !== undefined) {
          const [n, p] = t.split(':') as [string, string];
          const nd = nodes.find((x) => x.name === n);
          if (nd === undefined || nd.kind === 'switch' || nd.kind === 'hub')
            c.error([...ap, 'listenAt'], `${JSON.stringify(n)} is not a host or router of this lab`);
          else if (Number(p) < 1 || Number(p) > 65535) c.error([...ap, 'listenAt'], `port ${p} is out of range`);
          else listenAt = { node: n, port: Number(p) };
        }
      }
      const listen = uo.listen === undefined ? true : (c.bool([...ap, 'listen'], uo.listen) ?? true);
      const from = checkFrom(c, [...ap, 'from'], uo.from, nodes);
      const to = checkTarget(c, [...ap, 'to'], uo.to, nodes);
      const srcPort = c.int([...ap, 'srcPort'], uo.srcPort ?? 40000, { min: 1, max: 65535 });
      const dstPort = c.int([...ap, 'dstPort'], uo.dstPort, { min: 1, max: 65535 });
      const data = uo.data === undefined ? 'hello' : c.str([...ap, 'data'], uo.data, { allowEmpty: true });
      const count = uo.count === undefined ? 1 : c.int([...ap, 'count'], uo.count, { min: 1, max: 100000 });
      if (
        from !== undefined &&
        to !== undefined &&
        srcPort !== undefined &&
        dstPort !== undefined &&
        data !== undefined &&
        count !== undefined
      ) {
        action = { kind: 'udp', from, to, srcPort, dstPort, data, count, listen };
        if (listenAt !== undefined) action.listenAt = listenAt;
        if (size !== undefined) action.size = size;
        if (df !== undefined) action.df = df;
      }
    }
  }
  const expect = o.expect === undefined ? {} : checkExpect(c, [...path, 'expect'], o.expect, nodes, kind);
  const name = o.name === undefined ? `${kind} ${describeAction(o[kind])}` : (c.str([...path, 'name'], o.name) ?? kind);
  if (action === undefined) return undefined;
  return { name, action, expect, path };
}

function describeAction(v: unknown): string {
  if (typeof v !== 'object' || v === null) return String(v);
  const o = v as Record<string, unknown>;
  if ('from' in o) return `${String(o.from)} -> ${String(o.to)}`;
  return Object.entries(o)
    .map(([k, x]) => `${k} ${String(x)}`)
    .join(' ');
}

function checkExpect(c: Checker, path: SpecPath, v: unknown, nodes: NodeSpec[], kind: string): StepExpect {
  const e: StepExpect = {};
  const o = c.obj(path, v);
  if (o === undefined) return e;
  const allowed: Record<string, string[]> = {
    ping: ['received', 'loss', 'path', 'seenBy', 'icmp', 'drop'],
    udp: ['delivered', 'drop', 'path', 'seenBy', 'icmp', 'receivedFrom'],
    show: ['macTable', 'macTableSize'],
    wait: [],
    exec: ['status', 'contains', 'notContains', 'matches'],
    link: [],
    unlink: [],
    fdb: [],
  };
  c.unknownKeys(path, o, allowed[kind] ?? []);
  checkOutputExpect(c, path, o, e);
  if (o.delivered !== undefined) e.delivered = c.bool([...path, 'delivered'], o.delivered);
  if (o.drop !== undefined) e.drop = c.str([...path, 'drop'], o.drop);
  if (o.icmp !== undefined) e.icmp = c.str([...path, 'icmp'], o.icmp);
  if (o.receivedFrom !== undefined) {
    const ip = c.parse([...path, 'receivedFrom'], o.receivedFrom, parseIpv4, 'an IPv4 address');
    if (ip !== undefined) e.receivedFrom = ip;
  }
  const names = (key: 'path' | 'seenBy'): string[] | undefined => {
    const list = c.arr([...path, key], o[key]);
    if (list === undefined) return undefined;
    const out: string[] = [];
    list.forEach((x, i) => {
      const s = c.str([...path, key, i], x);
      if (s !== undefined && !nodes.some((n) => n.name === s))
        c.error([...path, key, i], `no node named ${JSON.stringify(s)}`);
      else if (s !== undefined) out.push(s);
    });
    return out;
  };
  if (o.path !== undefined) e.path = names('path');
  if (o.seenBy !== undefined) e.seenBy = names('seenBy');
  if (o.macTableSize !== undefined) e.macTableSize = c.int([...path, 'macTableSize'], o.macTableSize, { min: 0 });
  if (o.macTable !== undefined) {
    e.macTable = [];
    (c.arr([...path, 'macTable'], o.macTable) ?? []).forEach((x, i) => {
      const rp = [...path, 'macTable', i];
      const ro = c.obj(rp, x);
      if (ro === undefined) return;
      c.unknownKeys(rp, ro, ['mac', 'port', 'vlan']);
      const mac = c.parse([...rp, 'mac'], ro.mac, parseMac, 'a MAC address');
      if (mac === undefined) return;
      const row: { mac: Mac; port?: string; vlan?: number } = { mac };
      if (ro.port !== undefined) row.port = c.str([...rp, 'port'], ro.port) ?? '';
      if (ro.vlan !== undefined) row.vlan = c.int([...rp, 'vlan'], ro.vlan, { min: 1, max: 4094 }) ?? 0;
      e.macTable!.push(row);
    });
  }
  return e;
}

/** Validates spec.limits: per-step budgets, `{ maxEvents: 20000000, maxSimTime: 2h }`. */
export function checkLimits(c: Checker, v: unknown): { maxEvents?: number; maxSimTime?: number } {
  const out: { maxEvents?: number; maxSimTime?: number } = {};
  if (v === undefined) return out;
  const path: SpecPath = ['spec', 'limits'];
  const o = c.obj(path, v);
  if (o === undefined) return out;
  c.unknownKeys(path, o, ['maxEvents', 'maxSimTime']);
  if (o.maxEvents !== undefined) {
    const n = c.int([...path, 'maxEvents'], o.maxEvents, { min: 1, max: Number.MAX_SAFE_INTEGER });
    if (n !== undefined) out.maxEvents = n;
  }
  if (o.maxSimTime !== undefined) {
    const d = c.parse([...path, 'maxSimTime'], o.maxSimTime, parseDuration, 'a duration (10s, 1h)');
    if (d === 0) c.error([...path, 'maxSimTime'], 'must be more than 0');
    else if (d !== undefined) out.maxSimTime = d;
  }
  return out;
}

/** The expectations on what a command or a ping printed: received, loss, status, contains, matches (into `e`). */
export function checkOutputExpect(
  c: Checker,
  path: SpecPath,
  o: Record<string, unknown>,
  e: Pick<StepExpect, 'received' | 'loss' | 'status' | 'contains' | 'notContains' | 'matches'>,
): void {
  if (o.received !== undefined) e.received = c.int([...path, 'received'], o.received, { min: 0 });
  if (o.loss !== undefined) {
    const l = c.parse(
      [...path, 'loss'],
      o.loss,
      (t) => (/^(100|[1-9]?[0-9])%$/.test(t) ? Number(t.slice(0, -1)) : undefined),
      'a percentage (0%, 100%)',
    );
    if (l !== undefined) e.loss = l;
  }
  if (o.status !== undefined) e.status = c.int([...path, 'status'], o.status, { min: 0, max: 255 });
  for (const key of ['contains', 'notContains'] as const) {
    if (o[key] === undefined) continue;
    const list: string[] = [];
    (c.arr([...path, key], o[key]) ?? []).forEach((x, i) => {
      const t = c.str([...path, key, i], x);
      if (t !== undefined) list.push(t);
    });
    e[key] = list;
  }
  if (o.matches !== undefined) {
    e.matches = [];
    (c.arr([...path, 'matches'], o.matches) ?? []).forEach((x, i) => {
      const t = c.str([...path, 'matches', i], x);
      if (t === undefined) return;
      try {
        e.matches!.push(new RegExp(t, 'm'));
      } catch (err) {
        c.error([...path, 'matches', i], `not a regular expression: ${(err as Error).message}`);
      }
    });
  }
}
