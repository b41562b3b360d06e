/**
 * Validation of a lab's nodes: hosts and routers (their devices are checked in lab-devices.ts), switches
 * with access and trunk ports, and hubs. Links are lab-links.ts's.
 */
import { parseIptablesSave } from '../net/netfilter/iptables-restore.js';
import { formatPath, type Checker, type SpecPath } from './source.js';
import { parseDuration } from './units.js';
import {
  checkBridge,
  checkDns,
  checkHttp,
  checkInterface,
  checkIpip,
  checkVlan,
  checkRoute,
  checkStp,
  checkUdpEncap,
  checkVxlan,
  NAME,
} from './lab-devices.js';
import type { InterfaceSpec, NodeSpec, SwitchPortSpec, VlanSpec } from './lab-types.js';

export { NAME } from './lab-devices.js';
export { checkLink, checkLinkProps, parseEnd } from './lab-links.js';

/** net.ipv4.tcp_congestion_control: the algorithm new TCP connections of the node use. */
const TCP_CC = 'net.ipv4.tcp_congestion_control';
/** The sysctls a host or router may set (`sysctl: { NAME: VALUE }`), with Linux's names. */
const SYSCTLS = [TCP_CC] as const;
/** The congestion control algorithms podnet has (Linux's names; cubic is the default). */
const TCP_CONGESTION_NAMES = ['cubic', 'reno'] as const;

/** The fields of each kind of node. */
const NODE_KEYS = {
  host: [
    'name',
    'kind',
    'interfaces',
    'vlans',
    'bridges',
    'vxlans',
    'ipips',
    'udpEncaps',
    'routes',
    'iptables',
    'dns',
    'resolvConf',
    'http',
    'sysctl',
  ],
  switch: ['name', 'kind', 'ports', 'agingTime', 'stp', 'priority'],
  hub: ['name', 'kind', 'ports'],
} as const;

/** Validates one node. */
export function checkNode(c: Checker, path: SpecPath, v: unknown): NodeSpec | undefined {
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  const name = c.str([...path, 'name'], o.name, { pattern: NAME, what: 'a node name (letters, digits, _ . -)' });
  const kind = c.oneOf([...path, 'kind'], o.kind, ['host', 'router', 'switch', 'hub'] as const);
  if (name === undefined || kind === undefined) return undefined;
  switch (kind) {
    case 'host':
    case 'router':
      return checkIpNode(c, path, o, kind, name);
    case 'switch':
      return checkSwitch(c, path, o, name);
    case 'hub': {
      c.unknownKeys(path, o, NODE_KEYS.hub);
      const unique = uniquePorts(c);
      const ports = c.each([...path, 'ports'], o.ports, (pp, x) => unique(pp, portName(c, pp, x)), { required: true });
      return { kind: 'hub', name, ports, path };
    }
  }
}

function portName(c: Checker, p: SpecPath, v: unknown): string | undefined {
  return c.str(p, v, { pattern: NAME, what: 'a port name' });
}

/**
 * A filter for one switch's or hub's port names that reports a name given twice (a bridge cannot have
 * two ports of one name either: a second `ip link add` of a name says "File exists").
 */
function uniquePorts(c: Checker): (path: SpecPath, name: string | undefined) => string | undefined {
  const seen = new Set<string>();
  return (path, name) => {
    if (name === undefined) return undefined;
    if (seen.has(name)) {
      c.error(path, `duplicate port ${JSON.stringify(name)}`);
      return undefined;
    }
    seen.add(name);
    return name;
  };
}

function checkSwitch(c: Checker, path: SpecPath, o: Record<string, unknown>, name: string): NodeSpec {
  c.unknownKeys(path, o, NODE_KEYS.switch);
  const unique = uniquePorts(c);
  const ports = c.each(
    [...path, 'ports'],
    o.ports,
    (pp, x) => {
      const port = checkSwitchPort(c, pp, x);
      return port !== undefined && unique(typeof x === 'string' ? pp : [...pp, 'name'], port.name) ? port : undefined;
    },
    { required: true },
  );
  const node: NodeSpec = { kind: 'switch', name, ports, path };
  if (o.agingTime !== undefined) {
    const a = c.parse([...path, 'agingTime'], o.agingTime, parseDuration, 'a duration (300s)');
    if (a !== undefined) node.agingNs = a;
  }
  const stp = checkStp(c, path, o);
  if (stp !== undefined && node.kind === 'switch') node.stp = stp;
  return node;
}

/** A switch port: a name (access port in VLAN 1), `{name, vlan}` or `{name, mode: trunk, vlans, native}`. */
function checkSwitchPort(c: Checker, pp: SpecPath, x: unknown): SwitchPortSpec | undefined {
  if (typeof x === 'string') {
    const n = portName(c, pp, x);
    return n === undefined ? undefined : { name: n, mode: 'access', vlan: 1 };
  }
  const po = c.fields(pp, x, ['name', 'mode', 'vlan', 'vlans', 'native']);
  if (po === undefined) return undefined;
  const pname = portName(c, [...pp, 'name'], po.name);
  const mode = po.mode === undefined ? 'access' : c.oneOf([...pp, 'mode'], po.mode, ['access', 'trunk'] as const);
  const vid = (key: string, v: unknown): number | undefined => c.int([...pp, key], v, { min: 1, max: 4094 });
  if (pname === undefined || mode === undefined) return undefined;
  if (mode === 'access') {
    if (po.vlans !== undefined) c.error([...pp, 'vlans'], 'only trunk ports carry a list of VLANs (set mode: trunk)');
    if (po.native !== undefined) c.error([...pp, 'native'], 'only trunk ports have a native VLAN (set mode: trunk)');
    return { name: pname, mode, vlan: po.vlan === undefined ? 1 : (vid('vlan', po.vlan) ?? 1) };
  }
  if (po.vlan !== undefined) c.error([...pp, 'vlan'], 'a trunk port has "vlans" and "native", not "vlan"');
  const p: SwitchPortSpec = { name: pname, mode, vlan: po.native === undefined ? 1 : (vid('native', po.native) ?? 1) };
  if (po.vlans !== undefined)
    p.vlans = c.each([...pp, 'vlans'], po.vlans, (vp, v) => c.int(vp, v, { min: 1, max: 4094 }));
  return p;
}

function checkIpNode(
  c: Checker,
  path: SpecPath,
  o: Record<string, unknown>,
  kind: 'host' | 'router',
  name: string,
): NodeSpec {
  c.unknownKeys(path, o, NODE_KEYS.host);
  const interfaces: InterfaceSpec[] = [];
  c.each(
    [...path, 'interfaces'],
    o.interfaces,
    (ip, x) => {
      const i = checkInterface(
        c,
        ip,
        x,
        interfaces.map((e) => e.name),
      );
      if (i !== undefined) interfaces.push(i);
      return i;
    },
    { required: true },
  );
  const vlans: VlanSpec[] = [];
  c.each([...path, 'vlans'], o.vlans, (p, x) => {
    const v = checkVlan(
      c,
      p,
      x,
      interfaces.map((i) => i.name),
      vlans,
    );
    if (v !== undefined) vlans.push(v);
    return v;
  });
  const vxlans = c.each([...path, 'vxlans'], o.vxlans, (p, x) => checkVxlan(c, p, x));
  const ipips = c.each([...path, 'ipips'], o.ipips, (p, x) => checkIpip(c, p, x));
  const udpEncaps = c.each([...path, 'udpEncaps'], o.udpEncaps, (p, x) => checkUdpEncap(c, p, x));
  udpEncaps.forEach(
    (u, i) =>
      udpEncaps.findIndex((x) => x.port === u.port) < i &&
      c.error([...path, 'udpEncaps', i, 'port'], `UDP port ${u.port} is already used by another udpEncap on ${name}`),
  );
  const devices = new Set([
    ...interfaces.map((i) => i.name),
    ...vlans.map((v) => v.name),
    ...vxlans.map((v) => v.name),
    ...ipips.map((t) => t.name),
  ]);
  const bridges = c.each([...path, 'bridges'], o.bridges, (p, x) => checkBridge(c, p, x, name, devices));
  for (const b of bridges) devices.add(b.name);
  for (const u of udpEncaps) devices.add(u.name);
  const routes = c.each([...path, 'routes'], o.routes, (p, x) => checkRoute(c, p, x, name, devices));
  const node: NodeSpec = {
    kind,
    name,
    interfaces,
    vlans,
    bridges,
    vxlans,
    ipips,
    udpEncaps,
    routes,
    httpPorts: [],
    path,
  };
  if (o.iptables !== undefined) {
    const text = c.str([...path, 'iptables'], o.iptables, { allowEmpty: true });
    if (text !== undefined) {
      const r = parseIptablesSave(text);
      if (r.ok) node.iptables = r.ruleset;
      else {
        // a block scalar's text starts on the line after "iptables: |"
        const at = c.doc.locate([...path, 'iptables']);
        for (const e of r.errors)
          c.errors.push({
            file: c.doc.file,
            line: at.line + e.line,
            col: 1,
            field: formatPath([...path, 'iptables']),
            message: `iptables-save line ${e.line}: ${e.message}`,
          });
      }
    }
  }
  if (o.http !== undefined) node.httpPorts = checkHttp(c, [...path, 'http'], o.http);
  if (o.sysctl !== undefined) {
    const sy = c.fields([...path, 'sysctl'], o.sysctl, SYSCTLS);
    const cc = sy?.[TCP_CC];
    if (cc !== undefined) {
      const name = c.oneOf([...path, 'sysctl', TCP_CC], cc, TCP_CONGESTION_NAMES);
      if (name !== undefined) node.tcpCongestionControl = name;
    }
  }
  if (o.resolvConf !== undefined) {
    const t = c.str([...path, 'resolvConf'], o.resolvConf);
    if (t !== undefined) node.resolvConf = t;
  }
  if (o.dns !== undefined) {
    const dns = checkDns(c, [...path, 'dns'], o.dns);
    if (dns !== undefined) node.dns = dns;
  }
  return node;
}
