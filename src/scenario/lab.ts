/**
 * The Lab document: a small network described as data (nodes, interfaces, addresses, links with their
 * properties, VLAN port modes, routes) plus steps with expectations. This file validates a parsed YAML
 * document into a typed LabSpec, reporting every problem with file, line and field.
 */
import { parseCidr, parseIpv4, parseMac, type Ipv4, type Ipv4Prefix, type Mac } from '../wire/addr.js';
import type { LinkProps } from '../link/channel.js';
import { Checker, formatPath, loadYaml, type SourceDoc, type SpecError, type SpecPath } from './source.js';
import { parseIptablesSave, type Ruleset } from '../net/netfilter/rules.js';
import { splitWords } from '../apps/shell.js';
import { parseBandwidth, parseByteSize, parseDuration } from './units.js';

/** apiVersion of Lab documents. */
export const LAB_API_VERSION = 'podnet.dev/v1alpha1';

/** An interface of a host or router. */
export interface InterfaceSpec {
  name: string;
  mac?: Mac;
  addresses: Ipv4Prefix[];
  mtu?: number;
  proxyArp: boolean;
}

/** A static route. */
export interface RouteSpecIn {
  to: Ipv4Prefix;
  via?: Ipv4;
  dev?: string;
}

/** A switch port. */
export interface SwitchPortSpec {
  name: string;
  mode: 'access' | 'trunk';
  vlan: number;
  vlans?: number[];
}

/** A Linux bridge on a host or router. */
export interface BridgeSpec {
  name: string;
  mac?: Mac;
  ports: string[];
  addresses: Ipv4Prefix[];
}

/** A VXLAN device on a host or router. */
export interface VxlanSpec {
  name: string;
  mac?: Mac;
  vni: number;
  local: Ipv4;
  port: number;
  remotes: Ipv4[];
  learning: boolean;
  proxy: boolean;
  df: boolean;
  /** Outer UDP checksum (Linux default on; `udpcsum: false` is iproute2's `noudpcsum`). */
  udpcsum: boolean;
  ttl: number;
  mtu?: number;
  addresses: Ipv4Prefix[];
  fdb: { mac: Mac; remote: Ipv4 }[];
  arp: { ip: Ipv4; mac: Mac }[];
}

/** An IP-in-IP device on a host or router. */
export interface IpipSpec {
  name: string;
  local: Ipv4;
  remote?: Ipv4;
  mtu?: number;
  addresses: Ipv4Prefix[];
}

/** flanneld's udp backend on a host or router: a TUN device and the agent behind it. */
export interface UdpEncapSpec {
  name: string;
  /** Address of the tun (flanneld: the lease's subnet address as a /32). */
  addresses: Ipv4Prefix[];
  mtu?: number;
  port: number;
  /** Pod subnet -> public IP of the host that leased it. */
  peers: { subnet: Ipv4Prefix; remote: Ipv4 }[];
}

/** A node of the lab. */
export type NodeSpec =
  | { kind: 'host' | 'router'; name: string; interfaces: InterfaceSpec[]; bridges: BridgeSpec[]; vxlans: VxlanSpec[]; ipips: IpipSpec[]; udpEncaps: UdpEncapSpec[]; routes: RouteSpecIn[]; iptables?: Ruleset; path: SpecPath }
  | { kind: 'switch'; name: string; ports: SwitchPortSpec[]; agingNs?: number; path: SpecPath }
  | { kind: 'hub'; name: string; ports: string[]; path: SpecPath };

/** A link between two ports. */
export interface LinkSpec {
  a: { node: string; port: string };
  b: { node: string; port: string };
  props: Partial<LinkProps>;
  path: SpecPath;
}

/** A destination given as a node name or an address. */
export type Target = { node: string } | { ip: Ipv4 };

/** What a step does. */
export type StepAction =
  | { kind: 'ping'; from: string; to: Target; count: number; size?: number; ttl?: number; df?: boolean; interval?: number }
  | { kind: 'udp'; from: string; to: Target; srcPort: number; dstPort: number; data: string; count: number; listen: boolean; listenAt?: { node: string; port: number }; size?: number; df?: boolean }
  | { kind: 'wait'; duration: number }
  | { kind: 'show'; what: 'mac-table' | 'routes' | 'arp' | 'fdb' | 'conntrack' | 'iptables'; node: string }
  | { kind: 'unlink'; node: string; port: string }
  | { kind: 'link'; a: { node: string; port: string }; b: { node: string; port: string } }
  | { kind: 'fdb'; node: string; dev: string; mac: Mac; remote: Ipv4 }
  | { kind: 'exec'; node: string; argv: string[] };

/** What a step expects. All fields optional; each one given is checked. */
export interface StepExpect {
  received?: number;
  loss?: number;
  delivered?: boolean;
  drop?: string;
  path?: string[];
  /**
   * Exactly the hosts and routers whose NIC received a copy of the step's packets (requests, not replies)
   * or of an ARP request sent during the step, whether they kept it or dropped it: who a flood reached.
   */
  seenBy?: string[];
  macTable?: { mac: Mac; port?: string; vlan?: number }[];
  macTableSize?: number;
  icmp?: string;
  /** udp: the source address the receiver saw (after any NAT on the way). */
  receivedFrom?: Ipv4;
  /** exec: the command's exit status. */
  status?: number;
  /** exec: lines or fragments the output must contain. */
  contains?: string[];
  /** exec: regular expressions the output must match. */
  matches?: RegExp[];
}

/** One step. */
export interface StepSpec {
  name: string;
  action: StepAction;
  expect: StepExpect;
  path: SpecPath;
}

/** A validated lab. */
export interface LabSpec {
  file: string;
  name: string;
  description: string;
  seed: number;
  linkDefaults: Partial<LinkProps>;
  nodes: NodeSpec[];
  links: LinkSpec[];
  steps: StepSpec[];
  doc: SourceDoc;
}

/** The outcome of reading a lab. */
export type LabResult = { ok: true; lab: LabSpec } | { ok: false; errors: SpecError[] };

/** Reads and validates a Lab from YAML text. */
export function parseLab(file: string, text: string): LabResult {
  const loaded = loadYaml(file, text);
  if (!loaded.ok) return loaded;
  const docs = loaded.docs.filter((d) => d.value !== null && d.value !== undefined);
  if (docs.length !== 1) {
    return { ok: false, errors: [{ file, line: 1, col: 1, field: '', message: `expected exactly one Lab document, found ${docs.length}` }] };
  }
  const doc = docs[0]!;
  const c = new Checker(doc);
  const lab = checkLab(c, doc);
  if (c.errors.length > 0 || lab === undefined) return { ok: false, errors: c.errors };
  return { ok: true, lab };
}

function checkLab(c: Checker, doc: SourceDoc): LabSpec | undefined {
  const root = c.obj([], doc.value);
  if (root === undefined) return undefined;
  c.unknownKeys([], root, ['apiVersion', 'kind', 'metadata', 'spec']);
  if (root.apiVersion !== LAB_API_VERSION) c.error(['apiVersion'], root.apiVersion === undefined ? 'required field is missing' : `must be ${LAB_API_VERSION}`);
  if (root.kind !== 'Lab') c.error(['kind'], root.kind === undefined ? 'required field is missing' : `must be Lab`);
  const meta = c.obj(['metadata'], root.metadata);
  let name = 'lab';
  let description = '';
  if (meta !== undefined) {
    c.unknownKeys(['metadata'], meta, ['name', 'description']);
    name = c.str(['metadata', 'name'], meta.name) ?? name;
    if (meta.description !== undefined) description = c.str(['metadata', 'description'], meta.description) ?? '';
  }
  const spec = c.obj(['spec'], root.spec);
  if (spec === undefined) return undefined;
  c.unknownKeys(['spec'], spec, ['seed', 'linkDefaults', 'nodes', 'links', 'steps']);
  const seed = spec.seed === undefined ? 1 : (c.int(['spec', 'seed'], spec.seed, { min: 0, max: 0xffff_ffff }) ?? 1);
  const linkDefaults = spec.linkDefaults === undefined ? {} : checkLinkProps(c, ['spec', 'linkDefaults'], spec.linkDefaults, []);
  const nodes: NodeSpec[] = [];
  const names = new Set<string>();
  (c.arr(['spec', 'nodes'], spec.nodes) ?? []).forEach((n, i) => {
    const node = checkNode(c, ['spec', 'nodes', i], n);
    if (node === undefined) return;
    if (names.has(node.name)) c.error([...node.path, 'name'], `duplicate node name ${JSON.stringify(node.name)}`);
    names.add(node.name);
    nodes.push(node);
  });
  const links: LinkSpec[] = [];
  if (spec.links !== undefined) {
    (c.arr(['spec', 'links'], spec.links) ?? []).forEach((l, i) => {
      const link = checkLink(c, ['spec', 'links', i], l, nodes);
      if (link !== undefined) links.push(link);
    });
  }
  const used = new Map<string, SpecPath>();
  for (const l of links) {
    for (const [end, key] of [[l.a, 'a'], [l.b, 'b']] as const) {
      const id = `${end.node}:${end.port}`;
      if (used.has(id)) c.error([...l.path, key], `port ${id} is already used by another link`);
      used.set(id, l.path);
    }
  }
  const steps: StepSpec[] = [];
  if (spec.steps !== undefined) {
    (c.arr(['spec', 'steps'], spec.steps) ?? []).forEach((s, i) => {
      const step = checkStep(c, ['spec', 'steps', i], s, nodes);
      if (step !== undefined) steps.push(step);
    });
  }
  return { file: doc.file, name, description, seed, linkDefaults, nodes, links, steps, doc };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function checkNode(c: Checker, path: SpecPath, v: unknown): NodeSpec | undefined {
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  const name = c.str([...path, 'name'], o.name, { pattern: NAME, what: 'a node name (letters, digits, _ . -)' });
  const kind = c.oneOf([...path, 'kind'], o.kind, ['host', 'router', 'switch', 'hub'] as const);
  if (name === undefined || kind === undefined) return undefined;
  if (kind === 'host' || kind === 'router') {
    c.unknownKeys(path, o, ['name', 'kind', 'interfaces', 'bridges', 'vxlans', 'ipips', 'udpEncaps', 'routes', 'iptables']);
    const interfaces: InterfaceSpec[] = [];
    (c.arr([...path, 'interfaces'], o.interfaces) ?? []).forEach((x, i) => {
      const ip = [...path, 'interfaces', i];
      const io = c.obj(ip, x);
      if (io === undefined) return;
      c.unknownKeys(ip, io, ['name', 'mac', 'address', 'addresses', 'mtu', 'proxyArp']);
      const iname = c.str([...ip, 'name'], io.name, { pattern: NAME, what: 'an interface name' });
      const mac = io.mac === undefined ? undefined : c.parse([...ip, 'mac'], io.mac, parseMac, 'a MAC address (aa:bb:cc:dd:ee:ff)');
      const addresses: Ipv4Prefix[] = [];
      if (io.address !== undefined) {
        const a = c.parse([...ip, 'address'], io.address, parseCidr, 'an IPv4 address with prefix length (10.0.0.2/24)');
        if (a !== undefined) addresses.push(a);
      }
      if (io.addresses !== undefined) {
        (c.arr([...ip, 'addresses'], io.addresses) ?? []).forEach((a, k) => {
          const p = c.parse([...ip, 'addresses', k], a, parseCidr, 'an IPv4 address with prefix length (10.0.0.2/24)');
          if (p !== undefined) addresses.push(p);
        });
      }
      const mtu = io.mtu === undefined ? undefined : c.int([...ip, 'mtu'], io.mtu, { min: 68, max: 65535 });
      const proxyArp = io.proxyArp === undefined ? false : (c.bool([...ip, 'proxyArp'], io.proxyArp) ?? false);
      if (iname === undefined) return;
      if (interfaces.some((e) => e.name === iname)) c.error([...ip, 'name'], `duplicate interface ${JSON.stringify(iname)}`);
      const spec: InterfaceSpec = { name: iname, addresses, proxyArp };
      if (mac !== undefined) spec.mac = mac;
      if (mtu !== undefined) spec.mtu = mtu;
      interfaces.push(spec);
    });
    const vxlans = o.vxlans === undefined ? [] : (c.arr([...path, 'vxlans'], o.vxlans) ?? []).flatMap((x, i) => checkVxlan(c, [...path, 'vxlans', i], x) ?? []);
    const ipips: IpipSpec[] = [];
    if (o.ipips !== undefined) {
      (c.arr([...path, 'ipips'], o.ipips) ?? []).forEach((x, i) => {
        const tp = [...path, 'ipips', i];
        const to = c.obj(tp, x);
        if (to === undefined) return;
        c.unknownKeys(tp, to, ['name', 'local', 'remote', 'mtu', 'address']);
        const tname = c.str([...tp, 'name'], to.name, { pattern: NAME, what: 'a device name' });
        const local = c.parse([...tp, 'local'], to.local, parseIpv4, 'an IPv4 address');
        const remote = to.remote === undefined ? undefined : c.parse([...tp, 'remote'], to.remote, parseIpv4, 'an IPv4 address');
        const mtu = to.mtu === undefined ? undefined : c.int([...tp, 'mtu'], to.mtu, { min: 68, max: 65535 });
        const addresses = to.address === undefined ? [] : [c.parse([...tp, 'address'], to.address, parseCidr, 'an IPv4 address with prefix length')].flatMap((a) => (a ? [a] : []));
        if (tname === undefined || local === undefined) return;
        const t: IpipSpec = { name: tname, local, addresses };
        if (remote !== undefined) t.remote = remote;
        if (mtu !== undefined) t.mtu = mtu;
        ipips.push(t);
      });
    }
    const udpEncaps = o.udpEncaps === undefined ? [] : (c.arr([...path, 'udpEncaps'], o.udpEncaps) ?? []).flatMap((x, i) => checkUdpEncap(c, [...path, 'udpEncaps', i], x) ?? []);
    udpEncaps.forEach((u, i) => udpEncaps.findIndex((x) => x.port === u.port) < i && c.error([...path, 'udpEncaps', i, 'port'], `UDP port ${u.port} is already used by another udpEncap on ${name}`));
    const devNames = new Set([...interfaces.map((i) => i.name), ...vxlans.map((v) => v.name), ...ipips.map((t) => t.name)]);
    const bridges: BridgeSpec[] = [];
    if (o.bridges !== undefined) {
      (c.arr([...path, 'bridges'], o.bridges) ?? []).forEach((x, i) => {
        const bp = [...path, 'bridges', i];
        const bo = c.obj(bp, x);
        if (bo === undefined) return;
        c.unknownKeys(bp, bo, ['name', 'mac', 'ports', 'address']);
        const bname = c.str([...bp, 'name'], bo.name, { pattern: NAME, what: 'a device name' });
        const mac = bo.mac === undefined ? undefined : c.parse([...bp, 'mac'], bo.mac, parseMac, 'a MAC address');
        const ports: string[] = [];
        (c.arr([...bp, 'ports'], bo.ports) ?? []).forEach((pn, k) => {
          const n = c.str([...bp, 'ports', k], pn);
          if (n !== undefined && !devNames.has(n)) c.error([...bp, 'ports', k], `no interface or vxlan device ${JSON.stringify(n)} on ${name}`);
          else if (n !== undefined) ports.push(n);
        });
        const addresses = bo.address === undefined ? [] : [c.parse([...bp, 'address'], bo.address, parseCidr, 'an IPv4 address with prefix length')].flatMap((a) => (a ? [a] : []));
        if (bname === undefined) return;
        const b: BridgeSpec = { name: bname, ports, addresses };
        if (mac !== undefined) b.mac = mac;
        bridges.push(b);
      });
    }
    for (const b of bridges) devNames.add(b.name);
    for (const u of udpEncaps) devNames.add(u.name);
    const routes: RouteSpecIn[] = [];
    if (o.routes !== undefined) {
      (c.arr([...path, 'routes'], o.routes) ?? []).forEach((x, i) => {
        const rp = [...path, 'routes', i];
        const ro = c.obj(rp, x);
        if (ro === undefined) return;
        c.unknownKeys(rp, ro, ['to', 'via', 'dev']);
        const to = ro.to === 'default' ? { addr: 0, len: 0 } : c.parse([...rp, 'to'], ro.to, parseCidr, 'a prefix (10.0.1.0/24) or "default"');
        const via = ro.via === undefined ? undefined : c.parse([...rp, 'via'], ro.via, parseIpv4, 'an IPv4 address');
        const dev = ro.dev === undefined ? undefined : c.str([...rp, 'dev'], ro.dev);
        if (dev !== undefined && !devNames.has(dev)) c.error([...rp, 'dev'], `no interface ${JSON.stringify(dev)} on ${name}`);
        if (ro.via === undefined && ro.dev === undefined) c.error(rp, 'a route needs "via" or "dev"');
        if (to === undefined) return;
        const r: RouteSpecIn = { to };
        if (via !== undefined) r.via = via;
        if (dev !== undefined) r.dev = dev;
        routes.push(r);
      });
    }
    const node: NodeSpec = { kind, name, interfaces, bridges, vxlans, ipips, udpEncaps, routes, path };
    if (o.iptables !== undefined) {
      const text = c.str([...path, 'iptables'], o.iptables, { allowEmpty: true });
      if (text !== undefined) {
        const r = parseIptablesSave(text);
        if (r.ok) node.iptables = r.ruleset;
        else {
          // a block scalar's text starts on the line after "iptables: |"
          const at = c.doc.locate([...path, 'iptables']);
          for (const e of r.errors) c.errors.push({ file: c.doc.file, line: at.line + e.line, col: 1, field: formatPath([...path, 'iptables']), message: `iptables-save line ${e.line}: ${e.message}` });
        }
      }
    }
    return node;
  }
  if (kind === 'switch') {
    c.unknownKeys(path, o, ['name', 'kind', 'ports', 'agingTime']);
    const ports: SwitchPortSpec[] = [];
    (c.arr([...path, 'ports'], o.ports) ?? []).forEach((x, i) => {
      const pp = [...path, 'ports', i];
      if (typeof x === 'string') {
        ports.push({ name: x, mode: 'access', vlan: 1 });
        return;
      }
      const po = c.obj(pp, x);
      if (po === undefined) return;
      c.unknownKeys(pp, po, ['name', 'mode', 'vlan', 'vlans', 'native']);
      const pname = c.str([...pp, 'name'], po.name, { pattern: NAME, what: 'a port name' });
      const mode = po.mode === undefined ? 'access' : c.oneOf([...pp, 'mode'], po.mode, ['access', 'trunk'] as const);
      const vid = (key: string, v: unknown): number | undefined => c.int([...pp, key], v, { min: 1, max: 4094 });
      if (pname === undefined || mode === undefined) return;
      if (ports.some((p) => p.name === pname)) c.error([...pp, 'name'], `duplicate port ${JSON.stringify(pname)}`);
      if (mode === 'access') {
        if (po.vlans !== undefined) c.error([...pp, 'vlans'], 'only trunk ports carry a list of VLANs (set mode: trunk)');
        if (po.native !== undefined) c.error([...pp, 'native'], 'only trunk ports have a native VLAN (set mode: trunk)');
        ports.push({ name: pname, mode, vlan: po.vlan === undefined ? 1 : (vid('vlan', po.vlan) ?? 1) });
      } else {
        if (po.vlan !== undefined) c.error([...pp, 'vlan'], 'a trunk port has "vlans" and "native", not "vlan"');
        const native = po.native === undefined ? 1 : (vid('native', po.native) ?? 1);
        const p: SwitchPortSpec = { name: pname, mode, vlan: native };
        if (po.vlans !== undefined) {
          p.vlans = [];
          (c.arr([...pp, 'vlans'], po.vlans) ?? []).forEach((v, k) => {
            const n = c.int([...pp, 'vlans', k], v, { min: 1, max: 4094 });
            if (n !== undefined) p.vlans!.push(n);
          });
        }
        ports.push(p);
      }
    });
    const node: NodeSpec = { kind, name, ports, path };
    if (o.agingTime !== undefined) {
      const a = c.parse([...path, 'agingTime'], o.agingTime, parseDuration, 'a duration (300s)');
      if (a !== undefined) node.agingNs = a;
    }
    return node;
  }
  c.unknownKeys(path, o, ['name', 'kind', 'ports']);
  const ports: string[] = [];
  (c.arr([...path, 'ports'], o.ports) ?? []).forEach((x, i) => {
    const p = c.str([...path, 'ports', i], x, { pattern: NAME, what: 'a port name' });
    if (p !== undefined) ports.push(p);
  });
  return { kind: 'hub', name, ports, path };
}

function checkVxlan(c: Checker, p: SpecPath, v: unknown): VxlanSpec | undefined {
  const o = c.obj(p, v);
  if (o === undefined) return undefined;
  c.unknownKeys(p, o, ['name', 'mac', 'vni', 'local', 'port', 'remotes', 'learning', 'proxy', 'df', 'udpcsum', 'ttl', 'mtu', 'address', 'fdb', 'arp']);
  const name = c.str([...p, 'name'], o.name, { pattern: NAME, what: 'a device name' });
  const vni = c.int([...p, 'vni'], o.vni, { min: 0, max: 0xffffff });
  const local = c.parse([...p, 'local'], o.local, parseIpv4, 'an IPv4 address');
  const port = o.port === undefined ? 4789 : c.int([...p, 'port'], o.port, { min: 1, max: 65535 });
  const flag = (k: string, d: boolean): boolean => (o[k] === undefined ? d : (c.bool([...p, k], o[k]) ?? d));
  const remotes: Ipv4[] = [];
  if (o.remotes !== undefined) (c.arr([...p, 'remotes'], o.remotes) ?? []).forEach((r, i) => {
    const ip = c.parse([...p, 'remotes', i], r, parseIpv4, 'an IPv4 address');
    if (ip !== undefined) remotes.push(ip);
  });
  const fdb: { mac: Mac; remote: Ipv4 }[] = [];
  if (o.fdb !== undefined) (c.arr([...p, 'fdb'], o.fdb) ?? []).forEach((r, i) => {
    const ro = c.obj([...p, 'fdb', i], r);
    if (ro === undefined) return;
    c.unknownKeys([...p, 'fdb', i], ro, ['mac', 'remote']);
    const mac = c.parse([...p, 'fdb', i, 'mac'], ro.mac, parseMac, 'a MAC address');
    const remote = c.parse([...p, 'fdb', i, 'remote'], ro.remote, parseIpv4, 'an IPv4 address');
    if (mac !== undefined && remote !== undefined) fdb.push({ mac, remote });
  });
  const arp: { ip: Ipv4; mac: Mac }[] = [];
  if (o.arp !== undefined) (c.arr([...p, 'arp'], o.arp) ?? []).forEach((r, i) => {
    const ro = c.obj([...p, 'arp', i], r);
    if (ro === undefined) return;
    c.unknownKeys([...p, 'arp', i], ro, ['ip', 'mac']);
    const ip = c.parse([...p, 'arp', i, 'ip'], ro.ip, parseIpv4, 'an IPv4 address');
    const mac = c.parse([...p, 'arp', i, 'mac'], ro.mac, parseMac, 'a MAC address');
    if (mac !== undefined && ip !== undefined) arp.push({ ip, mac });
  });
  const mac = o.mac === undefined ? undefined : c.parse([...p, 'mac'], o.mac, parseMac, 'a MAC address');
  const mtu = o.mtu === undefined ? undefined : c.int([...p, 'mtu'], o.mtu, { min: 68, max: 65535 });
  const ttl = o.ttl === undefined ? 64 : (c.int([...p, 'ttl'], o.ttl, { min: 1, max: 255 }) ?? 64);
  const addresses = o.address === undefined ? [] : [c.parse([...p, 'address'], o.address, parseCidr, 'an IPv4 address with prefix length')].flatMap((a) => (a ? [a] : []));
  if (name === undefined || vni === undefined || local === undefined || port === undefined) return undefined;
  const spec: VxlanSpec = { name, vni, local, port, remotes, learning: flag('learning', true), proxy: flag('proxy', false), df: flag('df', false), udpcsum: flag('udpcsum', true), ttl, addresses, fdb, arp };
  if (mac !== undefined) spec.mac = mac;
  if (mtu !== undefined) spec.mtu = mtu;
  return spec;
}

function checkUdpEncap(c: Checker, p: SpecPath, v: unknown): UdpEncapSpec | undefined {
  const o = c.obj(p, v);
  if (o === undefined) return undefined;
  c.unknownKeys(p, o, ['name', 'address', 'mtu', 'port', 'peers']);
  const name = o.name === undefined ? 'flannel0' : c.str([...p, 'name'], o.name, { pattern: NAME, what: 'a device name' });
  const addresses = o.address === undefined ? [] : [c.parse([...p, 'address'], o.address, parseCidr, 'an IPv4 address with prefix length (10.244.0.0/32)')].flatMap((a) => (a ? [a] : []));
  const mtu = o.mtu === undefined ? undefined : c.int([...p, 'mtu'], o.mtu, { min: 68, max: 65535 });
  const port = o.port === undefined ? 8285 : c.int([...p, 'port'], o.port, { min: 1, max: 65535 });
  const peers: UdpEncapSpec['peers'] = [];
  if (o.peers !== undefined) (c.arr([...p, 'peers'], o.peers) ?? []).forEach((r, i) => {
    const pp = [...p, 'peers', i];
    const ro = c.obj(pp, r);
    if (ro === undefined) return;
    c.unknownKeys(pp, ro, ['subnet', 'remote']);
    const subnet = c.parse([...pp, 'subnet'], ro.subnet, parseCidr, 'a pod subnet (10.244.1.0/24)');
    const remote = c.parse([...pp, 'remote'], ro.remote, parseIpv4, "an IPv4 address (the peer host's public IP)");
    if (subnet !== undefined && peers.some((x) => x.subnet.addr === subnet.addr && x.subnet.len === subnet.len)) c.error([...pp, 'subnet'], `subnet ${String(ro.subnet)} is listed twice`);
    else if (subnet !== undefined && remote !== undefined) peers.push({ subnet, remote });
  });
  if (name === undefined || port === undefined) return undefined;
  const spec: UdpEncapSpec = { name, addresses, port, peers };
  if (mtu !== undefined) spec.mtu = mtu;
  return spec;
}

function checkLinkProps(c: Checker, path: SpecPath, v: unknown, extra: string[]): Partial<LinkProps> {
  const o = c.obj(path, v);
  const props: Partial<LinkProps> = {};
  if (o === undefined) return props;
  c.unknownKeys(path, o, ['latency', 'bandwidth', 'mtu', 'queue', 'loss', ...extra]);
  if (o.latency !== undefined) {
    const x = c.parse([...path, 'latency'], o.latency, parseDuration, 'a duration (1us, 2.5ms)');
    if (x !== undefined) props.latency = x;
  }
  if (o.bandwidth !== undefined) {
    const x = c.parse([...path, 'bandwidth'], o.bandwidth, parseBandwidth, 'a bandwidth (100Mbps, 10Gbps, or 0 for unlimited)');
    if (x !== undefined) props.bandwidth = x;
  }
  if (o.mtu !== undefined) {
    const x = c.parse([...path, 'mtu'], o.mtu, parseByteSize, 'a size in bytes');
    if (x !== undefined) {
      if (x < 68 || x > 65535) c.error([...path, 'mtu'], `${x} is out of range: must be between 68 and 65535`);
      else props.mtu = x;
    }
  }
  if (o.queue !== undefined) {
    const x = c.int([...path, 'queue'], o.queue, { min: 1 });
    if (x !== undefined) props.queueLimit = x;
  }
  if (o.loss !== undefined) {
    if (typeof o.loss !== 'number' || !(o.loss >= 0 && o.loss < 1)) c.error([...path, 'loss'], 'must be a probability in [0, 1)');
    else props.loss = o.loss;
  }
  return props;
}

function parseEnd(c: Checker, path: SpecPath, v: unknown, nodes: NodeSpec[]): { node: string; port: string } | undefined {
  const s = c.str(path, v, { pattern: /^[^:]+:[^:]+$/, what: 'an endpoint NODE:PORT (A:eth0, sw1:p1)' });
  if (s === undefined) return undefined;
  const [node, port] = s.split(':') as [string, string];
  const n = nodes.find((x) => x.name === node);
  if (n === undefined) {
    c.error(path, `no node named ${JSON.stringify(node)}`);
    return undefined;
  }
  if ((n.kind === 'host' || n.kind === 'router') && !n.interfaces.some((i) => i.name === port)) {
    c.error(path, `${node} has no interface ${JSON.stringify(port)} (has: ${n.interfaces.map((i) => i.name).join(', ') || 'none'})`);
    return undefined;
  }
  return { node, port };
}

function checkLink(c: Checker, path: SpecPath, v: unknown, nodes: NodeSpec[]): LinkSpec | undefined {
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  const props = checkLinkProps(c, path, o, ['a', 'b']);
  const a = parseEnd(c, [...path, 'a'], o.a, nodes);
  const b = parseEnd(c, [...path, 'b'], o.b, nodes);
  if (a === undefined || b === undefined) return undefined;
  return { a, b, props, path };
}

function checkTarget(c: Checker, path: SpecPath, v: unknown, nodes: NodeSpec[]): Target | undefined {
  if (typeof v === 'string' && nodes.some((n) => n.name === v)) return { node: v };
  const ip = c.parse(path, v, parseIpv4, 'a node name or an IPv4 address');
  return ip === undefined ? undefined : { ip };
}

function checkFrom(c: Checker, path: SpecPath, v: unknown, nodes: NodeSpec[]): string | undefined {
  const s = c.str(path, v);
  if (s === undefined) return undefined;
  const n = nodes.find((x) => x.name === s);
  if (n === undefined || (n.kind !== 'host' && n.kind !== 'router')) {
    c.error(path, `${JSON.stringify(s)} is not a host or router of this lab`);
    return undefined;
  }
  return s;
}

const STEP_KINDS = ['ping', 'udp', 'wait', 'show', 'link', 'unlink', 'fdb', 'exec'] as const;

function checkStep(c: Checker, path: SpecPath, v: unknown, nodes: NodeSpec[]): StepSpec | undefined {
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  c.unknownKeys(path, o, ['name', ...STEP_KINDS, 'expect']);
  const kinds = STEP_KINDS.filter((k) => o[k] !== undefined);
  if (kinds.length !== 1) {
    c.error(path, `a step has exactly one of: ${STEP_KINDS.join(', ')} (found ${kinds.length === 0 ? 'none' : kinds.join(', ')})`);
    return undefined;
  }
  const kind = kinds[0]!;
  const ap = [...path, kind];
  let action: StepAction | undefined;
  if (kind === 'exec') {
    const eo = c.obj(ap, o.exec);
    if (eo !== undefined) {
      c.unknownKeys(ap, eo, ['node', 'command']);
      const node = checkFrom(c, [...ap, 'node'], eo.node, nodes);
      const cmd = c.str([...ap, 'command'], eo.command);
      const argv = cmd === undefined ? undefined : splitWords(cmd);
      if (cmd !== undefined && (argv === undefined || argv.length === 0)) c.error([...ap, 'command'], 'unbalanced quotes or an empty command');
      else if (node !== undefined && argv !== undefined) action = { kind: 'exec', node, argv };
    }
  } else if (kind === 'unlink') {
    const end = parseEnd(c, ap, o.unlink, nodes);
    if (end !== undefined) action = { kind: 'unlink', node: end.node, port: end.port };
  } else if (kind === 'link') {
    const lo = c.obj(ap, o.link);
    if (lo !== undefined) {
      c.unknownKeys(ap, lo, ['a', 'b']);
      const a = parseEnd(c, [...ap, 'a'], lo.a, nodes);
      const b = parseEnd(c, [...ap, 'b'], lo.b, nodes);
      if (a !== undefined && b !== undefined) action = { kind: 'link', a, b };
    }
  } else if (kind === 'fdb') {
    const fo = c.obj(ap, o.fdb);
    if (fo !== undefined) {
      c.unknownKeys(ap, fo, ['node', 'dev', 'mac', 'remote']);
      const node = c.str([...ap, 'node'], fo.node);
      const n = nodes.find((x) => x.name === node);
      const dev = c.str([...ap, 'dev'], fo.dev);
      const mac = c.parse([...ap, 'mac'], fo.mac, parseMac, 'a MAC address');
      const remote = c.parse([...ap, 'remote'], fo.remote, parseIpv4, 'an IPv4 address');
      if (node !== undefined && (n === undefined || n.kind === 'switch' || n.kind === 'hub')) c.error([...ap, 'node'], `${JSON.stringify(node)} is not a host or router of this lab`);
      else if (n !== undefined && n.kind !== 'switch' && n.kind !== 'hub' && dev !== undefined && !n.vxlans.some((v) => v.name === dev)) c.error([...ap, 'dev'], `${node} has no vxlan device ${JSON.stringify(dev)}`);
      else if (node !== undefined && dev !== undefined && mac !== undefined && remote !== undefined) action = { kind: 'fdb', node, dev, mac, remote };
    }
  } else if (kind === 'wait') {
    const d = c.parse(ap, o.wait, parseDuration, 'a duration (1s, 500ms)');
    if (d !== undefined) action = { kind: 'wait', duration: d };
  } else if (kind === 'show') {
    const so = c.obj(ap, o.show);
    if (so !== undefined) {
      c.unknownKeys(ap, so, ['macTable', 'routes', 'arp', 'fdb', 'conntrack', 'iptables']);
      const which = (['macTable', 'routes', 'arp', 'fdb', 'conntrack', 'iptables'] as const).filter((k) => so[k] !== undefined);
      if (which.length !== 1) c.error(ap, 'show exactly one of: macTable, routes, arp, fdb, conntrack, iptables');
      else {
        const w = which[0]!;
        const node = c.str([...ap, w], so[w]);
        const n = nodes.find((x) => x.name === node);
        if (node !== undefined && n === undefined) c.error([...ap, w], `no node named ${JSON.stringify(node)}`);
        else if (w === 'macTable' && n !== undefined && n.kind !== 'switch') c.error([...ap, w], `${node} is a ${n.kind}; only switches have a MAC table`);
        else if (w !== 'macTable' && n !== undefined && n.kind !== 'host' && n.kind !== 'router') c.error([...ap, w], `${node} is a ${n.kind}; it has no ${w}`);
        else if (node !== undefined) action = { kind: 'show', what: w === 'macTable' ? 'mac-table' : w, node };
      }
    }
  } else if (kind === 'ping') {
    const po = c.obj(ap, o.ping);
    if (po !== undefined) {
      c.unknownKeys(ap, po, ['from', 'to', 'count', 'size', 'ttl', 'df', 'interval']);
      const from = checkFrom(c, [...ap, 'from'], po.from, nodes);
      const to = checkTarget(c, [...ap, 'to'], po.to, nodes);
      const count = po.count === undefined ? 3 : c.int([...ap, 'count'], po.count, { min: 1, max: 100000 });
      if (from !== undefined && to !== undefined && count !== undefined) {
        const a: StepAction = { kind: 'ping', from, to, count };
        if (po.size !== undefined) a.size = c.int([...ap, 'size'], po.size, { min: 0, max: 65507 }) ?? 56;
        if (po.ttl !== undefined) a.ttl = c.int([...ap, 'ttl'], po.ttl, { min: 1, max: 255 }) ?? 64;
        if (po.df !== undefined) a.df = c.bool([...ap, 'df'], po.df) ?? true;
        if (po.interval !== undefined) a.interval = c.parse([...ap, 'interval'], po.interval, parseDuration, 'a duration') ?? 1e9;
        action = a;
      }
    }
  } else {
    const uo = c.obj(ap, o.udp);
    if (uo !== undefined) {
      c.unknownKeys(ap, uo, ['from', 'to', 'srcPort', 'dstPort', 'data', 'count', 'listen', 'listenAt', 'size', 'df']);
      if (uo.size !== undefined && uo.data !== undefined) c.error([...ap, 'size'], 'give either "data" or "size", not both');
      const size = uo.size === undefined ? undefined : c.int([...ap, 'size'], uo.size, { min: 0, max: 65507 });
      const df = uo.df === undefined ? undefined : c.bool([...ap, 'df'], uo.df);
      let listenAt: { node: string; port: number } | undefined;
      if (uo.listenAt !== undefined) {
        const t = c.str([...ap, 'listenAt'], uo.listenAt, { pattern: /^[^:]+:[0-9]{1,5}$/, what: 'NODE:PORT, where the datagram is expected (behind a DNAT)' });
        if (t !== undefined) {
          const [n, p] = t.split(':') as [string, string];
          const nd = nodes.find((x) => x.name === n);
          if (nd === undefined || nd.kind === 'switch' || nd.kind === 'hub') c.error([...ap, 'listenAt'], `${JSON.stringify(n)} is not a host or router of this lab`);
          else if (Number(p) < 1 || Number(p) > 65535) c.error([...ap, 'listenAt'], `port ${p} is out of range`);
          else listenAt = { node: n, port: Number(p) };
        }
      }
      const listen = uo.listen === undefined ? true : (c.bool([...ap, 'listen'], uo.listen) ?? true);
      const from = checkFrom(c, [...ap, 'from'], uo.from, nodes);
      const to = checkTarget(c, [...ap, 'to'], uo.to, nodes);
      const srcPort = c.int([...ap, 'srcPort'], uo.srcPort ?? 40000, { min: 1, max: 65535 });
      const dstPort = c.int([...ap, 'dstPort'], uo.dstPort, { min: 1, max: 65535 });
      const data = uo.data === undefined ? 'hello' : c.str([...ap, 'data'], uo.data, { allowEmpty: true });
      const count = uo.count === undefined ? 1 : c.int([...ap, 'count'], uo.count, { min: 1, max: 100000 });
      if (from !== undefined && to !== undefined && srcPort !== undefined && dstPort !== undefined && data !== undefined && count !== undefined) {
        action = { kind: 'udp', from, to, srcPort, dstPort, data, count, listen };
        if (listenAt !== undefined) action.listenAt = listenAt;
        if (size !== undefined) action.size = size;
        if (df !== undefined) action.df = df;
      }
    }
  }
  const expect = o.expect === undefined ? {} : checkExpect(c, [...path, 'expect'], o.expect, nodes, kind);
  const name = o.name === undefined ? `${kind} ${describeAction(o[kind])}` : (c.str([...path, 'name'], o.name) ?? kind);
  if (action === undefined) return undefined;
  return { name, action, expect, path };
}

function describeAction(v: unknown): string {
  if (typeof v !== 'object' || v === null) return String(v);
  const o = v as Record<string, unknown>;
  if ('from' in o) return `${String(o.from)} -> ${String(o.to)}`;
  return Object.entries(o).map(([k, x]) => `${k} ${String(x)}`).join(' ');
}

function checkExpect(c: Checker, path: SpecPath, v: unknown, nodes: NodeSpec[], kind: string): StepExpect {
  const e: StepExpect = {};
  const o = c.obj(path, v);
  if (o === undefined) return e;
  const allowed: Record<string, string[]> = {
    ping: ['received', 'loss', 'path', 'seenBy', 'icmp', 'drop'],
    udp: ['delivered', 'drop', 'path', 'seenBy', 'icmp', 'receivedFrom'],
    show: ['macTable', 'macTableSize'],
    wait: [],
    exec: ['status', 'contains', 'matches'],
    link: [],
    unlink: [],
    fdb: [],
  };
  c.unknownKeys(path, o, allowed[kind] ?? []);
  if (o.received !== undefined) e.received = c.int([...path, 'received'], o.received, { min: 0 });
  if (o.loss !== undefined) {
    const l = c.parse([...path, 'loss'], o.loss, (t) => (/^(100|[1-9]?[0-9])%$/.test(t) ? Number(t.slice(0, -1)) : undefined), 'a percentage (0%, 100%)');
    if (l !== undefined) e.loss = l;
  }
  if (o.delivered !== undefined) e.delivered = c.bool([...path, 'delivered'], o.delivered);
  if (o.drop !== undefined) e.drop = c.str([...path, 'drop'], o.drop);
  if (o.icmp !== undefined) e.icmp = c.str([...path, 'icmp'], o.icmp);
  if (o.status !== undefined) e.status = c.int([...path, 'status'], o.status, { min: 0, max: 255 });
  if (o.contains !== undefined) {
    e.contains = [];
    (c.arr([...path, 'contains'], o.contains) ?? []).forEach((x, i) => {
      const t = c.str([...path, 'contains', i], x);
      if (t !== undefined) e.contains!.push(t);
    });
  }
  if (o.matches !== undefined) {
    e.matches = [];
    (c.arr([...path, 'matches'], o.matches) ?? []).forEach((x, i) => {
      const t = c.str([...path, 'matches', i], x);
      if (t === undefined) return;
      try {
        e.matches!.push(new RegExp(t, 'm'));
      } catch (err) {
        c.error([...path, 'matches', i], `not a regular expression: ${(err as Error).message}`);
      }
    });
  }
  if (o.receivedFrom !== undefined) {
    const ip = c.parse([...path, 'receivedFrom'], o.receivedFrom, parseIpv4, 'an IPv4 address');
    if (ip !== undefined) e.receivedFrom = ip;
  }
  const names = (key: 'path' | 'seenBy'): string[] | undefined => {
    const list = c.arr([...path, key], o[key]);
    if (list === undefined) return undefined;
    const out: string[] = [];
    list.forEach((x, i) => {
      const s = c.str([...path, key, i], x);
      if (s !== undefined && !nodes.some((n) => n.name === s)) c.error([...path, key, i], `no node named ${JSON.stringify(s)}`);
      else if (s !== undefined) out.push(s);
    });
    return out;
  };
  if (o.path !== undefined) e.path = names('path');
  if (o.seenBy !== undefined) e.seenBy = names('seenBy');
  if (o.macTableSize !== undefined) e.macTableSize = c.int([...path, 'macTableSize'], o.macTableSize, { min: 0 });
  if (o.macTable !== undefined) {
    e.macTable = [];
    (c.arr([...path, 'macTable'], o.macTable) ?? []).forEach((x, i) => {
      const rp = [...path, 'macTable', i];
      const ro = c.obj(rp, x);
      if (ro === undefined) return;
      c.unknownKeys(rp, ro, ['mac', 'port', 'vlan']);
      const mac = c.parse([...rp, 'mac'], ro.mac, parseMac, 'a MAC address');
      if (mac === undefined) return;
      const row: { mac: Mac; port?: string; vlan?: number } = { mac };
      if (ro.port !== undefined) row.port = c.str([...rp, 'port'], ro.port) ?? '';
      if (ro.vlan !== undefined) row.vlan = c.int([...rp, 'vlan'], ro.vlan, { min: 1, max: 4094 }) ?? 0;
      e.macTable!.push(row);
    });
  }
  return e;
}
