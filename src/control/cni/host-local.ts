/**
 * The host-local IPAM plugin (plugins/ipam/host-local): one file per allocated address under
 * `<dataDir>/<network>/` holding "<containerID>\r\n<ifname>", `last_reserved_ip.<rangeset index>` for
 * round-robin allocation (the next ADD starts after the last address handed out, so a released address is
 * not reused until the whole range has been gone through), an error for a second ADD of the same
 * container and interface, and "no IP addresses available in range set" when the range is exhausted.
 * The files are the reference plugin's byte for byte, whether the store is a Map or the real disk.
 */
import { formatIpv4, parseIpv4, type Ipv4 } from '../../wire/addr.js';
import { joinPath, type CniStore } from './host.js';
import {
  loadHostLocalConfig,
  rangeFor,
  rangeSetString,
  type HostLocalConfig,
  type IpRange,
  type RangeSet,
} from './host-local-config.js';
import type { CniPlugin, NetConf, PluginCtx, ValidAttachment } from './plugin.js';
import {
  CniErrorCode,
  SUPPORTED_VERSIONS,
  fail,
  ok,
  type CniDns,
  type CniIpConfig,
  type CniOutcome,
  type CniResult,
} from './types.js';

const LAST_IP_PREFIX = 'last_reserved_ip.';
const LINE_BREAK = '\r\n';

/** host-local's disk store (backend/disk/backend.go) over a CniStore. */
export class HostLocalStore {
  readonly dir: string;

  constructor(
    private readonly fs: CniStore,
    dataDir: string,
    network: string,
  ) {
    this.dir = joinPath(dataDir, network);
    fs.mkdirp(this.dir);
    // disk.NewFileLock creates the lock file; its presence is part of the directory's look
    if (fs.read(joinPath(this.dir, 'lock')) === undefined) fs.write(joinPath(this.dir, 'lock'), '');
  }

  /** Creates the address's file for (id, ifname); false when the address is taken. */
  reserve(id: string, ifname: string, ip: Ipv4, rangeId: number): boolean {
    if (!this.fs.createExclusive(joinPath(this.dir, formatIpv4(ip)), id.trim() + LINE_BREAK + ifname)) return false;
    this.fs.write(joinPath(this.dir, LAST_IP_PREFIX + rangeId), formatIpv4(ip));
    return true;
  }

  /** The last address reserved in range set `rangeId`. */
  lastReservedIp(rangeId: number): Ipv4 | undefined {
    const t = this.fs.read(joinPath(this.dir, LAST_IP_PREFIX + rangeId));
    return t === undefined ? undefined : parseIpv4(t);
  }

  private matching(match: string): string[] {
    return this.fs.list(this.dir).filter((n) => (this.fs.read(joinPath(this.dir, n)) ?? '').trim() === match);
  }

  /** Addresses held by (id, ifname), or by id alone in files of older plugin versions. */
  getById(id: string, ifname: string): Ipv4[] {
    const match = id.trim() + LINE_BREAK + ifname;
    const old = id.trim();
    return this.fs
      .list(this.dir)
      .filter((n) => {
        const t = (this.fs.read(joinPath(this.dir, n)) ?? '').trim();
        return t === match || t === old;
      })
      .map((n) => parseIpv4(n))
      .filter((ip): ip is Ipv4 => ip !== undefined);
  }

  /** True when (id, ifname) holds any address. */
  findById(id: string, ifname: string): boolean {
    return this.matching(id.trim() + LINE_BREAK + ifname).length > 0 || this.matching(id.trim()).length > 0;
  }

  /** Releases what (id, ifname) holds (or, failing that, what id holds in old-style files). */
  releaseById(id: string, ifname: string): void {
    let names = this.matching(id.trim() + LINE_BREAK + ifname);
    if (names.length === 0) names = this.matching(id.trim());
    for (const n of names) this.fs.remove(joinPath(this.dir, n));
  }

  /** Address files whose holder is not among `valid` (GC). */
  releaseAllExcept(valid: readonly ValidAttachment[]): void {
    const keep = new Set(valid.map((a) => a.containerID.trim() + LINE_BREAK + a.ifname));
    for (const n of this.fs.list(this.dir)) {
      if (parseIpv4(n) === undefined) continue;
      const t = (this.fs.read(joinPath(this.dir, n)) ?? '').trim();
      if (!keep.has(t)) this.fs.remove(joinPath(this.dir, n));
    }
  }
}

/**
 * The round-robin iterator (allocator.go RangeIter): starts after last_reserved_ip when that lies in the
 * set, otherwise at the first range's start; skips gateways; gives up when it comes back where it began.
 */
function* iterate(set: RangeSet, last: Ipv4 | undefined): Generator<{ ip: Ipv4; range: IpRange }> {
  let idx = 0;
  let cur: Ipv4 | undefined;
  let start: Ipv4 | undefined;
  if (last !== undefined && rangeFor(set, last) !== undefined) {
    idx = set.findIndex((r) => r === rangeFor(set, last));
    cur = last;
  } else start = set[0]!.rangeStart;
  for (;;) {
    let r = set[idx]!;
    if (cur === undefined) {
      cur = r.rangeStart;
      start = cur;
    } else {
      if (cur === r.rangeEnd) {
        idx = (idx + 1) % set.length;
        r = set[idx]!;
        cur = r.rangeStart;
      } else cur = (cur + 1) >>> 0;
      if (start === undefined) start = cur;
      else if (cur === start) return;
    }
    if (cur === r.gateway) continue;
    yield { ip: cur, range: r };
  }
}

function ipConfig(ip: Ipv4, r: IpRange): CniIpConfig {
  return { address: `${formatIpv4(ip)}/${r.len}`, gateway: formatIpv4(r.gateway) };
}

/** IPAllocator.Get for range set `idx`. */
function allocate(
  store: HostLocalStore,
  set: RangeSet,
  idx: number,
  id: string,
  ifname: string,
  requested: Ipv4 | undefined,
): CniOutcome<CniIpConfig> {
  if (requested !== undefined) {
    const r = rangeFor(set, requested);
    if (r === undefined)
      return fail(CniErrorCode.Internal, `${formatIpv4(requested)} not in range set ${rangeSetString(set)}`);
    if (requested === r.gateway)
      return fail(CniErrorCode.Internal, `requested ip ${formatIpv4(requested)} is subnet's gateway`);
    if (!store.reserve(id, ifname, requested, idx))
      return fail(
        CniErrorCode.Internal,
        `requested IP address ${formatIpv4(requested)} is not available in range set ${rangeSetString(set)}`,
      );
    return ok(ipConfig(requested, r));
  }
  // SPEC: a second ADD for the same container and interface is an error
  for (const held of store.getById(id, ifname)) {
    if (rangeFor(set, held) !== undefined)
      return fail(
        CniErrorCode.Internal,
        `${formatIpv4(held)} has been allocated to ${id}, duplicate allocation is not allowed`,
      );
  }
  for (const { ip, range } of iterate(set, store.lastReservedIp(idx))) {
    if (store.reserve(id, ifname, ip, idx)) return ok(ipConfig(ip, range));
  }
  return fail(CniErrorCode.Internal, `no IP addresses available in range set: ${rangeSetString(set)}`);
}

/** resolv.conf as host-local's `resolvConf` option reads it (dns.go parseResolvConf). */
export function parseResolvConf(text: string): CniDns {
  const dns: CniDns = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const f = line.split(/\s+/);
    const key = f[0];
    const rest = f.slice(1);
    if (key === 'nameserver') (dns.nameservers ??= []).push(...rest);
    else if (key === 'domain') dns.domain = rest[0] ?? '';
    else if (key === 'search') dns.search = [...(dns.search ?? []), ...rest];
    else if (key === 'options') (dns.options ??= []).push(...rest);
  }
  return dns;
}

function load(ctx: PluginCtx, conf: NetConf): CniOutcome<{ cfg: HostLocalConfig; store: HostLocalStore }> {
  const c = loadHostLocalConfig(conf, ctx.args);
  if (!c.ok) return c;
  return ok({ cfg: c.value, store: new HostLocalStore(ctx.host.store, c.value.dataDir, c.value.name) });
}

/** The host-local IPAM plugin. */
export const hostLocalPlugin: CniPlugin = {
  type: 'host-local',
  supportedVersions: SUPPORTED_VERSIONS,

  add(ctx, conf) {
    const l = load(ctx, conf);
    if (!l.ok) return l;
    const { cfg, store } = l.value;
    const result: CniResult = { cniVersion: conf.cniVersion, ips: [] };
    if (cfg.resolvConf !== '') {
      const text = ctx.host.store.read(cfg.resolvConf);
      if (text === undefined) return fail(CniErrorCode.Internal, `open ${cfg.resolvConf}: no such file or directory`);
      result.dns = parseResolvConf(text);
    }
    const requested = [...cfg.ipArgs];
    const used: number[] = [];
    for (let idx = 0; idx < cfg.ranges.length; idx++) {
      const set = cfg.ranges[idx]!;
      const k = requested.findIndex((ip) => rangeFor(set, ip) !== undefined);
      const want = k >= 0 ? requested.splice(k, 1)[0] : undefined;
      const got = allocate(store, set, idx, ctx.containerId, ctx.ifName, want);
      if (!got.ok) {
        if (used.length > 0) store.releaseById(ctx.containerId, ctx.ifName);
        return fail(got.error.code, `failed to allocate for range ${idx}: ${got.error.msg}`);
      }
      used.push(idx);
      result.ips!.push(got.value);
    }
    if (requested.length > 0) {
      store.releaseById(ctx.containerId, ctx.ifName);
      return fail(
        CniErrorCode.Internal,
        `failed to allocate all requested IPs: ${requested.map(formatIpv4).join(' ')}`,
      );
    }
    if (cfg.routes.length > 0) result.routes = cfg.routes.map((r) => ({ ...r }));
    return ok(result);
  },

  del(ctx, conf) {
    const l = load(ctx, conf);
    if (!l.ok) return l;
    // the reference loops over the range sets, but each release already covers the whole directory
    l.value.store.releaseById(ctx.containerId, ctx.ifName);
    return ok(undefined);
  },

  check(ctx, conf) {
    const l = load(ctx, conf);
    if (!l.ok) return l;
    if (!l.value.store.findById(ctx.containerId, ctx.ifName))
      return fail(CniErrorCode.Internal, `host-local: Failed to find address added by container ${ctx.containerId}`);
    return ok(undefined);
  },

  status(ctx, conf) {
    const c = loadHostLocalConfig(conf, ctx.args);
    return c.ok ? ok(undefined) : c;
  },

  gc(ctx, conf, valid) {
    const l = load(ctx, conf);
    if (!l.ok) return l;
    l.value.store.releaseAllExcept(valid);
    return ok(undefined);
  },
};
