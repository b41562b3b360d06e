/**
 * Text exactly as the Go CNI code writes it, so podnet's plugins print what the reference plugins print:
 * `%q` quoting (iptables comments, error details), `%q` of a string slice, and encoding/json's output
 * (keys sorted as for a map, `<`, `>`, `&` escaped, `json.MarshalIndent` with four spaces, as libcni's
 * Result.PrintTo does). Nothing here knows what CNI is.
 */

/** Go's `strconv.Quote` (`%q`) for the printable ASCII and common escapes CNI names and IDs contain. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** Go's `%q` of a `[]string`: `["a" "b"]`. */
export function goQuoteList(items: readonly string[]): string {
  return `[${items.map(goQuote).join(' ')}]`;
}

/** A JSON string as encoding/json writes it (HTML-safe: <, >, & and U+2028/2029 escaped). */
function goJsonString(s: string): string {
  const j = JSON.stringify(s);
  // most strings need no HTML escaping: test before paying for a replace with a callback
  return HTML_UNSAFE.test(s)
    ? j.replace(HTML_UNSAFE_G, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : j;
}

const HTML_UNSAFE = /[<>&\u2028\u2029]/;
const HTML_UNSAFE_G = /[<>&\u2028\u2029]/g;

/**
 * Serialises like Go's json.MarshalIndent(v, "", indent) over a value decoded into `map[string]interface{}`:
 * object keys sorted (or, with `sortKeys` false, in insertion order, as for a struct), undefined members
 * left out. `indent` '' gives json.Marshal's compact form.
 */
export function goJson(value: unknown, indent = '', sortKeys = true): string {
  return write(value, indent, '', sortKeys);
}

function write(v: unknown, indent: string, pad: string, sortKeys: boolean): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goJsonString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  const inner = pad + indent;
  const nl = indent === '' ? '' : '\n';
  const sep = indent === '' ? ':' : ': ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[${nl}${v.map((x) => inner + write(x, indent, inner, sortKeys)).join(`,${nl}`)}${nl}${pad}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  // a struct keeps its field order; a map's keys are sorted
  if (sortKeys) entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return '{}';
  return `{${nl}${entries.map(([k, x]) => `${inner}${goJsonString(k)}${sep}${write(x, indent, inner, sortKeys)}`).join(`,${nl}`)}${nl}${pad}}`;
}
