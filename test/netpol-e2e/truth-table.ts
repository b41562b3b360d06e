/**
 * The Kubernetes e2e suite's truth tables (test/e2e/network/netpol/truthtable.go): reading one as
 * TruthTable.PrettyPrint prints it, printing one the same way, and the cells where two disagree, with or
 * without the diagonal (the suite's `ignoreLoopback`).
 */

/** A reachability matrix: `allowed.get(from)?.get(to)` is whether `from` reached `to`. */
export interface TruthTable {
  /** Pods as "ns/pod", in print order (rows and columns alike). */
  pods: string[];
  allowed: Map<string, Map<string, boolean>>;
}

/**
 * Reads a table: a header line `-` then the pods, then one line per client pod with `.` (connected) or
 * `X` (not) per server pod; cells separated by any whitespace. Throws on a malformed table (a data bug).
 */
export function parseTruthTable(text: string): TruthTable {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const [header, ...rows] = lines;
  const head = header?.split(/\s+/) ?? [];
  if (head[0] !== '-') throw new Error(`truth table: header must start with "-": ${header}`);
  const pods = head.slice(1);
  if (rows.length !== pods.length) throw new Error(`truth table: ${rows.length} rows for ${pods.length} columns`);
  const allowed = new Map<string, Map<string, boolean>>();
  rows.forEach((row, i) => {
    const [from = '', ...cells] = row.split(/\s+/);
    if (from !== pods[i]) throw new Error(`truth table: row ${i + 1} is ${from}, expected ${pods[i]}`);
    if (cells.length !== pods.length) throw new Error(`truth table: row ${from} has ${cells.length} cells`);
    const m = new Map<string, boolean>();
    cells.forEach((c, j) => {
      if (c !== '.' && c !== 'X') throw new Error(`truth table: row ${from} cell ${j + 1} is ${c}`);
      m.set(pods[j]!, c === '.');
    });
    allowed.set(from, m);
  });
  return { pods, allowed };
}

/** A table of `pods` filled by `allowed(from, to)`. */
export function buildTruthTable(pods: readonly string[], allowed: (from: string, to: string) => boolean): TruthTable {
  return {
    pods: [...pods],
    allowed: new Map(pods.map((f) => [f, new Map(pods.map((t) => [t, allowed(f, t)]))])),
  };
}

/** The table as the cases write it (header `-` and the pods, then `.`/`X` rows). */
export function formatTruthTable(t: TruthTable): string {
  const w = Math.max(...t.pods.map((p) => p.length));
  const cell = (s: string): string => ` ${s.padStart(w)}`;
  const lines = [`${'-'.padEnd(w)}${t.pods.map(cell).join('')}`];
  for (const f of t.pods)
    lines.push(`${f.padEnd(w)}${t.pods.map((to) => cell(t.allowed.get(f)?.get(to) === true ? '.' : 'X')).join('')}`);
  return lines.join('\n');
}

/** The cells where `actual` differs from `expected`, as "from -> to: expected ., got X". */
export function truthTableDiff(expected: TruthTable, actual: TruthTable, opts: { ignoreLoopback: boolean }): string[] {
  const out: string[] = [];
  for (const f of expected.pods)
    for (const t of expected.pods) {
      if (opts.ignoreLoopback && f === t) continue;
      const e = expected.allowed.get(f)?.get(t);
      const a = actual.allowed.get(f)?.get(t);
      if (e !== a) out.push(`${f} -> ${t}: expected ${mark(e)}, got ${mark(a)}`);
    }
  return out;
}

const mark = (v: boolean | undefined): string => (v === undefined ? '?' : v ? '.' : 'X');
