/**
 * The calico CNI plugin's Linux dataplane (cni-plugin/pkg/dataplane/linux/dataplane_linux.go, k8s.go):
 * - the host veth is named `cali` + the first 11 hex digits of sha1("<namespace>.<pod>") (libcalico-go
 *   VethNameForWorkload); outside Kubernetes, `cali` + the first 11 characters of the container ID;
 * - the host end gets MAC ee:ee:ee:ee:ee:ee, no address, proxy_arp=1, neigh proxy_delay=0 (so the reply is
 *   immediate, which podnet's proxy ARP always is), forwarding=1, and is brought up;
 * - the pod's end (CNI_IFNAME) gets a random MAC (or the `cni.projectcalico.org/hwAddr` annotation), the
 *   address as a /32, the route `169.254.1.1 dev eth0 scope link` and `default via 169.254.1.1 dev eth0`:
 *   every packet leaves through the host, whose proxy ARP answers for 169.254.1.1;
 * - on the host, `<podIP> dev caliXXXX scope link` (SetupRoutes).
 * Addresses come from the IPAM plugin in the configuration (calico-ipam). DEL deletes the veth (and with
 * it the /32 route) and has the IPAM plugin release the handle. Felix's part (tunnels, block routes,
 * iptables) is control/calico/felix.ts's.
 */
import { isJsonObject } from '../../wire/json.js';
import { formatIpv4, parseMac, type Ipv4, type Mac } from '../../wire/addr.js';
import type { IpNode } from '../../net/ip-node.js';
import { NODENAME_MISSING, calicoEnvOf } from './calico-env.js';
import { parseCniArgs } from './host-local-config.js';
import { DEFAULT_MTU, deleteLink, keepLoopbackLast, macString, markVeth, randomMac } from './netlink.js';
import { resultFromJson, type CniPlugin, type NetConf, type PluginCtx } from './plugin.js';
import { hex, sha1, utf8 } from '../../wire/digest.js';
import { CniErrorCode, SUPPORTED_VERSIONS, cidrOf, fail, ok, type CniOutcome, type CniResult } from './types.js';

/** The MAC of every host-side cali veth (dataplane_linux.go hostSideMAC). */
export const CALI_HOST_MAC: Mac = 0xee_ee_ee_ee_ee_ee;
/** The pod's gateway: a link-local address nobody has, answered by the host's proxy ARP. */
export const CALICO_POD_GATEWAY: Ipv4 = 0xa9_fe_01_01;
/** Felix's default interface prefix (FELIX_INTERFACEPREFIX). */
export const CALI_PREFIX = 'cali';

/** VethNameForWorkload: the prefix (`cali`) + the first 11 hex digits of sha1("<namespace>.<pod>"). */
export function calicoVethName(namespace: string, pod: string, prefix = CALI_PREFIX): string {
  return `${prefix}${hex(sha1(utf8(`${namespace}.${pod}`))).slice(0, 11)}`;
}

/** The host veth's name for a call: from the pod's identity, or the container ID outside Kubernetes. */
function hostVethName(ctx: PluginCtx): string {
  const a = parseCniArgs(ctx.args);
  const ns = a.get('K8S_POD_NAMESPACE');
  const pod = a.get('K8S_POD_NAME');
  if (ns !== undefined && ns !== '' && pod !== undefined && pod !== '') return calicoVethName(ns, pod);
  return `${CALI_PREFIX}${ctx.containerId.slice(0, 11)}`;
}

function mtuOf(conf: NetConf): number {
  return typeof conf.mtu === 'number' && conf.mtu > 0 ? conf.mtu : DEFAULT_MTU;
}

function ipamType(conf: NetConf): string {
  return isJsonObject(conf.ipam) && typeof conf.ipam.type === 'string' ? conf.ipam.type : '';
}

/** The pod's MAC: the hwAddr annotation when the pod has one, else a random one (the kernel's). */
function podMac(ctx: PluginCtx): CniOutcome<Mac> {
  const env = calicoEnvOf(ctx.host);
  const a = parseCniArgs(ctx.args);
  const want = env?.annotations?.(a.get('K8S_POD_NAMESPACE') ?? '', a.get('K8S_POD_NAME') ?? '')?.[
    'cni.projectcalico.org/hwAddr'
  ];
  if (want === undefined) return ok(randomMac(ctx.host.rng));
  const m = parseMac(want);
  if (m === undefined)
    return fail(
      CniErrorCode.Internal,
      `failed to parse MAC address ${want} provided via cni.projectcalico.org/hwAddr: address ${want}: invalid MAC address`,
    );
  return ok(m);
}

/** DoWorkloadNetnsSetUp + SetupRoutes for one IPv4 address. */
function wire(ctx: PluginCtx, pod: IpNode, hostName: string, ip: Ipv4, mtu: number, mac: Mac): CniOutcome<void> {
  const node = ctx.host.node;
  // an old host veth of the same name is deleted first (a pod recreated with the same name)
  if (node.dev(hostName) !== undefined) deleteLink(node, hostName);
  if (pod.dev(ctx.ifName) !== undefined)
    return fail(CniErrorCode.Internal, `container veth name provided (${ctx.ifName}) already exists`);
  const cont = pod.addNic(ctx.ifName, mac, mtu);
  const host = node.addNic(hostName, CALI_HOST_MAC, mtu);
  ctx.host.network.connect(cont.port, host.port, { latency: 0, bandwidth: 0, mtu, queueLimit: 1000, loss: 0 });
  markVeth(cont, host, ctx.netns);
  keepLoopbackLast(pod);
  // configureSysctls: ip_forward, proxy_arp, proxy_delay=0 (route_localnet has no model here)
  node.config.forwarding = true;
  host.proxyArp = true;
  host.up = true;
  cont.up = true;
  pod.addAddress(ctx.ifName, { addr: ip, len: 32 });
  pod.routes.add({ dst: CALICO_POD_GATEWAY, len: 32, dev: ctx.ifName, scope: 'link' });
  pod.routes.add({ dst: 0, len: 0, via: CALICO_POD_GATEWAY, dev: ctx.ifName });
  node.routes.add({ dst: ip, len: 32, dev: hostName, scope: 'link' });
  return ok(undefined);
}

function add(ctx: PluginCtx, conf: NetConf): CniOutcome<CniResult> {
  if (calicoEnvOf(ctx.host) === undefined) return fail(CniErrorCode.Internal, NODENAME_MISSING);
  const pod = ctx.host.podNode(ctx.containerId, ctx.netns);
  if (pod === undefined)
    return fail(
      CniErrorCode.Internal,
      `failed to open netns "${ctx.netns}": failed to Statfs "${ctx.netns}": no such file or directory`,
    );
  const type = ipamType(conf);
  if (type === '') return fail(CniErrorCode.InvalidNetworkConfig, "IPAM config missing 'type' key");
  const r = ctx.invoke(type, 'ADD', conf, ctx);
  if (!r.ok) return r;
  const ipam = resultFromJson(r.value);
  if (!ipam.ok) return ipam;
  const release = (): void => void ctx.invoke(type, 'DEL', conf, ctx);
  const v4 = (ipam.value.ips ?? []).map((c) => cidrOf(c.address)).filter((c) => c !== undefined);
  if (v4.length === 0) {
    release();
    return fail(CniErrorCode.Internal, 'IPAM plugin returned missing IP config');
  }
  const mac = podMac(ctx);
  if (!mac.ok) {
    release();
    return mac;
  }
  const hostName = hostVethName(ctx);
  const mtu = mtuOf(conf);
  for (const a of v4) {
    const w = wire(ctx, pod, hostName, a.addr, mtu, mac.value);
    if (!w.ok) {
      release();
      return w;
    }
  }
  return ok({
    cniVersion: conf.cniVersion,
    interfaces: [{ name: hostName }, { name: ctx.ifName, mac: macString(mac.value), mtu, sandbox: ctx.netns }],
    // the masks are the pod's (/32), as DoWorkloadNetnsSetUp rewrites them; every address is on interface 1
    ips: v4.map((a) => ({ address: `${formatIpv4(a.addr)}/32`, interface: 1 })),
    routes: ipam.value.routes ?? [],
    ...(ipam.value.dns === undefined ? {} : { dns: ipam.value.dns }),
  });
}

function del(ctx: PluginCtx, conf: NetConf): CniOutcome<void> {
  if (calicoEnvOf(ctx.host) === undefined) return fail(CniErrorCode.Internal, NODENAME_MISSING);
  // the host veth goes with the namespace's end; its /32 route goes with the device
  const pod = ctx.netns === '' ? undefined : ctx.host.podNode(ctx.containerId, ctx.netns);
  if (pod !== undefined) deleteLink(pod, ctx.ifName);
  const node = ctx.host.node;
  const hostName = hostVethName(ctx);
  if (node.dev(hostName) !== undefined) deleteLink(node, hostName);
  const type = ipamType(conf);
  if (type === '') return ok(undefined);
  const r = ctx.invoke(type, 'DEL', conf, ctx);
  return r.ok ? ok(undefined) : r;
}

function check(ctx: PluginCtx, conf: NetConf, prev: CniResult | undefined): CniOutcome<void> {
  void conf;
  if (prev === undefined) return fail(CniErrorCode.Internal, 'Required prevResult missing');
  const pod = ctx.host.podNode(ctx.containerId, ctx.netns);
  const hostName = hostVethName(ctx);
  if (pod?.dev(ctx.ifName) === undefined) return fail(CniErrorCode.Internal, `Interface name ${ctx.ifName} not found`);
  if (ctx.host.node.dev(hostName) === undefined)
    return fail(CniErrorCode.Internal, `Interface name ${hostName} not found`);
  for (const ipc of prev.ips ?? []) {
    const a = cidrOf(ipc.address);
    if (a !== undefined && ctx.host.node.routes.lookup(a.addr)?.dev !== hostName)
      return fail(CniErrorCode.Internal, `route to ${formatIpv4(a.addr)} not via ${hostName}`);
  }
  return ok(undefined);
}

/** The calico plugin. */
export const calicoPlugin: CniPlugin = {
  type: 'calico',
  supportedVersions: SUPPORTED_VERSIONS,
  add,
  del,
  check,
  status(ctx) {
    return calicoEnvOf(ctx.host) === undefined
      ? fail(CniErrorCode.PluginNotAvailable, 'calico is not ready', NODENAME_MISSING)
      : ok(undefined);
  },
};
