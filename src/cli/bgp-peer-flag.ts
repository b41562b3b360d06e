/**
 * `--bgp-peer ADDR[:PORT],as=N` of `podnet serve`: an outside BGP speaker (a ToR router, BIRD) that one
 * emulated node, or the cluster's route reflector, keeps a real session with over a real TCP socket. The
 * port defaults to BGP's 179 (RFC 4271 §2); any other port lets tests run without privileges. The flag may be
 * given more than once (one session per outside speaker).
 */
import { parseIpv4, type Ipv4 } from '../wire/addr.js';

/** One outside BGP peer, as the flag names it. */
export interface BgpPeerArg {
  address: Ipv4;
  port: number;
  /** The peer's AS: equal to the cluster's (64512 by default in Calico) makes the session iBGP. */
  asn: number;
}

/** BGP's well-known port (RFC 4271 §2). */
export const BGP_DEFAULT_PORT = 179;

/** Reads one flag value; a string says why it is wrong (serve turns it into a usage error, exit 2). */
export function parseBgpPeerArg(v: string): BgpPeerArg | string {
  const bad = (why: string): string =>
    `--bgp-peer takes ADDR[:PORT],as=N (e.g. 127.0.0.1:1791,as=64512): ${why}, got ${JSON.stringify(v)}`;
  const [hostPort = '', ...opts] = v.split(',');
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(hostPort);
  const address = m === null ? undefined : parseIpv4(m[1]!);
  if (m === null || address === undefined) return bad('the address must be an IPv4 address');
  const port = m[2] === undefined ? BGP_DEFAULT_PORT : Number(m[2]);
  if (!(port >= 1 && port <= 65535)) return bad('the port must be from 1 to 65535');
  let asn: number | undefined;
  for (const o of opts) {
    const kv = /^as=(\d{1,10})$/.exec(o);
    if (kv === null) return bad(`unknown option ${JSON.stringify(o)} (only as=N)`);
    if (asn !== undefined) return bad('as= given twice');
    asn = Number(kv[1]);
    // RFC 6793: AS numbers are 4 octets; 0 is reserved (RFC 7607)
    if (!(asn >= 1 && asn <= 0xffff_ffff)) return bad('the AS must be from 1 to 4294967295');
  }
  if (asn === undefined) return bad('as=N is required');
  return { address, port, asn };
}
