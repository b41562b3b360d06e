/**
 * The selectors of `ip addr show` and `ip link show` as iproute2 6.1 reads them
 * (ip/ipaddress.c ipaddr_list_flush_or_save): `to PREFIX`, `scope`, `up`, the address flags (`primary`,
 * `secondary`, `permanent`, `dynamic`, ..., each negated by a leading `-`), `label GLOB`, `group`,
 * `master DEV`, `nomaster`, `type KIND[_slave]`, and a device, bare or after `dev`. The views are
 * net/views.ts ipShow's. Errors in iproute2's words and exit statuses.
 */
import type { IpNode } from '../net/ip-node.js';
import { IFA_F_PERMANENT, IFA_F_SECONDARY, type IpShowOptions } from '../net/views.js';
import { IpError, SCOPE_NAMES, Words, invarg, parsePrefix, rtNameToNumber, strtoul } from './iproute2-args.js';

/** ifa_flag_data of iproute2 6.1: the flag names `ip addr show` filters by, and their IFA_F_* bits. */
const FLAG_BITS: Record<string, number> = {
  secondary: IFA_F_SECONDARY,
  temporary: IFA_F_SECONDARY,
  nodad: 0x02,
  optimistic: 0x04,
  dadfailed: 0x08,
  home: 0x10,
  deprecated: 0x20,
  tentative: 0x40,
  permanent: IFA_F_PERMANENT,
  mngtmpaddr: 0x100,
  noprefixroute: 0x200,
  autojoin: 0x400,
  'stable-privacy': 0x800,
};

/** get_filter: a flag word (`secondary`, `-permanent`, `primary`, `dynamic`) sets its bit in the filter. */
function flagWord(o: IpShowOptions, word: string): boolean {
  let inv = word.startsWith('-');
  let name = inv ? word.slice(1) : word;
  if (name === 'dynamic') {
    inv = !inv;
    name = 'permanent';
  } else if (name === 'primary') {
    inv = !inv;
    name = 'secondary';
  }
  const bit = FLAG_BITS[name];
  if (bit === undefined) return false;
  o.flags = inv ? (o.flags ?? 0) & ~bit : (o.flags ?? 0) | bit;
  o.flagMask = (o.flagMask ?? 0) | bit;
  return true;
}

/** What `ip addr|link show ARGS...` selects, or iproute2's error. */
export function parseIpShow(
  node: IpNode,
  args: readonly string[],
  ipv4Only: boolean,
  brief: boolean,
): IpShowOptions | { status: number; stdout: string } {
  const o: IpShowOptions = { ipv4Only, brief };
  const exists = (name: string): boolean => name === 'lo' || node.devs.some((d) => d.name === name);
  try {
    const words = new Words(args);
    const next = (): string => words.next();
    for (; words.more; words.i++) {
      const w = words.word;
      if (w === 'to') {
        const v = next();
        if (v.includes(':')) throw new IpError(255, `podnet: ${v} is an IPv6 prefix; IPv6 is not emulated`);
        const p = parsePrefix(v, o.ipv4Only === true ? 4 : 0);
        if (p === undefined)
          throw new IpError(
            1,
            `Error: ${o.ipv4Only === true ? 'inet' : 'any valid'} prefix is expected rather than "${v}".`,
          );
        o.prefix = { addr: p.addr, len: p.bitlen };
        // the prefix's family becomes the filter's: IPv4 from here on, as with -4
        if (p.family === 4) o.ipv4Only = true;
      } else if (w === 'scope') {
        const v = next();
        const s = rtNameToNumber(SCOPE_NAMES, v);
        if (s === undefined) {
          if (v !== 'all') throw invarg('invalid "scope"\n', v);
          delete o.scope;
        } else o.scope = s;
      } else if (w === 'up') o.up = true;
      else if (flagWord(o, w)) continue;
      else if (w === 'label') o.label = next();
      else if (w === 'group') {
        const v = next();
        const g = v === 'default' ? 0 : strtoul(v, 0);
        if (g === undefined || g > 0xffff_ffff) throw invarg('Invalid "group" value\n', v);
        o.group = g;
      } else if (w === 'master') {
        const v = next();
        if (!exists(v)) throw invarg('Device does not exist\n', v);
        o.master = v;
      } else if (w === 'vrf') {
        // podnet has no VRF devices
        throw invarg('Not a valid VRF name\n', next());
      } else if (w === 'nomaster') o.master = null;
      else if (w === 'type') {
        const v = next();
        if (v.endsWith('_slave')) o.slaveKind = v.slice(0, -'_slave'.length);
        else o.kind = v;
      } else {
        const v = w === 'dev' ? next() : w;
        if (o.dev !== undefined) throw new IpError(255, `Error: either "dev" is duplicate, or "${v}" is a garbage.`);
        o.dev = v;
      }
    }
  } catch (e) {
    if (e instanceof IpError) return { status: e.status, stdout: e.text };
    throw e;
  }
  if (o.dev !== undefined && !exists(o.dev)) return { status: 1, stdout: `Device "${o.dev}" does not exist.` };
  return o;
}
