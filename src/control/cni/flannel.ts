/**
 * The flannel meta-plugin (flannel-io/cni-plugin flannel.go, flannel_linux.go): reads flanneld's
 * /run/flannel/subnet.env, builds a delegate configuration (by default bridge with isGateway true,
 * ipMasq = !FLANNEL_IPMASQ, mtu = FLANNEL_MTU, host-local IPAM over this node's subnet with a route to
 * the whole flannel network), saves it as /var/lib/cni/flannel/<containerID> and runs it; DEL runs the
 * delegate again from that saved file, so it works even if subnet.env changed or vanished meanwhile.
 * Keys set in the conflist's "delegate" (hairpinMode, isDefaultGateway, ...) pass through.
 */
import { isJsonArray, isJsonObject } from '../../wire/json.js';
import { formatIpv4 } from '../../wire/addr.js';
import { goJson } from './go-format.js';
import { joinPath } from './host.js';
import { resultFromJson, type CniPlugin, type NetConf, type PluginCtx } from './plugin.js';
import {
  CniErrorCode,
  SUPPORTED_VERSIONS,
  cidrOf,
  fail,
  networkOf,
  ok,
  type CniOutcome,
  type CniResult,
} from './types.js';

/** Where flanneld writes its lease for CNI. */
export const DEFAULT_SUBNET_FILE = '/run/flannel/subnet.env';
/** Where the plugin keeps each container's delegate configuration for DEL. */
export const DEFAULT_FLANNEL_DATA_DIR = '/var/lib/cni/flannel';

/** The contents of subnet.env (IPv4 keys). */
export interface SubnetEnv {
  /** FLANNEL_NETWORK: the cluster network(s), masked ("10.42.0.0/16"). */
  networks: string[];
  /** FLANNEL_SUBNET as a network ("10.42.0.0/24": Go's ParseCIDR drops the .1). */
  subnet: string;
  mtu: number;
  ipMasq: boolean;
}

/** Parses subnet.env text; `file` names it in errors ("<file> is missing FLANNEL_MTU"). */
export function parseSubnetEnv(text: string, file: string): CniOutcome<SubnetEnv> {
  let networks: string[] | undefined;
  let subnet: string | undefined;
  let mtu: number | undefined;
  let ipMasq: boolean | undefined;
  const cidr = (s: string): string | undefined => {
    const c = networkOf(s.trim());
    return c === undefined || cidrOf(s.trim()) === undefined ? undefined : `${formatIpv4(c.addr)}/${c.len}`;
  };
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    const value = eq < 0 ? '' : line.slice(eq + 1).replace(/\r$/, '');
    switch (key) {
      case 'FLANNEL_NETWORK': {
        const list = value.split(',').map(cidr);
        if (list.some((x) => x === undefined)) return fail(CniErrorCode.Internal, `invalid CIDR address: ${value}`);
        networks = list as string[];
        break;
      }
      case 'FLANNEL_SUBNET': {
        const c = cidr(value);
        if (c === undefined) return fail(CniErrorCode.Internal, `invalid CIDR address: ${value}`);
        subnet = c;
        break;
      }
      case 'FLANNEL_MTU':
        if (!/^[0-9]+$/.test(value) || Number(value) > 0xffff_ffff)
          return fail(CniErrorCode.Internal, `strconv.ParseUint: parsing ${JSON.stringify(value)}: invalid syntax`);
        mtu = Number(value);
        break;
      case 'FLANNEL_IPMASQ':
        ipMasq = value === 'true';
        break;
    }
  }
  const missing: string[] = [];
  if (networks === undefined) missing.push('FLANNEL_NETWORK', 'FLANNEL_IPV6_NETWORK');
  if (subnet === undefined) missing.push('FLANNEL_SUBNET', 'FLANNEL_IPV6_SUBNET');
  if (mtu === undefined) missing.push('FLANNEL_MTU');
  if (ipMasq === undefined) missing.push('FLANNEL_IPMASQ');
  if (missing.length > 0) return fail(CniErrorCode.Internal, `${file} is missing ${missing.join(', ')}`);
  return ok({ networks: networks!, subnet: subnet!, mtu: mtu!, ipMasq: ipMasq! });
}

function files(conf: NetConf): { subnetFile: string; dataDir: string } {
  return {
    subnetFile: typeof conf.subnetFile === 'string' && conf.subnetFile !== '' ? conf.subnetFile : DEFAULT_SUBNET_FILE,
    dataDir: typeof conf.dataDir === 'string' && conf.dataDir !== '' ? conf.dataDir : DEFAULT_FLANNEL_DATA_DIR,
  };
}

function readSubnetEnv(ctx: PluginCtx, file: string): CniOutcome<SubnetEnv> {
  const text = ctx.host.store.read(file);
  if (text === undefined) return fail(CniErrorCode.Internal, `open ${file}: no such file or directory`);
  return parseSubnetEnv(text, file);
}

/** The delegate configuration flannel builds for ADD (doCmdAdd + getDelegateIPAM). */
export function buildDelegate(conf: NetConf, env: SubnetEnv): CniOutcome<Record<string, unknown>> {
  const d: Record<string, unknown> = isJsonObject(conf.delegate) ? { ...conf.delegate } : {};
  if ('type' in d && typeof d.type !== 'string')
    return fail(CniErrorCode.Internal, "'delegate' dictionary, if present, must have (string) 'type' field");
  if ('name' in d)
    return fail(CniErrorCode.Internal, "'delegate' dictionary must not have 'name' field, it'll be set by flannel");
  if ('ipam' in d)
    return fail(CniErrorCode.Internal, "'delegate' dictionary must not have 'ipam' field, it'll be set by flannel");
  if (isJsonObject(conf.runtimeConfig)) d.runtimeConfig = conf.runtimeConfig;
  d.name = conf.name;
  if (!('type' in d)) d.type = 'bridge';
  // if flanneld masquerades (FLANNEL_IPMASQ=true), the bridge must not
  if (!('ipMasq' in d)) d.ipMasq = !env.ipMasq;
  if (!('mtu' in d)) d.mtu = env.mtu;
  if (d.type === 'bridge' && !('isGateway' in d)) d.isGateway = true;
  if (conf.cniVersion !== '') d.cniVersion = conf.cniVersion;
  const ipam: Record<string, unknown> = isJsonObject(conf.ipam) ? { ...conf.ipam } : {};
  if (!('type' in ipam)) ipam.type = 'host-local';
  ipam.ranges = [[{ subnet: env.subnet }]];
  const routes = isJsonArray(ipam.routes) ? [...ipam.routes] : [];
  for (const nw of env.networks) routes.push({ dst: nw });
  ipam.routes = routes;
  d.ipam = ipam;
  return ok(d);
}

function add(ctx: PluginCtx, conf: NetConf): CniOutcome<CniResult> {
  const { subnetFile, dataDir } = files(conf);
  const env = readSubnetEnv(ctx, subnetFile);
  if (!env.ok) return env;
  const d = buildDelegate(conf, env.value);
  if (!d.ok) return d;
  // saved before the delegate runs, as Go's json.Marshal writes it (keys sorted), for DEL
  ctx.host.store.mkdirp(dataDir);
  ctx.host.store.write(joinPath(dataDir, ctx.containerId), goJson(d.value));
  const r = ctx.invoke(d.value.type as string, 'ADD', d.value, ctx);
  if (!r.ok) return fail(r.error.code, `failed to delegate add: ${r.error.msg}`, r.error.details);
  return resultFromJson(r.value);
}

function del(ctx: PluginCtx, conf: NetConf): CniOutcome<void> {
  const { dataDir } = files(conf);
  const path = joinPath(dataDir, ctx.containerId);
  const saved = ctx.host.store.read(path);
  // per spec: already gone is fine
  if (saved === undefined) return ok(undefined);
  let d: unknown;
  try {
    d = JSON.parse(saved);
  } catch {
    // the interface stays on the bridge until the node reboots, as with the reference plugin
    return ok(undefined);
  }
  if (!isJsonObject(d) || typeof d.type !== 'string') return ok(undefined);
  const r = ctx.invoke(d.type, 'DEL', d, ctx);
  if (!r.ok) return r;
  ctx.host.store.remove(path);
  return ok(undefined);
}

/** The flannel meta-plugin. */
export const flannelPlugin: CniPlugin = {
  type: 'flannel',
  supportedVersions: SUPPORTED_VERSIONS,
  add,
  del,
  // the reference plugin's CHECK is a TODO that succeeds
  check: () => ok(undefined),
  status(ctx, conf) {
    // podnet's answer: no subnet.env means flanneld has not got a lease yet (flannel#2253)
    const { subnetFile } = files(conf);
    const env = readSubnetEnv(ctx, subnetFile);
    return env.ok ? ok(undefined) : fail(CniErrorCode.PluginNotAvailable, 'flannel is not ready', env.error.msg);
  },
};
