/**
 * resolv.conf(5) as glibc 2.36 reads it (resolv/res_init.c): `nameserver` (at most MAXNS = 3 kept),
 * `domain` and `search` (the last of them wins), and `options ndots:N timeout:N attempts:N rotate edns0
 * use-vc trust-ad single-request`, with glibc's limits (ndots <= 15, timeout <= 30 s, attempts <= 5).
 * Using it to resolve is resolver.ts's job. IPv6 nameservers are skipped (the emulated network is IPv4),
 * and without `search` or `domain` the list stays empty (glibc would take the host name's domain).
 */
import { parseIpv4, type Ipv4 } from '../../wire/addr.js';
import { checkName } from '../../wire/dns.js';

/** resolv.h MAXNS. */
export const RESOLV_MAXNS = 3;
/** resolv.h RES_MAXNDOTS. */
export const RESOLV_MAXNDOTS = 15;
/** resolv.h RES_MAXRETRANS (seconds). */
export const RESOLV_MAXRETRANS = 30;
/** resolv.h RES_MAXRETRY. */
export const RESOLV_MAXRETRY = 5;

/** The settings the stub resolver uses. */
export interface ResolvConf {
  readonly nameservers: readonly Ipv4[];
  /** Search domains, in order, without a trailing dot. */
  readonly search: readonly string[];
  /** Names with at least this many dots are tried as they are first (default 1). */
  readonly ndots: number;
  /** Seconds (RES_TIMEOUT, default 5). */
  readonly timeout: number;
  /** Rounds over all nameservers (RES_DFLRETRY, default 2). */
  readonly attempts: number;
  /** Start at a rotating nameserver (RES_ROTATE). */
  readonly rotate: boolean;
  /** Send EDNS0 (RES_USE_EDNS0) with glibc's 1200-byte buffer. */
  readonly edns0: boolean;
  /** Always use TCP (RES_USEVC). */
  readonly useVc: boolean;
  /** Set AD in queries and keep it in answers (RES_TRUSTAD). */
  readonly trustAd: boolean;
}

/** glibc's defaults, with 127.0.0.1 as the nameserver (res_init without any nameserver line). */
export const DEFAULT_RESOLV_CONF: ResolvConf = {
  nameservers: [0x7f000001],
  search: [],
  ndots: 1,
  timeout: 5,
  attempts: 2,
  rotate: false,
  edns0: false,
  useVc: false,
  trustAd: false,
};

/** Parses resolv.conf text. Unknown keywords and options are ignored, as glibc does. */
export function parseResolvConf(text: string): ResolvConf {
  const nameservers: Ipv4[] = [];
  let search: string[] = [];
  const o = { ...DEFAULT_RESOLV_CONF, nameservers: [] as Ipv4[] };
  for (const raw of text.split('\n')) {
    // res_init.c: a line starting with ';' or '#' is a comment; keywords must start the line
    if (raw.startsWith(';') || raw.startsWith('#')) continue;
    const words = raw
      .trim()
      .split(/[ \t]+/)
      .filter((w) => w !== '');
    const [key, ...args] = words;
    if (key === undefined || raw[0] === ' ' || raw[0] === '\t') continue;
    if (key === 'nameserver') {
      const ip = args[0] === undefined ? undefined : parseIpv4(args[0]);
      if (ip !== undefined && nameservers.length < RESOLV_MAXNS) nameservers.push(ip);
    } else if (key === 'domain') {
      search = args[0] === undefined ? [] : [trimDot(args[0])];
    } else if (key === 'search') {
      search = args.map(trimDot).filter((d) => d === '' || checkName(d) === undefined);
    } else if (key === 'options') {
      for (const opt of args) applyOption(o, opt);
    }
  }
  return { ...o, nameservers: nameservers.length > 0 ? nameservers : DEFAULT_RESOLV_CONF.nameservers, search };
}

function applyOption(o: { -readonly [K in keyof ResolvConf]: ResolvConf[K] }, opt: string): void {
  const num = (prefix: string): number | undefined => {
    if (!opt.startsWith(prefix)) return undefined;
    const m = /^[0-9]+/.exec(opt.slice(prefix.length));
    return m === null ? 0 : Number(m[0]);
  };
  const ndots = num('ndots:');
  if (ndots !== undefined) o.ndots = Math.min(ndots, RESOLV_MAXNDOTS);
  const timeout = num('timeout:');
  // timeout:0 is kept; send_dg then waits its minimum of one second
  if (timeout !== undefined) o.timeout = Math.min(timeout, RESOLV_MAXRETRANS);
  const attempts = num('attempts:');
  // glibc keeps attempts:0, and then sends nothing at all
  if (attempts !== undefined) o.attempts = Math.min(attempts, RESOLV_MAXRETRY);
  if (opt === 'rotate') o.rotate = true;
  if (opt === 'edns0') o.edns0 = true;
  if (opt === 'use-vc' || opt === 'usevc') o.useVc = true;
  if (opt === 'trust-ad') o.trustAd = true;
}

function trimDot(d: string): string {
  return d.endsWith('.') ? d.slice(0, -1) : d;
}

/**
 * The resolv.conf a kubelet writes into a pod with dnsPolicy ClusterFirst (pkg/kubelet/network/dns):
 * the cluster DNS service, the namespace's search path, then the host's, and ndots:5.
 */
export function podResolvConf(
  clusterDns: Ipv4,
  namespace: string,
  clusterDomain = 'cluster.local',
  hostSearch: readonly string[] = [],
): string {
  const ip = `${clusterDns >>> 24}.${(clusterDns >>> 16) & 0xff}.${(clusterDns >>> 8) & 0xff}.${clusterDns & 0xff}`;
  const search = [`${namespace}.svc.${clusterDomain}`, `svc.${clusterDomain}`, clusterDomain, ...hostSearch];
  return `search ${search.join(' ')}\nnameserver ${ip}\noptions ndots:5\n`;
}
