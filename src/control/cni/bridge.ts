/**
 * The bridge plugin (plugins/main/bridge): a Linux bridge on the node (cni0 by default), a veth pair per
 * container with its host end enslaved to the bridge (hairpin flag as configured), the IPAM plugin's
 * addresses and routes inside the pod, the gateway address on the bridge when isGateway (a default route
 * in the pod when isDefaultGateway), forwarding on, and with ipMasq a per-container nat chain
 * `CNI-<sha512(name+id)>` that masquerades the pod's traffic leaving its subnet. Order of operations,
 * result layout ([bridge, host veth, container veth], ips on interface 2) and messages follow bridge.go.
 */
import { isJsonObject } from '../../wire/json.js';
import { BridgeDev } from '../../net/bridge.js';
import { EthernetDev } from '../../net/netdev.js';
import { formatIpv4, parseIpv4, parseMac, prefixMask, type Ipv4 } from '../../wire/addr.js';
import { ipMasqChainName, ipMasqComment, setupIpMasq, teardownIpMasq } from './ipmasq.js';
import { configureIface, validateInterfaceIps, validateRoutes } from './ipam-apply.js';
import {
  addAddress,
  createVeth,
  deleteLink,
  ensureBridge,
  hairpinOf,
  macString,
  removeAddress,
  setHairpin,
  vethPeer,
} from './netlink.js';
import { parseCniArgs } from './host-local-config.js';
import { resultFromJson, type CniPlugin, type NetConf, type PluginCtx } from './plugin.js';
import {
  CniErrorCode,
  SUPPORTED_VERSIONS,
  cidrOf,
  dnsIsEmpty,
  fail,
  ok,
  type CniDns,
  type CniOutcome,
  type CniResult,
} from './types.js';

/** The reference plugin's default bridge name. */
export const DEFAULT_BRIDGE = 'cni0';

/** The bridge plugin's configuration keys (bridge.go NetConf) that podnet acts on. */
export interface BridgeConf {
  name: string;
  brName: string;
  isGw: boolean;
  isDefaultGw: boolean;
  forceAddress: boolean;
  ipMasq: boolean;
  mtu: number;
  hairpinMode: boolean;
  promiscMode: boolean;
  ipamType: string;
  dns: CniDns | undefined;
  mac: string | undefined;
}

/** bridge.go loadNetConf, with podnet's unsupported keys rejected as SPEC error 2. */
export function loadBridgeConf(conf: NetConf, cniArgs: string): CniOutcome<BridgeConf> {
  const flag = (k: string): boolean => conf[k] === true;
  for (const k of ['bridge', 'mtu', 'vlan']) {
    if (conf[k] !== undefined && typeof conf[k] !== (k === 'bridge' ? 'string' : 'number'))
      return fail(
        CniErrorCode.Internal,
        `failed to load netconf: json: cannot unmarshal ${typeof conf[k]} into Go struct field NetConf.${k}`,
      );
  }
  const vlan = (conf.vlan as number | undefined) ?? 0;
  if (vlan < 0 || vlan > 4094)
    return fail(CniErrorCode.Internal, `invalid VLAN ID ${vlan} (must be between 0 and 4094)`);
  // SPEC error 2: the message names the unsupported key and its value
  if (vlan !== 0)
    return fail(
      CniErrorCode.UnsupportedField,
      `unsupported field "vlan": ${vlan}`,
      "podnet's bridge does not filter VLANs",
    );
  if (conf.vlanTrunk !== undefined)
    return fail(
      CniErrorCode.UnsupportedField,
      `unsupported field "vlanTrunk": ${JSON.stringify(conf.vlanTrunk)}`,
      "podnet's bridge does not filter VLANs",
    );
  if (conf.macspoofchk === true)
    return fail(CniErrorCode.UnsupportedField, 'unsupported field "macspoofchk": true', 'podnet has no nftables');
  let mac: string | undefined = parseCniArgs(cniArgs).get('MAC');
  const args = conf.args;
  if (isJsonObject(args) && isJsonObject(args.cni) && typeof args.cni.mac === 'string' && args.cni.mac !== '')
    mac = args.cni.mac;
  if (isJsonObject(conf.runtimeConfig) && typeof conf.runtimeConfig.mac === 'string' && conf.runtimeConfig.mac !== '')
    mac = conf.runtimeConfig.mac;
  const ipam = isJsonObject(conf.ipam) ? conf.ipam : {};
  return ok({
    name: conf.name,
    brName: typeof conf.bridge === 'string' && conf.bridge !== '' ? conf.bridge : DEFAULT_BRIDGE,
    isGw: flag('isGateway') || flag('isDefaultGateway'),
    isDefaultGw: flag('isDefaultGateway'),
    forceAddress: flag('forceAddress'),
    ipMasq: flag('ipMasq'),
    mtu: (conf.mtu as number | undefined) ?? 0,
    hairpinMode: flag('hairpinMode'),
    promiscMode: flag('promiscMode'),
    ipamType: typeof ipam.type === 'string' ? ipam.type : '',
    dns: isJsonObject(conf.dns) ? (conf.dns as CniDns) : undefined,
    mac,
  });
}

/** Network address + 1 of an interface address (bridge.go calcGatewayIP). */
function calcGatewayIp(addr: Ipv4, len: number): Ipv4 {
  return (((addr & prefixMask(len)) >>> 0) + 1) >>> 0;
}

/** bridge.go ensureAddr: the gateway address on the bridge, once. */
function ensureAddr(ctx: PluginCtx, br: BridgeDev, gw: Ipv4, len: number, force: boolean): CniOutcome<void> {
  const want = `${formatIpv4(gw)}/${len}`;
  for (const a of [...br.addresses]) {
    if (a.addr === gw && a.len === len) return ok(undefined);
    // IPv4: one address per bridge unless forceAddress replaces it (plugins PR #366)
    if (!force) return fail(CniErrorCode.Internal, `"${br.name}" already has an IP address different from ${want}`);
    removeAddress(ctx.host.node, br.name, a);
  }
  return addAddress(ctx.host.node, br.name, { addr: gw, len });
}

function add(ctx: PluginCtx, conf: NetConf): CniOutcome<CniResult> {
  const l = loadBridgeConf(conf, ctx.args);
  if (!l.ok) return l;
  const n = l.value;
  if (n.hairpinMode && n.promiscMode)
    return fail(CniErrorCode.Internal, 'cannot set hairpin mode and promiscuous mode at the same time');
  const node = ctx.host.node;
  const br = ensureBridge(node, n.brName, n.mtu, ctx.host.rng, n.promiscMode);
  if (!br.ok) return fail(br.error.code, `failed to create bridge "${n.brName}": ${br.error.msg}`);
  const pod = ctx.host.podNode(ctx.containerId, ctx.netns);
  if (pod === undefined)
    return fail(
      CniErrorCode.Internal,
      `failed to open netns "${ctx.netns}": failed to Statfs "${ctx.netns}": no such file or directory`,
    );
  let contMac: number | undefined;
  if (n.mac !== undefined) {
    contMac = parseMac(n.mac);
    if (contMac === undefined) return fail(CniErrorCode.Internal, `invalid MAC address: ${n.mac}`);
  }
  const veth = createVeth(ctx.host, pod, ctx.netns, ctx.ifName, n.mtu, contMac);
  if (!veth.ok) return veth;
  br.value.enslave(veth.value.host);
  setHairpin(veth.value.host, n.hairpinMode);
  const result: CniResult = {
    cniVersion: conf.cniVersion,
    interfaces: [
      { name: br.value.name, mac: macString(br.value.mac) },
      { name: veth.value.host.name, mac: macString(veth.value.host.mac) },
      { name: veth.value.cont.name, mac: macString(veth.value.cont.mac), sandbox: ctx.netns },
    ],
  };
  if (n.ipamType !== '') {
    const r = ctx.invoke(n.ipamType, 'ADD', conf, ctx);
    if (!r.ok) return r;
    // from here on, a failure releases the addresses again (bridge.go's deferred ipam.ExecDel)
    const done = layer3(ctx, n, br.value, result, r.value);
    if (!done.ok) {
      ctx.invoke(n.ipamType, 'DEL', conf, ctx);
      return done;
    }
  } else {
    veth.value.cont.up = true;
  }
  if (!dnsIsEmpty(n.dns)) result.dns = n.dns;
  return ok(result);
}

function layer3(
  ctx: PluginCtx,
  n: BridgeConf,
  br: BridgeDev,
  result: CniResult,
  ipamOut: Record<string, unknown> | undefined,
): CniOutcome<void> {
  const ipam = resultFromJson(ipamOut);
  if (!ipam.ok) return ipam;
  result.ips = ipam.value.ips ?? [];
  result.routes = ipam.value.routes ?? [];
  if (ipam.value.dns !== undefined) result.dns = ipam.value.dns;
  if (result.ips.length === 0) return fail(CniErrorCode.Internal, 'IPAM plugin returned missing IP config');
  // calcGateways: every address is on the container interface (index 2); gateways default to .1
  const gws: { addr: Ipv4; len: number }[] = [];
  let defaultRouteFound = false;
  for (const ipc of result.ips) {
    const a = cidrOf(ipc.address)!;
    ipc.interface = 2;
    if (ipc.gateway === undefined && n.isGw) ipc.gateway = formatIpv4(calcGatewayIp(a.addr, a.len));
    if (n.isDefaultGw) {
      if (!defaultRouteFound)
        defaultRouteFound = result.routes.some((r) => r.gw !== undefined && r.dst === '0.0.0.0/0');
      if (!defaultRouteFound) {
        result.routes.push(ipc.gateway === undefined ? { dst: '0.0.0.0/0' } : { dst: '0.0.0.0/0', gw: ipc.gateway });
        defaultRouteFound = true;
      }
    }
    if (n.isGw && ipc.gateway !== undefined) gws.push({ addr: parseIpv4(ipc.gateway)!, len: a.len });
  }
  const pod = ctx.host.podNode(ctx.containerId, ctx.netns)!;
  const c = configureIface(pod, ctx.ifName, result);
  if (!c.ok) return c;
  if (n.isGw) {
    for (const gw of gws) {
      const e = ensureAddr(ctx, br, gw.addr, gw.len, n.forceAddress);
      if (!e.ok) return fail(e.error.code, `failed to set bridge addr: ${e.error.msg}`);
    }
    // ip.EnableIP4Forward
    if (gws.length > 0) ctx.host.node.config.forwarding = true;
  }
  if (n.ipMasq) {
    const chain = ipMasqChainName(n.name, ctx.containerId);
    const comment = ipMasqComment(n.name, ctx.containerId);
    for (const ipc of result.ips) {
      const s = setupIpMasq(ctx.host.node, cidrOf(ipc.address)!, chain, comment);
      if (!s.ok) return s;
    }
  }
  return ok(undefined);
}

function del(ctx: PluginCtx, conf: NetConf): CniOutcome<void> {
  const l = loadBridgeConf(conf, ctx.args);
  if (!l.ok) return l;
  const n = l.value;
  const ipamDel = (): CniOutcome<void> => {
    if (n.ipamType === '') return ok(undefined);
    const r = ctx.invoke(n.ipamType, 'DEL', conf, ctx);
    return r.ok ? ok(undefined) : r;
  };
  if (ctx.netns === '') return ipamDel();
  // DEL may come more than once, or after the namespace is gone: missing things are not errors
  const pod = ctx.host.podNode(ctx.containerId, ctx.netns);
  const addrs = pod === undefined ? [] : (deleteLink(pod, ctx.ifName) ?? []);
  const r = ipamDel();
  if (!r.ok) return r;
  if (n.ipamType !== '' && n.ipMasq) {
    const chain = ipMasqChainName(n.name, ctx.containerId);
    const comment = ipMasqComment(n.name, ctx.containerId);
    for (const a of addrs) teardownIpMasq(ctx.host.node, a, chain, comment);
  }
  return ok(undefined);
}

function check(ctx: PluginCtx, conf: NetConf, prev: CniResult | undefined): CniOutcome<void> {
  const l = loadBridgeConf(conf, ctx.args);
  if (!l.ok) return l;
  const n = l.value;
  const pod = ctx.host.podNode(ctx.containerId, ctx.netns);
  if (pod === undefined)
    return fail(
      CniErrorCode.Internal,
      `failed to open netns "${ctx.netns}": failed to Statfs "${ctx.netns}": no such file or directory`,
    );
  if (n.ipamType !== '') {
    const r = ctx.invoke(n.ipamType, 'CHECK', conf, ctx);
    if (!r.ok) return r;
  }
  if (prev === undefined) return fail(CniErrorCode.Internal, 'Required prevResult missing');
  const ifs = prev.interfaces ?? [];
  const brMap = ifs.find((i) => i.name === n.brName);
  const contMap = ifs.find((i) => i.name === ctx.ifName && i.sandbox === ctx.netns);
  const node = ctx.host.node;
  if (brMap === undefined || brMap.name === '') return fail(CniErrorCode.Internal, 'Interface name missing ');
  const br = node.dev(brMap.name);
  if (br === undefined) return fail(CniErrorCode.Internal, `Interface name ${brMap.name} not found`);
  if (brMap.sandbox !== undefined && brMap.sandbox !== '')
    return fail(CniErrorCode.Internal, `Interface ${brMap.name} should not be in sandbox`);
  if (!(br instanceof BridgeDev))
    return fail(CniErrorCode.Internal, `Interface ${brMap.name} does not have link type of bridge`);
  if (brMap.mac !== undefined && brMap.mac !== '' && brMap.mac !== macString(br.mac))
    return fail(CniErrorCode.Internal, `Bridge interface ${brMap.name} Mac doesn't match: ${brMap.mac}`);
  if (br.promiscuous !== n.promiscMode)
    return fail(
      CniErrorCode.Internal,
      `Bridge interface ${brMap.name} configured Promisc Mode ${n.promiscMode} doesn't match current state: ${br.promiscuous} `,
    );
  if (contMap === undefined)
    return fail(CniErrorCode.Internal, `Sandbox in prevResult  doesn't match configured netns: ${ctx.netns}`);
  const cont = pod.dev(contMap.name);
  if (cont === undefined) return fail(CniErrorCode.Internal, `Interface name ${contMap.name} not found`);
  const contPeer = vethPeer(cont);
  if (!(cont instanceof EthernetDev) || contPeer === undefined)
    return fail(CniErrorCode.Internal, `Error: Container interface ${contMap.name} not of type veth`);
  if (contMap.mac !== undefined && contMap.mac !== '' && contMap.mac !== macString(cont.mac))
    return fail(
      CniErrorCode.Internal,
      `Interface ${contMap.name} Mac ${contMap.mac} doesn't match container Mac: ${macString(cont.mac)}`,
    );
  const vethFound = ifs.some((i) => {
    if (i.name === brMap.name || i.name === contMap.name) return false;
    const d = node.dev(i.name);
    return (
      d !== undefined &&
      contPeer.node === node &&
      contPeer.dev === d &&
      d.master === br &&
      (i.mac === undefined || i.mac === '' || i.mac === macString(d.mac))
    );
  });
  if (!vethFound) return fail(CniErrorCode.Internal, `CNI veth created for bridge ${n.brName} was not found`);
  if (hairpinOf(contPeer.dev) !== n.hairpinMode)
    return fail(
      CniErrorCode.Internal,
      `hairpin mode of ${contPeer.dev.name} is ${hairpinOf(contPeer.dev) ? 'on' : 'off'}, configured ${n.hairpinMode ? 'on' : 'off'}`,
    );
  const ips = validateInterfaceIps(pod, ctx.ifName, prev);
  if (!ips.ok) return ips;
  return validateRoutes(pod, prev.routes ?? []);
}

/** The bridge plugin. */
export const bridgePlugin: CniPlugin = {
  type: 'bridge',
  supportedVersions: SUPPORTED_VERSIONS,
  add,
  del,
  check,
  status(ctx, conf) {
    const l = loadBridgeConf(conf, ctx.args);
    if (!l.ok) return l;
    if (l.value.ipamType === '') return ok(undefined);
    const r = ctx.invoke(l.value.ipamType, 'STATUS', conf, ctx);
    return r.ok ? ok(undefined) : r;
  },
  gc(ctx, conf) {
    const l = loadBridgeConf(conf, ctx.args);
    if (!l.ok) return l;
    if (l.value.ipamType === '') return ok(undefined);
    const r = ctx.invoke(l.value.ipamType, 'GC', conf, ctx);
    return r.ok ? ok(undefined) : r;
  },
};
