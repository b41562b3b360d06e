/**
 * One Felix iptables rule as data, and its two texts: the one Felix renders (felix/iptables/renderer.go
 * renderInner: `-A CHAIN -m comment --comment "cali:HASH" [-m comment --comment "..."]... MATCH ACTION`, with
 * match_builder.go's long options and actions.go's `--jump`/`--goto`/`--set-mark`), from which the `cali:`
 * rule hash is computed (generictables/rules.go RuleHashes), and the one `iptables-save` prints for it, which
 * is what a node's iptables holds: -s/-d/-i/-o/-p first (iptables-save's fixed order), the comments, the
 * other matches in order, `--dports` for `--destination-ports`, MARK as `--set-xmark V/M` in hex, `-j`/`-g`.
 * The save forms were checked against iptables-save 1.8.9 (nf_tables) in a network namespace.
 */
import { base64url, sha224, utf8 } from '../../wire/digest.js';

/** One match fragment, in Felix's rendering (`--source 10.0.0.0/8`, `-m set --match-set N src`). */
export type Fragment = string;

/** A rule: its matches, its action (Felix's text; absent for a rule that only carries a comment), comments. */
export interface FelixIptRule {
  match: readonly Fragment[];
  action?: string;
  comments?: readonly string[];
}

/** generictables.HashLength. */
const HASH_LENGTH = 16;
/** renderer.go maxIptablesCommentLength. */
const MAX_COMMENT = 256;

/** renderer.go escapeComment: anything but shell-safe characters becomes `_`; then cut to 256. */
export function escapeComment(s: string): string {
  return s.replace(/[^\w @%+=:,./-]/g, '_').slice(0, MAX_COMMENT);
}

function felixText(chain: string, r: FelixIptRule, hashFragment: string): string {
  const parts = ['-A', chain, hashFragment];
  for (const c of r.comments ?? []) parts.push(`-m comment --comment "${escapeComment(c)}"`);
  parts.push(...r.match);
  if (r.action !== undefined) parts.push(r.action);
  return parts.join(' ');
}

/**
 * Felix's rule hashes for `rules` in `chain` (generictables/rules.go RuleHashes): SHA-224 of the chain name,
 * then for each rule SHA-224(previous || rendered rule with HASH in place of the comment), URL-safe base64
 * cut to 16.
 */
export function felixRuleHashes(chain: string, rules: readonly FelixIptRule[]): string[] {
  let h = sha224(utf8(chain));
  return rules.map((r) => {
    const text = utf8(felixText(chain, r, 'HASH'));
    const buf = new Uint8Array(h.length + text.length);
    buf.set(h);
    buf.set(text, h.length);
    h = sha224(buf);
    return base64url(h).slice(0, HASH_LENGTH);
  });
}

const PROTO_NAMES: Record<string, string> = { '1': 'icmp', '4': 'ipencap', '6': 'tcp', '17': 'udp', '132': 'sctp' };

/** 0x-hex as iptables-save prints marks (`0x0`, `0x10000`). */
function hex(text: string): string {
  return `0x${(Number(text) >>> 0).toString(16)}`;
}

/** The iptables-save text of one rule with its hash comment. */
export function saveText(chain: string, r: FelixIptRule, hash: string): string {
  const front: Record<string, string> = {};
  const rest: string[] = [];
  for (const f of r.match) {
    const m = /^(! )?(--source|--destination|--in-interface|--out-interface|-p) (\S+)$/.exec(f);
    if (m !== null) {
      const short = { '--source': '-s', '--destination': '-d', '--in-interface': '-i', '--out-interface': '-o' }[
        m[2] as '--source'
      ];
      const value = m[2] === '-p' ? (PROTO_NAMES[m[3]!] ?? m[3]!) : m[3]!;
      const addr = (m[2] === '--source' || m[2] === '--destination') && !value.includes('/') ? `${value}/32` : value;
      front[m[2]!] = `${m[1] ?? ''}${short ?? '-p'} ${addr}`;
      continue;
    }
    rest.push(
      f
        .replace(/^-m multiport (! )?--destination-ports /, '-m multiport $1--dports ')
        .replace(/^-m multiport (! )?--source-ports /, '-m multiport $1--sports ')
        .replace(/^-m mark (! )?--mark (\w+)\/(\w+)$/, (_s, n: string | undefined, v: string, m2: string) => {
          return `-m mark ${n ?? ''}--mark ${hex(v)}/${hex(m2)}`;
        }),
    );
  }
  const parts = ['-A', chain];
  for (const k of ['--source', '--destination', '--in-interface', '--out-interface', '-p'])
    if (front[k] !== undefined) parts.push(front[k]);
  parts.push(`-m comment --comment "cali:${hash}"`);
  for (const c of r.comments ?? []) parts.push(`-m comment --comment "${escapeComment(c)}"`);
  parts.push(...rest);
  if (r.action !== undefined) {
    const mark = /^--jump MARK --set-mark (\w+)\/(\w+)$/.exec(r.action);
    if (mark !== null) parts.push(`-j MARK --set-xmark ${hex(mark[1]!)}/${hex(mark[2]!)}`);
    else parts.push(r.action.replace(/^--jump /, '-j ').replace(/^--goto /, '-g '));
  }
  return parts.join(' ');
}

/** Rendered chains by their Felix text: every node renders the same policy and profile chains again. */
const rendered = new Map<string, string[]>();

/** A chain's rules as iptables-save prints them, each with Felix's hash comment. */
export function renderChain(chain: string, rules: readonly FelixIptRule[]): string[] {
  const key = [chain, ...rules.map((r) => felixText(chain, r, 'HASH'))].join('\n');
  const known = rendered.get(key);
  if (known !== undefined) return known;
  const hashes = felixRuleHashes(chain, rules);
  const lines = rules.map((r, i) => saveText(chain, r, hashes[i]!));
  if (rendered.size > 100_000) rendered.clear();
  rendered.set(key, lines);
  return lines;
}

/** `--jump MARK --set-mark V/V` (actions.go SetMark). */
export function setMark(mark: number): string {
  return `--jump MARK --set-mark ${fmtHex(mark)}/${fmtHex(mark)}`;
}

/** `--jump MARK --set-mark 0/M` (actions.go ClearMark). */
export function clearMark(mark: number): string {
  return `--jump MARK --set-mark 0/${fmtHex(mark)}`;
}

/** `-m mark --mark B/B` (match_builder.go MarkSingleBitSet). */
export function markSet(mark: number): Fragment {
  return `-m mark --mark ${fmtHex(mark)}/${fmtHex(mark)}`;
}

/** `-m mark --mark 0/M` (MarkClear). */
export function markClear(mark: number): Fragment {
  return `-m mark --mark 0/${fmtHex(mark)}`;
}

/** Go's %#x. */
function fmtHex(n: number): string {
  return `0x${n.toString(16)}`;
}
