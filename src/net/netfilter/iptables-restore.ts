/**
 * iptables-save text in and out (`*table`, `:CHAIN POLICY [p:b]`, `-A CHAIN ...`, `COMMIT`), applied as
 * iptables-restore applies it: all-or-nothing, whole tables replaced, or edited in place with --noflush.
 * It owns the file format and its line-numbered errors; one rule's words are rule-parse.ts's, the model
 * rules.ts's.
 */
import { BUILTIN_CHAINS, emptyRuleset, type Chain, type Ruleset, type TableName } from './rules.js';
import { parseRule, tokenize } from './rule-parse.js';

/** A problem in iptables-save text: 1-based line, and what is wrong. */
export interface RulesError {
  line: number;
  message: string;
}

/**
 * Parses iptables-save text (`*table`, `:CHAIN POLICY [p:b]`, `-A CHAIN ...`, `COMMIT`) into `into`, as
 * `iptables-restore` does: all-or-nothing (on any error nothing changes), and each table named in the text
 * is replaced. With `noflush` (iptables-restore --noflush, what kube-proxy and flanneld use) tables are
 * merged instead: a declared chain is created or flushed, others keep their rules, and `-I`, `-D`, `-N`,
 * `-F` and `-X` edit chains in place.
 */
export function parseIptablesSave(
  text: string,
  into: Ruleset = emptyRuleset(),
  opts: { noflush?: boolean } = {},
): { ok: true; ruleset: Ruleset } | { ok: false; errors: RulesError[] } {
  const errors: RulesError[] = [];
  const staged = new Map<TableName, Map<string, Chain>>();
  let table: TableName | undefined;
  let chains: Map<string, Chain> | undefined;
  const jumps: { line: number; table: TableName; target: string }[] = [];
  const clone = (m: Map<string, Chain>): Map<string, Chain> =>
    new Map([...m].map(([k, c]) => [k, { ...c, rules: [...c.rules] }]));
  const lines = text.split('\n');
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    const s = raw.trim();
    if (s === '' || s.startsWith('#')) return;
    if (s.startsWith('*')) {
      const t = s.slice(1) as TableName;
      if (!(t in BUILTIN_CHAINS)) {
        errors.push({ line, message: `unknown table ${JSON.stringify(t)}` });
        table = undefined;
        return;
      }
      table = t;
      chains = opts.noflush === true ? clone(staged.get(t) ?? into[t]) : new Map();
      return;
    }
    if (table === undefined || chains === undefined) {
      errors.push({ line, message: 'rule outside a table (missing "*nat" or "*filter")' });
      return;
    }
    if (s === 'COMMIT') {
      for (const b of BUILTIN_CHAINS[table])
        if (!chains.has(b)) chains.set(b, { name: b, policy: 'ACCEPT', rules: [], packets: 0, bytes: 0 });
      staged.set(table, chains);
      table = undefined;
      return;
    }
    if (s.startsWith(':')) {
      const m = /^:(\S+)\s+(\S+)(?:\s+\[(\d+):(\d+)\])?$/.exec(s);
      if (!m) {
        errors.push({ line, message: `bad chain line ${JSON.stringify(s)}` });
        return;
      }
      const builtin = BUILTIN_CHAINS[table].includes(m[1]!);
      if (builtin && m[2] !== 'ACCEPT' && m[2] !== 'DROP' && !(opts.noflush === true && m[2] === '-'))
        errors.push({ line, message: `policy of ${m[1]} must be ACCEPT or DROP` });
      const old = chains.get(m[1]!);
      const policy = builtin ? (m[2] === '-' ? (old?.policy ?? 'ACCEPT') : (m[2] as 'ACCEPT' | 'DROP')) : undefined;
      // --noflush flushes declared user chains only; a declared built-in chain just gets its policy
      const keep = opts.noflush === true && builtin && old !== undefined ? old.rules : [];
      chains.set(m[1]!, {
        name: m[1]!,
        policy,
        rules: keep,
        packets: m[3] !== undefined ? Number(m[3]) : (old?.packets ?? 0),
        bytes: m[4] !== undefined ? Number(m[4]) : (old?.bytes ?? 0),
      });
      return;
    }
    // iptables-save -c puts each rule's counters first: "[packets:bytes] -A CHAIN ..."
    const counters = /^\[(\d+):(\d+)\]\s+/.exec(s);
    const body = counters === null ? s : s.slice(counters[0].length);
    const words = tokenize(body);
    if (words === undefined) {
      errors.push({ line, message: 'unterminated quote' });
      return;
    }
    const op = words[0];
    const chainName = words[1];
    const chain = chainName === undefined ? undefined : chains.get(chainName);
    if (op === '-N' || op === '--new-chain') {
      if (chainName === undefined || chain !== undefined)
        errors.push({ line, message: `-N: chain ${JSON.stringify(chainName ?? '')} already exists or has no name` });
      else chains.set(chainName, { name: chainName, policy: undefined, rules: [], packets: 0, bytes: 0 });
      return;
    }
    if (chain === undefined) {
      errors.push({ line, message: `chain ${JSON.stringify(chainName ?? '')} is not declared in *${table}` });
      return;
    }
    if (op === '-X' || op === '--delete-chain') {
      const users = [...chains.values()].filter((c) =>
        c.rules.some((r) => (r.target?.kind === 'JUMP' || r.target?.kind === 'GOTO') && r.target.chain === chain.name),
      );
      if (BUILTIN_CHAINS[table].includes(chain.name))
        errors.push({ line, message: `-X: cannot delete built-in chain ${chain.name}` });
      else if (users.length > 0)
        errors.push({
          line,
          message: `-X ${chain.name}: Too many links (rules in ${users.map((c) => c.name).join(', ')} still jump to it)`,
        });
      else chains.delete(chain.name);
      return;
    }
    if (op === '-F' || op === '--flush') {
      chain.rules = [];
      return;
    }
    if (op !== '-A' && op !== '--append' && op !== '-I' && op !== '--insert' && op !== '-D' && op !== '--delete') {
      errors.push({ line, message: `expected -A, -I, -D, -N, -F or -X, got ${JSON.stringify(op)}` });
      return;
    }
    let rest = words.slice(2);
    let position = 1;
    if ((op === '-I' || op === '--insert') && /^[0-9]+$/.test(rest[0] ?? '')) {
      position = Number(rest[0]);
      rest = rest.slice(1);
    }
    // every rule is kept as iptables-save would print it: "-A CHAIN <spec>"
    const textOf = `-A ${chain.name} ${body
      .slice(body.indexOf(chain.name) + chain.name.length)
      .trim()
      .replace(/^\d+\s+/, op === '-I' || op === '--insert' ? '' : '$&')}`.trim();
    if (op === '-D' || op === '--delete') {
      const i = chain.rules.findIndex((x) => x.text === textOf);
      if (i < 0)
        errors.push({
          line,
          message: `-D: no rule "${textOf}" in ${chain.name} (Bad rule: does a matching rule exist in that chain?)`,
        });
      else chain.rules.splice(i, 1);
      return;
    }
    const r = parseRule(rest, textOf, table);
    if (typeof r === 'string') {
      errors.push({ line, message: r });
      return;
    }
    if (r.target?.kind === 'JUMP' || r.target?.kind === 'GOTO') jumps.push({ line, table, target: r.target.chain });
    if (counters !== null) {
      r.packets = Number(counters[1]);
      r.bytes = Number(counters[2]);
    }
    if (op === '-I' || op === '--insert') chain.rules.splice(Math.min(position - 1, chain.rules.length), 0, r);
    else chain.rules.push(r);
  });
  const uncommitted = table;
  if (uncommitted !== undefined) errors.push({ line: lines.length, message: `table *${uncommitted} has no COMMIT` });
  // jumps are checked against the tables as they will be (a table without COMMIT has its own error)
  for (const j of jumps)
    if (j.table !== uncommitted && !(staged.get(j.table) ?? into[j.table]).has(j.target))
      errors.push({
        line: j.line,
        message: `jump to chain ${JSON.stringify(j.target)}, which does not exist in *${j.table}`,
      });
  if (errors.length > 0) return { ok: false, errors };
  for (const [t, c] of staged) into[t] = c;
  return { ok: true, ruleset: into };
}

export { formatIptablesSave } from './iptables-save.js';
