/**
 * A chain made ready for walking, giving exactly the linear first-match walk's verdicts, counters and side
 * effects at a fraction of its cost. Two things:
 *
 * 1. An index over runs of rules that each need one exact address. Policy enforcers write them:
 *    kube-router's KUBE-ROUTER-FORWARD has `-d POD/32 ... -j KUBE-POD-FW-X` and `-s POD/32 ...` for every pod
 *    on the node (four rules a pod), its KUBE-ROUTER-INPUT/OUTPUT the same. Linux tests each rule in turn
 *    (ipt_do_table walks the blob; that is the notes' "iptables scale" point, a cost `iptables -L -v` never
 *    shows), and the emulator need not: in such a run only the rules keyed by the packet's destination or
 *    source can match, and those are walked in rule order, each through the full match and target code. A
 *    skipped rule fails its address test, and netfilter.ts tests addresses before any match with a side
 *    effect (statistic's draw, recent's update), so skipping it changes no counter and no state: what the
 *    kernel's walk leaves. A rule is keyed when it carries a non-negated `-d A/32` (keyed by A), or else a
 *    non-negated `-s A/32`; its other matches and its target can be anything. Runs shorter than MIN_RUN are
 *    walked rule by rule.
 * 2. Each rule's matches in one fixed shape (CompiledRule), so that reading them stays monomorphic (Rule
 *    objects come in as many shapes as there are combinations of options), with the conntrack states as a
 *    bit mask and a jump's chain resolved.
 *
 * Invalidation: a chain's compiled form is kept per rules array, and its jumps per table. Assigning a new
 * array (`chain.rules = [...]`, what iptables-restore and the enforcers do) or a new table is seen by
 * identity; changing either in place through its methods (push, splice, unshift... as `iptables -A/-I/-D`
 * do; a table's set and delete) is seen through a generation count those methods bump on the watched object.
 * Writing an element directly (`rules[i] = r`) or a rule's fields after it is in a chain is not seen: no code
 * does, and rules.ts's Chain says so. ipsets changing need nothing: members are looked up per packet.
 */
import type { Ipv4 } from '../../wire/addr.js';
import type { Chain, CtState, Rule } from './rules.js';

/** Fewer consecutive keyed rules than this are walked one by one (a lookup costs about as much as a few tests). */
export const MIN_RUN = 8;

/** A run of keyed rules [start, end): rule numbers (0-based, ascending) by the address they need. */
export interface AddrRun {
  readonly start: number;
  readonly end: number;
  /** Rules keyed by their `-d A/32`, by A. */
  readonly byDst: ReadonlyMap<Ipv4, readonly number[]>;
  /** Rules keyed by their `-s A/32` (and no exact `-d`), by A. */
  readonly bySrc: ReadonlyMap<Ipv4, readonly number[]>;
}

/** Conntrack states as bits (CtState order), for `--ctstate` tests without arrays. */
export const CT_BITS: Record<CtState, number> = {
  NEW: 1,
  ESTABLISHED: 2,
  RELATED: 4,
  INVALID: 8,
  UNTRACKED: 16,
  DNAT: 32,
  SNAT: 64,
};

/** How an optional match applies: absent, must hold, must not hold (`!`). */
export const ABSENT = 0;
export const MUST = 1;
export const MUST_NOT = 2;

function mode(m: { neg: boolean } | undefined): number {
  return m === undefined ? ABSENT : m.neg ? MUST_NOT : MUST;
}

/** A rule's common matches, every field present (numbers and strings only), and its jump resolved. */
export class CompiledRule {
  readonly srcMode: number;
  readonly srcAddr: number;
  readonly srcMask: number;
  readonly dstMode: number;
  readonly dstAddr: number;
  readonly dstMask: number;
  readonly protoMode: number;
  readonly proto: number;
  readonly inMode: number;
  readonly inName: string;
  readonly inPrefix: boolean;
  readonly outMode: number;
  readonly outName: string;
  readonly outPrefix: boolean;
  /** `--sport`/`--dport` present (the packet must carry ports). */
  readonly ports: boolean;
  readonly sportMode: number;
  readonly sportLo: number;
  readonly sportHi: number;
  readonly dportMode: number;
  readonly dportLo: number;
  readonly dportHi: number;
  readonly markMode: number;
  readonly markValue: number;
  readonly markMask: number;
  readonly ctMode: number;
  /** The states `--ctstate` lists, as CT_BITS. */
  readonly ctMask: number;
  /**
   * The rule has a match beyond these (physdev, icmp type, multiport, addrtype, set, statistic, recent): the
   * walk tests those from the rule itself, after the ones above.
   */
  readonly more: boolean;
  /** For `-j CHAIN`/`-g CHAIN`: the chain, as the table held it when compiled (undefined: none, or no such chain). */
  jump: Chain | undefined = undefined;

  constructor(readonly rule: Rule) {
    const r = rule;
    this.srcMode = mode(r.src);
    this.srcAddr = r.src?.addr ?? 0;
    this.srcMask = r.src?.mask ?? 0;
    this.dstMode = mode(r.dst);
    this.dstAddr = r.dst?.addr ?? 0;
    this.dstMask = r.dst?.mask ?? 0;
    this.protoMode = mode(r.proto);
    this.proto = r.proto?.num ?? 0;
    this.inMode = mode(r.inIf);
    this.inPrefix = r.inIf?.name.endsWith('+') ?? false;
    this.inName = r.inIf === undefined ? '' : this.inPrefix ? r.inIf.name.slice(0, -1) : r.inIf.name;
    this.outMode = mode(r.outIf);
    this.outPrefix = r.outIf?.name.endsWith('+') ?? false;
    this.outName = r.outIf === undefined ? '' : this.outPrefix ? r.outIf.name.slice(0, -1) : r.outIf.name;
    this.ports = r.sport !== undefined || r.dport !== undefined;
    this.sportMode = mode(r.sport);
    this.sportLo = r.sport?.lo ?? 0;
    this.sportHi = r.sport?.hi ?? 0;
    this.dportMode = mode(r.dport);
    this.dportLo = r.dport?.lo ?? 0;
    this.dportHi = r.dport?.hi ?? 0;
    this.markMode = mode(r.mark);
    this.markValue = r.mark?.value ?? 0;
    this.markMask = r.mark?.mask ?? 0;
    this.ctMode = mode(r.ctstate);
    this.ctMask = (r.ctstate?.states ?? []).reduce((m, s) => m | CT_BITS[s], 0);
    this.more =
      r.physdevIsBridged !== undefined ||
      r.icmpType !== undefined ||
      r.multiport !== undefined ||
      r.dstTypeLocal !== undefined ||
      r.srcTypeLocal !== undefined ||
      r.sets !== undefined ||
      r.probability !== undefined ||
      r.recent !== undefined;
  }
}

/** A chain ready for walking: its rules compiled, and the run (if any) that starts at each rule number. */
export interface CompiledChain {
  readonly rules: readonly CompiledRule[];
  readonly runAt: readonly (AddrRun | undefined)[];
  /** The table the jumps were resolved in, and its generation then. */
  table: ReadonlyMap<string, Chain> | undefined;
  tableGeneration: number;
}

/** The array methods that change an array in place, and the map methods that change a map. */
const ARRAY_MUTATORS = ['push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin'] as const;
const MAP_MUTATORS = ['set', 'delete', 'clear'] as const;

/** A watched object's count of in-place changes. */
interface Generation {
  generation: number;
}

/** Per watched rules array: its generation, and its compiled form as of `builtAt`. */
interface WatchedRules extends Generation {
  builtAt: number;
  compiled: CompiledChain | undefined;
}

/**
 * Where a watched array or map keeps its state: a non-enumerable symbol-keyed property of its own (one
 * property read per chain visit, where a WeakMap would be a hash lookup).
 */
const WATCHED = Symbol('podnet.netfilter.watched');

type WithState<T, S> = T & { [WATCHED]?: S };

function setState(target: object, state: unknown): void {
  Object.defineProperty(target, WATCHED, { value: state, enumerable: false, writable: false, configurable: true });
}

/**
 * Makes the in-place mutators `names` of `target` count changes in `g`: own, non-enumerable methods that
 * bump the generation and then do what the prototype's do (the object stays an ordinary array or map to
 * every reader: spread, iteration, JSON and deep equality see no difference).
 */
function watch(target: object, proto: object, names: readonly string[], g: Generation): void {
  for (const name of names) {
    const original = (proto as Record<string, (...args: unknown[]) => unknown>)[name]!;
    Object.defineProperty(target, name, {
      value: function (this: unknown, ...args: unknown[]): unknown {
        g.generation++;
        return original.apply(this, args);
      },
      enumerable: false,
      writable: true,
      configurable: true,
    });
  }
}

function tableGeneration(table: WithState<ReadonlyMap<string, Chain>, Generation>): Generation {
  let g = table[WATCHED];
  if (g === undefined) {
    g = { generation: 0 };
    watch(table, Map.prototype, MAP_MUTATORS, g);
    setState(table, g);
  }
  return g;
}

/** The exact address a rule needs, and which side: undefined when it has none. */
function keyOf(r: Rule): { side: 'dst' | 'src'; addr: Ipv4 } | undefined {
  if (r.dst !== undefined && !r.dst.neg && r.dst.len === 32) return { side: 'dst', addr: r.dst.addr };
  if (r.src !== undefined && !r.src.neg && r.src.len === 32) return { side: 'src', addr: r.src.addr };
  return undefined;
}

/** The runs of at least MIN_RUN keyed rules in `rules`, by the rule number each starts at. */
export function indexRuns(rules: readonly Rule[]): (AddrRun | undefined)[] {
  const runAt: (AddrRun | undefined)[] = new Array<AddrRun | undefined>(rules.length).fill(undefined);
  let i = 0;
  while (i < rules.length) {
    let j = i;
    while (j < rules.length && keyOf(rules[j]!) !== undefined) j++;
    if (j - i >= MIN_RUN) {
      const byDst = new Map<Ipv4, number[]>();
      const bySrc = new Map<Ipv4, number[]>();
      for (let k = i; k < j; k++) {
        const key = keyOf(rules[k]!)!;
        const m = key.side === 'dst' ? byDst : bySrc;
        const list = m.get(key.addr);
        if (list === undefined) m.set(key.addr, [k]);
        else list.push(k);
      }
      runAt[i] = { start: i, end: j, byDst, bySrc };
    }
    i = j === i ? i + 1 : j;
  }
  return runAt;
}

/**
 * `chain` ready for walking in `table` (the map of the chain's table, where its jumps lead): compiled once,
 * again after its rules changed, its jumps resolved again after the table changed.
 */
export function compiledChain(chain: Chain, table: ReadonlyMap<string, Chain>): CompiledChain {
  const rules: WithState<Rule[], WatchedRules> = chain.rules;
  let w = rules[WATCHED];
  if (w === undefined) {
    w = { generation: 0, builtAt: -1, compiled: undefined };
    watch(rules, Array.prototype, ARRAY_MUTATORS, w);
    setState(rules, w);
  }
  let c = w.compiled;
  if (c === undefined || w.builtAt !== w.generation) {
    c = {
      rules: rules.map((r) => new CompiledRule(r)),
      runAt: indexRuns(rules),
      table: undefined,
      tableGeneration: -1,
    };
    w.compiled = c;
    w.builtAt = w.generation;
  }
  const g = tableGeneration(table);
  if (c.table !== table || c.tableGeneration !== g.generation) {
    for (const cr of c.rules) {
      const t = cr.rule.target;
      cr.jump = t !== undefined && (t.kind === 'JUMP' || t.kind === 'GOTO') ? table.get(t.chain) : undefined;
    }
    c.table = table;
    c.tableGeneration = g.generation;
  }
  return c;
}
