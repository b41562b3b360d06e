/**
 * iptables as the CNI plugins drive it (through go-iptables): create and delete chains, append, insert,
 * delete and check rules in a node's ruleset. Rules are written in the canonical form `iptables-save`
 * prints them (`-s 10.99.0.2/32 -m comment --comment "..." -j CNI-...`), so podnet's tables can be compared
 * line for line with a real kernel's. The rule model and packet matching belong to net/netfilter.
 */
import type { IpNode } from '../../net/ip-node.js';
import { BUILTIN_CHAINS, type Chain, type Rule, type TableName } from '../../net/netfilter/rules.js';
import { parseRule, tokenize } from '../../net/netfilter/rule-parse.js';
import { CniErrorCode, fail, ok, type CniOutcome } from './types.js';

function table(node: IpNode, t: TableName): Map<string, Chain> {
  return node.enableNetfilter().ruleset[t];
}

/** True when `chain` exists in table `t`. */
export function chainExists(node: IpNode, t: TableName, chain: string): boolean {
  return node.netfilter !== undefined && node.netfilter.ruleset[t].has(chain);
}

/** `iptables -t T -N CHAIN` unless it exists (go-iptables ClearChain without the flush). */
export function ensureChain(node: IpNode, t: TableName, chain: string): void {
  const tb = table(node, t);
  if (!tb.has(chain)) tb.set(chain, { name: chain, policy: undefined, rules: [], packets: 0, bytes: 0 });
}

/**
 * Builds a rule of `chain` from its iptables-save text (without "-A CHAIN"). `-m multiport --dports a,b`
 * is read here: the rule model holds one port range, so a list of several ports leaves the port match to
 * the rules of the chain it jumps to (portmap's per-container chain matches each port again).
 */
export function makeRule(t: TableName, chain: string, spec: string): CniOutcome<Rule> {
  const words = tokenize(spec);
  if (words === undefined) return fail(CniErrorCode.Internal, `bad iptables rule: unterminated quote in ${spec}`);
  let ports: number[] | undefined;
  const kept: string[] = [];
  for (let i = 0; i < words.length; i++) {
    if (words[i] === '-m' && words[i + 1] === 'multiport') {
      i++;
      continue;
    }
    if (words[i] === '--dports' || words[i] === '--destination-ports') {
      ports = (words[++i] ?? '').split(',').map(Number);
      continue;
    }
    kept.push(words[i]!);
  }
  const r = parseRule(kept, `-A ${chain} ${spec}`, t);
  if (typeof r === 'string') return fail(CniErrorCode.Internal, `bad iptables rule "${spec}": ${r}`);
  if (ports !== undefined && ports.length === 1 && Number.isInteger(ports[0]))
    r.dport = { lo: ports[0]!, hi: ports[0]!, neg: false };
  return ok(r);
}

/** `iptables -t T -A CHAIN spec`; the chain must exist. */
export function appendRule(node: IpNode, t: TableName, chain: string, spec: string): CniOutcome<void> {
  return insertAt(node, t, chain, spec, -1);
}

/** `iptables -t T -I CHAIN POS spec` (POS 1-based). */
export function insertRule(node: IpNode, t: TableName, chain: string, pos: number, spec: string): CniOutcome<void> {
  return insertAt(node, t, chain, spec, pos - 1);
}

function insertAt(node: IpNode, t: TableName, chain: string, spec: string, at: number): CniOutcome<void> {
  const c = table(node, t).get(chain);
  if (c === undefined)
    return fail(
      CniErrorCode.Internal,
      `running [iptables -t ${t} -A ${chain} ${spec}]: exit status 1: iptables: No chain/target/match by that name.`,
    );
  const r = makeRule(t, chain, spec);
  if (!r.ok) return r;
  if (at < 0 || at >= c.rules.length) c.rules.push(r.value);
  else c.rules.splice(at, 0, r.value);
  return ok(undefined);
}

/** `iptables -C`: true when the chain holds a rule written exactly `spec`. */
export function ruleExists(node: IpNode, t: TableName, chain: string, spec: string): boolean {
  const c = node.netfilter?.ruleset[t].get(chain);
  return c !== undefined && c.rules.some((r) => r.text === `-A ${chain} ${spec}`);
}

/** Appends `spec` unless an identical rule exists (go-iptables AppendUnique). */
export function appendUnique(node: IpNode, t: TableName, chain: string, spec: string): CniOutcome<void> {
  return ruleExists(node, t, chain, spec) ? ok(undefined) : appendRule(node, t, chain, spec);
}

/** `iptables -D CHAIN spec`: deletes the first identical rule; false when none matched. */
export function deleteRule(node: IpNode, t: TableName, chain: string, spec: string): boolean {
  const c = node.netfilter?.ruleset[t].get(chain);
  if (c === undefined) return false;
  const i = c.rules.findIndex((r) => r.text === `-A ${chain} ${spec}`);
  if (i < 0) return false;
  c.rules.splice(i, 1);
  return true;
}

/** Deletes every rule (in any chain of `t`) that jumps to `chain`. */
export function deleteJumpsTo(node: IpNode, t: TableName, chain: string): void {
  const tb = node.netfilter?.ruleset[t];
  if (tb === undefined) return;
  for (const c of tb.values())
    c.rules = c.rules.filter(
      (r) => !((r.target?.kind === 'JUMP' || r.target?.kind === 'GOTO') && r.target.chain === chain),
    );
}

/** `iptables -F CHAIN; iptables -X CHAIN` (go-iptables ClearAndDeleteChain); missing chains are fine. */
export function clearAndDeleteChain(node: IpNode, t: TableName, chain: string): void {
  if (BUILTIN_CHAINS[t].includes(chain)) return;
  node.netfilter?.ruleset[t].delete(chain);
}

/**
 * Table `t` as `iptables-save -t T` prints it, without the comment lines and with zero counters: built-in
 * chains first, then user chains sorted by name (the order iptables-nft prints), then the rules.
 */
export function saveTable(node: IpNode, t: TableName): string {
  const tb = node.netfilter?.ruleset[t];
  const builtins = BUILTIN_CHAINS[t];
  const lines = [`*${t}`];
  const chains: Chain[] = [];
  for (const b of builtins) chains.push(tb?.get(b) ?? { name: b, policy: 'ACCEPT', rules: [], packets: 0, bytes: 0 });
  if (tb !== undefined)
    chains.push(
      ...[...tb.values()]
        .filter((c) => !builtins.includes(c.name))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    );
  for (const c of chains) lines.push(`:${c.name} ${c.policy ?? '-'} [0:0]`);
  for (const c of chains) for (const r of c.rules) lines.push(r.text);
  lines.push('COMMIT');
  return lines.join('\n') + '\n';
}
