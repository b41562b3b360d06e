/**
 * The reachability matrix in print: as the Kubernetes e2e netpol suite prints its truth tables
 * (test/e2e/network/netpol/truthtable.go PrettyPrint: a header row "-" and the targets, then one row per
 * source with "." where it reaches the target and "X" where it does not, cells separated by tabs), and
 * as JSON lines, one pair a line, fields in the order `from`, `to`, `port`, `protocol`, `allowed`.
 */
import { outcomeAllowed, type MatrixColumn, type ProbeResult } from './policy-matrix.js';

/**
 * truthtable.go PrettyPrint: `indent` + "-" and the targets joined by tabs, then `indent` + each source
 * and its marks ("." reachable, "X" not, "?" no value) joined by tabs, lines joined by newlines.
 */
export function prettyPrintTruthTable(
  froms: readonly string[],
  tos: readonly string[],
  value: (from: string, to: string) => boolean | undefined,
  indent = '',
): string {
  const lines = [indent + ['-', ...tos].join('\t')];
  for (const from of froms) {
    const marks = tos.map((to) => {
      const v = value(from, to);
      return v === undefined ? '?' : v ? '.' : 'X';
    });
    lines.push(indent + [from, ...marks].join('\t'));
  }
  return lines.join('\n');
}

/** The matrix of one port and protocol from its probe results (pods named namespace/name, in `pods` order). */
export function matrixTable(pods: readonly string[], results: readonly ProbeResult[]): string {
  const seen = new Map<string, boolean | undefined>();
  for (const r of results) seen.set(`${r.from.id}\n${r.to.id}`, outcomeAllowed(r.outcome));
  return prettyPrintTruthTable(pods, pods, (f, t) => seen.get(`${f}\n${t}`));
}

/** The heading of one column's matrix: "TCP port 80" (SCTP: said to be not emulated). */
export function columnHeading(c: MatrixColumn): string {
  return c.protocol === 'SCTP'
    ? `SCTP port ${c.port}: not emulated (podnet has no SCTP transport), so neither allowed nor denied`
    : `${c.protocol} port ${c.port}`;
}

/**
 * One pair as a JSON line: {"from": "ns/pod", "to": "ns/pod", "port": 80, "protocol": "TCP", "allowed": true},
 * spaced as the issue writes it; `allowed` is null for SCTP, which is not emulated. A pair where the enforcer
 * knowingly parts from v1 ends with `"deviation": "kube-router: ..."`.
 */
export function matrixJsonLine(r: ProbeResult, deviation?: string): string {
  const allowed = outcomeAllowed(r.outcome);
  const extra = deviation === undefined ? '' : `, "deviation": ${JSON.stringify(deviation)}`;
  return `{"from": ${JSON.stringify(r.from.id)}, "to": ${JSON.stringify(r.to.id)}, "port": ${r.port}, "protocol": ${JSON.stringify(r.protocol)}, "allowed": ${allowed === undefined ? 'null' : String(allowed)}${extra}}`;
}
