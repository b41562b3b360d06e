/**
 * A kube-router sync as the commands that load it: `ipset restore -exist` text (utils.BuildIPSetRestore:
 * per set options a TMP- set is filled, the real set created if missing and swapped with it), the
 * `iptables-restore --noflush` text of the filter table's kube-router chains, the jumps ensureTopLevelChains
 * inserts at position 1 of INPUT, FORWARD and OUTPUT, and the k3s fork's explicit ACCEPT after the last
 * KUBE rule of each built-in chain (ensureExplicitAccept).
 */
import { base32, sha1, utf8 } from '../../wire/digest.js';
import { BUILTIN_TO_KR, withRuleUuid } from './names.js';
import { commentMatch, MARK } from './iptables-words.js';
import type { KrSync } from './generator.js';
import type { KrIpset } from './types.js';

/** The options kube-router creates its sets with (RefreshSet: type, `timeout 0`). */
function setOptions(s: KrIpset): string {
  return `${s.type} timeout 0`;
}

/** The temporary set for one options string: TMP- + base32(sha1("tmp:" + options)[:10]). */
export function tmpSetName(options: string): string {
  return 'TMP-' + base32(sha1(utf8('tmp:' + options)).slice(0, 10));
}

/** BuildIPSetRestore's text for `sets` (sorted by name, as it sorts them). */
export function ipsetRestoreText(sets: readonly KrIpset[]): string {
  const tmp = new Map<string, string>();
  let out = '';
  for (const s of sets) {
    const opts = setOptions(s);
    let t = tmp.get(opts);
    if (t === undefined) {
      t = tmpSetName(opts);
      tmp.set(opts, t);
      out += `create ${t} ${opts}\nflush ${t}\n`;
    }
    for (const e of s.entries) out += `add ${t} ${e.join(' ')}\n`;
    out += `create ${s.name} ${opts}\nswap ${t} ${s.name}\nflush ${t}\n`;
  }
  for (const t of [...tmp.values()].sort()) out += `destroy ${t}\n`;
  return out;
}

/** The comment of the jump from a built-in chain (with ensureTopLevelChains' uuid). */
export function topLevelJump(builtin: string, chain: string): string {
  const comment = withRuleUuid(
    builtin,
    ['-m', 'comment', '--comment', 'kube-router netpol', '-j', chain],
    'kube-router netpol',
  );
  return `${commentMatch(comment)} -j ${chain}`;
}

/** The k3s fork's explicit ACCEPT of traffic a pod chain marked as complying. */
export const EXPLICIT_ACCEPT = `${commentMatch('KUBE-ROUTER rule to explicitly ACCEPT traffic that comply to network policies')} -m mark --mark ${MARK.comply} -j ACCEPT`;

/**
 * The filter table text for `iptables-restore --noflush`: every chain of the sync declared (and so
 * flushed) and filled, then the chains of earlier syncs in `stale` flushed and deleted.
 */
export function filterRestoreText(sync: KrSync, stale: readonly string[]): string {
  const lines = ['*filter'];
  for (const c of sync.chains) lines.push(`:${c} - [0:0]`);
  for (const c of sync.chains) lines.push(...(sync.rules.get(c) ?? []));
  for (const c of stale) lines.push(`-F ${c}`);
  for (const c of stale) lines.push(`-X ${c}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/**
 * What ensureTopLevelChains and ensureExplicitAccept add to the built-in chains, given each built-in
 * chain's rules as iptables-save prints them: the jump at position 1 when it is missing, and the ACCEPT
 * after the last rule that mentions KUBE when it is missing (`-I CHAIN N` lines for --noflush).
 */
export function builtinRulesText(builtin: ReadonlyMap<string, readonly string[]>): string {
  const lines = ['*filter'];
  for (const [b, kr] of BUILTIN_TO_KR) {
    const rules = [...(builtin.get(b) ?? [])];
    const jump = `-A ${b} ${topLevelJump(b, kr)}`;
    if (!rules.includes(jump)) {
      lines.push(`-I ${b} 1 ${topLevelJump(b, kr)}`);
      rules.unshift(jump);
    }
    if (rules.includes(`-A ${b} ${EXPLICIT_ACCEPT}`)) continue;
    let last = 0;
    rules.forEach((r, i) => {
      if (r.includes('KUBE')) last = i + 1;
    });
    lines.push(`-I ${b} ${last + 1} ${EXPLICIT_ACCEPT}`);
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}
