/**
 * calicoctl's tables: olekukonko/tablewriter v0.0.5 with its defaults, as every released calicoctl (up to
 * v3.32) renders `ipam show`, `node status` and the rest (table.go Render, printHeading, printRow,
 * parseDimension; util.go Title/Pad; wrap.go WrapString/WrapWords): `+`/`-`/`|` borders; headings
 * upper-cased and centred, the smaller half of the gap on the left; a cell that is a decimal number
 * right-aligned, anything else left-aligned; a cell wider than 30 columns wrapped at word boundaries with
 * minimal raggedness (a single longer word widens the limit), the row's other cells left blank below it.
 * calicoctl on the master branch has since moved to go-pretty (left-aligned headings); podnet follows the
 * released versions.
 */

/** tablewriter v0.0.5's decimal pattern: such cells are right-aligned. */
const DECIMAL = /^-?(?:\d{1,3}(?:,\d{3})*|\d+)(?:\.\d+)?$/;

/** MAX_ROW_WIDTH: cells wrap at 30 columns. */
const MAX_CELL_WIDTH = 30;

/** Renders `header` and `rows` as tablewriter v0.0.5 does with its defaults; the text ends with a newline. */
export function renderTableWriter(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = rows.map((r) => header.map((_, i) => wrapCell(r[i] ?? '')));
  const width = header.map((h, i) => Math.max(h.length, ...cells.map((r) => Math.max(...r[i]!.map((l) => l.length)))));
  const line = `+${width.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const centre = (s: string, w: number): string => {
    // util.go Pad: the smaller half of the gap on the left
    const gap = w - s.length;
    const left = Math.floor(gap / 2);
    return ' '.repeat(left) + s + ' '.repeat(gap - left);
  };
  const cell = (s: string, w: number): string => (DECIMAL.test(s.trim()) ? s.padStart(w) : s.padEnd(w));
  const out = [line, `| ${header.map((h, i) => centre(h.toUpperCase(), width[i]!)).join(' | ')} |`, line];
  for (const r of cells) {
    const height = Math.max(...r.map((c) => c.length));
    for (let l = 0; l < height; l++) out.push(`| ${width.map((w, i) => cell(r[i]![l] ?? '', w)).join(' | ')} |`);
  }
  out.push(line);
  return out.join('\n') + '\n';
}

/** parseDimension with auto-wrap: a cell wider than 30 is wrapped at 30 (or its longest word). */
function wrapCell(text: string): string[] {
  if (text.length <= MAX_CELL_WIDTH) return [text];
  const words = text.split(' ');
  const lim = Math.max(MAX_CELL_WIDTH, ...words.map((w) => w.length));
  return wrapWords(words, lim).map((l) => l.join(' '));
}

/** WrapWords: the line breaks with the least total squared slack; a line over the limit costs 1e5 more. */
function wrapWords(words: readonly string[], lim: number): string[][] {
  const n = words.length;
  const len = (i: number, j: number): number => {
    let total = j - i; // one space between words
    for (let k = i; k <= j; k++) total += words[k]!.length;
    return total;
  };
  const cost = new Array<number>(n).fill(2 ** 31 - 1);
  const brk = new Array<number>(n).fill(n);
  for (let i = n - 1; i >= 0; i--) {
    if (len(i, n - 1) <= lim) {
      cost[i] = 0;
      brk[i] = n;
      continue;
    }
    for (let j = i + 1; j < n; j++) {
      const d = lim - len(i, j - 1);
      const c = d * d + cost[j]! + (len(i, j - 1) > lim ? 1e5 : 0);
      if (c < cost[i]!) {
        cost[i] = c;
        brk[i] = j;
      }
    }
  }
  const lines: string[][] = [];
  for (let i = 0; i < n; i = brk[i]!) lines.push(words.slice(i, brk[i]));
  return lines;
}
