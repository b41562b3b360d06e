/**
 * The names Felix gives its policy chains and ipsets (Calico v3.31):
 * - chains: a fixed prefix and a suffix, hashed when too long for iptables' 28 characters
 *   (felix/hashutils/id.go GetLengthLimitedID: prefix + `_` + URL-safe base64 of SHA-256(suffix), cut to
 *   fit); a policy's suffix is `<tier>/<name>` (rules/policy.go PolicyChainName), a profile's its name, an
 *   endpoint's its interface (rules/endpoints.go EndpointChainName);
 * - policy groups (consecutive policies with one selector) get `cali-gi-`/`cali-go-` and a SHA3-224 of the
 *   group (rules/rule_defs.go PolicyGroup.UniqueID);
 * - selector ipsets: `cali40` + the selector's unique ID `s:` + base64(SHA-224("s:" + canonical text))
 *   (libcalico-go/lib/hash MakeUniqueID), cut to ipset's 31 characters (ipsets/ipset_defs.go);
 * - named-port ipsets: `cali40` + `n:` + base64(SHA-224("n:" + selectorID + "," + protocol + "," + port name))
 *   (felix/calc/rule_scanner.go IPSetData.UniqueID), cut to 31 the same way.
 * The mark bits are those Felix allocates from the default IptablesMarkMask 0xffff0000
 * (dataplane/driver.go: accept, pass, drop, scratch-0, scratch-1, in that order).
 */
import { base64url, sha224, sha256, sha3_224, utf8 } from '../../wire/digest.js';

/** iptables.MaxChainNameLength. */
export const MAX_CHAIN_NAME = 28;
/** ipsets.MaxIPSetNameLength. */
export const MAX_IPSET_NAME = 31;

/** The accept bit (policy allowed the packet). */
export const MARK_ACCEPT = 0x10000;
/** The pass bit (a Pass rule: skip to the profiles). */
export const MARK_PASS = 0x20000;
/** The drop bit (a Deny rule). */
export const MARK_DROP = 0x40000;
/** Scratch bit 0 (match blocks: all blocks passed). */
export const MARK_SCRATCH0 = 0x80000;
/** Scratch bit 1 (match blocks: this block passed). */
export const MARK_SCRATCH1 = 0x100000;
/** static.go allCalicoMarkBits: accept, pass, scratch-0, scratch-1. */
export const ALL_CALICO_MARKS = MARK_ACCEPT | MARK_PASS | MARK_SCRATCH0 | MARK_SCRATCH1;

/** hashutils.GetLengthLimitedID. */
export function lengthLimitedId(prefix: string, suffix: string, maxLength = MAX_CHAIN_NAME): string {
  const total = prefix.length + suffix.length;
  if (total > maxLength || (total === maxLength && suffix.startsWith('_'))) {
    const hash = base64url(sha256(utf8(suffix)));
    return prefix + '_' + hash.slice(0, maxLength - 1 - prefix.length);
  }
  return prefix + suffix;
}

/** `cali-pi-`/`cali-po-` + `<tier>/<name>`, hashed as Felix hashes it. */
export function policyChainName(prefix: 'cali-pi-' | 'cali-po-', tier: string, name: string): string {
  return lengthLimitedId(prefix, `${tier}/${name}`);
}

/** `cali-pri-`/`cali-pro-` + the profile's name. */
export function profileChainName(prefix: 'cali-pri-' | 'cali-pro-', profile: string): string {
  return lengthLimitedId(prefix, profile);
}

/** `cali-tw-`/`cali-fw-` + the interface. */
export function endpointChainName(prefix: 'cali-tw-' | 'cali-fw-', iface: string): string {
  return lengthLimitedId(prefix, iface);
}

/** Group IDs by the text hashed (one group serves many endpoints). */
const groupIds = new Map<string, string>();

/** rule_defs.go PolicyGroup.ChainName: `cali-gi-`/`cali-go-` + the group's unique ID. */
export function policyGroupChainName(
  direction: 'inbound' | 'outbound',
  tier: string,
  selector: string,
  policyNames: readonly string[],
): string {
  const prefix = direction === 'inbound' ? 'cali-gi-' : 'cali-go-';
  const text = [tier, selector, direction, String(policyNames.length), ...policyNames].map((s) => `${s}\n`).join('');
  let id = groupIds.get(text);
  if (id === undefined) {
    if (groupIds.size > 50_000) groupIds.clear();
    id = base64url(sha3_224(utf8(text))).slice(0, MAX_CHAIN_NAME - 'cali-gi-'.length);
    groupIds.set(text, id);
  }
  return prefix + id;
}

/** hash.MakeUniqueID: `<prefix>:` + URL-safe base64 (unpadded) of SHA-224(`<prefix>:<content>`). */
export function makeUniqueId(prefix: string, content: string): string {
  return `${prefix}:${base64url(sha224(utf8(`${prefix}:${content}`)))}`;
}

/** ipset_defs.go NameForMainIPSet: `cali40` + the set's ID, cut to 31 characters. */
function mainIpsetName(id: string): string {
  return ('cali40' + id).slice(0, MAX_IPSET_NAME);
}

/** The ipset of the endpoints a selector (in canonical text) matches: `cali40s:...`. */
export function selectorIpsetName(canonical: string): string {
  return mainIpsetName(makeUniqueId('s', canonical));
}

/**
 * The hash:ip,port ipset of a named port (`cali40n:...`): rule_scanner.go IPSetData.UniqueID, the selector's
 * unique ID (`s:...` of its canonical text; `all()` when the rule side has no selector), the protocol
 * (ipsetmember.Protocol.String: tcp, udp, sctp) and the port's name, joined by commas and hashed again.
 */
export function namedPortIpsetName(canonical: string, protocol: 'tcp' | 'udp' | 'sctp', port: string): string {
  return mainIpsetName(makeUniqueId('n', `${makeUniqueId('s', canonical)},${protocol},${port}`));
}
