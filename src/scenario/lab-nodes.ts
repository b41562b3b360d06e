/**
 * Validation of a lab's nodes (hosts, routers and their devices, switches, hubs) and links.
 */
import { parseCidr, parseIpv4, parseMac, type Ipv4, type Ipv4Prefix, type Mac } from '../wire/addr.js';
import type { LinkProps } from '../link/channel.js';
import { parseIptablesSave } from '../net/netfilter/rules.js';
import { formatPath, type Checker, type SpecPath } from './source.js';
import { parseBandwidth, parseByteSize, parseDuration } from './units.js';
import type {
  BridgeSpec,
  DnsServerSpec,
  InterfaceSpec,
  IpipSpec,
  LinkSpec,
  NodeSpec,
  RouteSpecIn,
  SwitchPortSpec,
  UdpEncapSpec,
  VxlanSpec,
} from './lab-types.js';

/** Names of nodes, interfaces and ports. */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Validates one node. */
export function checkNode(c: Checker, path: SpecPath, v: unknown): NodeSpec | undefined {
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  const name = c.str([...path, 'name'], o.name, { pattern: NAME, what: 'a node name (letters, digits, _ . -)' });
  const kind = c.oneOf([...path, 'kind'], o.kind, ['host', 'router', 'switch', 'hub'] as const);
  if (name === undefined || kind === undefined) return undefined;
  if (kind === 'host' || kind === 'router') {
    c.unknownKeys(path, o, [
      'name',
      'kind',
      'interfaces',
      'bridges',
      'vxlans',
      'ipips',
      'udpEncaps',
      'routes',
      'iptables',
      'dns',
      'resolvConf',
      'http',
    ]);
    const interfaces: InterfaceSpec[] = [];
    (c.arr([...path, 'interfaces'], o.interfaces) ?? []).forEach((x, i) => {
      const ip = [...path, 'interfaces', i];
      const io = c.obj(ip, x);
      if (io === undefined) return;
      c.unknownKeys(ip, io, ['name', 'mac', 'address', 'addresses', 'mtu', 'proxyArp']);
      const iname = c.str([...ip, 'name'], io.name, { pattern: NAME, what: 'an interface name' });
      const mac =
        io.mac === undefined
          ? undefined
          : c.parse([...ip, 'mac'], io.mac, parseMac, 'a MAC address (aa:bb:cc:dd:ee:ff)');
      const addresses: Ipv4Prefix[] = [];
      if (io.address !== undefined) {
        const a = c.parse(
          [...ip, 'address'],
          io.address,
          parseCidr,
          'an IPv4 address with prefix length (10.0.0.2/24)',
        );
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
      if (interfaces.some((e) => e.name === iname))
        c.error([...ip, 'name'], `duplicate interface ${JSON.stringify(iname)}`);
      const spec: InterfaceSpec = { name: iname, addresses, proxyArp };
      if (mac !== undefined) spec.mac = mac;
      if (mtu !== undefined) spec.mtu = mtu;
      interfaces.push(spec);
    });
    const vxlans =
      o.vxlans === undefined
        ? []
        : (c.arr([...path, 'vxlans'], o.vxlans) ?? []).flatMap(
            (x, i) => checkVxlan(c, [...path, 'vxlans', i], x) ?? [],
          );
    const ipips: IpipSpec[] = [];
    if (o.ipips !== undefined) {
      (c.arr([...path, 'ipips'], o.ipips) ?? []).forEach((x, i) => {
        const tp = [...path, 'ipips', i];
        const to = c.obj(tp, x);
        if (to === undefined) return;
        c.unknownKeys(tp, to, ['name', 'local', 'remote', 'mtu', 'address']);
        const tname = c.str([...tp, 'name'], to.name, { pattern: NAME, what: 'a device name' });
        const local = c.parse([...tp, 'local'], to.local, parseIpv4, 'an IPv4 address');
        const remote =
          to.remote === undefined ? undefined : c.parse([...tp, 'remote'], to.remote, parseIpv4, 'an IPv4 address');
        const mtu = to.mtu === undefined ? undefined : c.int([...tp, 'mtu'], to.mtu, { min: 68, max: 65535 });
        const addresses =
          to.address === undefined
            ? []
            : [c.parse([...tp, 'address'], to.address, parseCidr, 'an IPv4 address with prefix length')].flatMap((a) =>
                a ? [a] : [],
              );
        if (tname === undefined || local === undefined) return;
        const t: IpipSpec = { name: tname, local, addresses };
        if (remote !== undefined) t.remote = remote;
        if (mtu !== undefined) t.mtu = mtu;
        ipips.push(t);
      });
    }
    const udpEncaps =
      o.udpEncaps === undefined
        ? []
        : (c.arr([...path, 'udpEncaps'], o.udpEncaps) ?? []).flatMap(
            (x, i) => checkUdpEncap(c, [...path, 'udpEncaps', i], x) ?? [],
          );
    udpEncaps.forEach(
      (u, i) =>
        udpEncaps.findIndex((x) => x.port === u.port) < i &&
        c.error([...path, 'udpEncaps', i, 'port'], `UDP port ${u.port} is already used by another udpEncap on ${name}`),
    );
    const devNames = new Set([
      ...interfaces.map((i) => i.name),
      ...vxlans.map((v) => v.name),
      ...ipips.map((t) => t.name),
    ]);
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
          if (n !== undefined && !devNames.has(n))
            c.error([...bp, 'ports', k], `no interface or vxlan device ${JSON.stringify(n)} on ${name}`);
          else if (n !== undefined) ports.push(n);
        });
        const addresses =
          bo.address === undefined
            ? []
            : [c.parse([...bp, 'address'], bo.address, parseCidr, 'an IPv4 address with prefix length')].flatMap((a) =>
                a ? [a] : [],
              );
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
        const to =
          ro.to === 'default'
            ? { addr: 0, len: 0 }
            : c.parse([...rp, 'to'], ro.to, parseCidr, 'a prefix (10.0.1.0/24) or "default"');
        const via = ro.via === undefined ? undefined : c.parse([...rp, 'via'], ro.via, parseIpv4, 'an IPv4 address');
        const dev = ro.dev === undefined ? undefined : c.str([...rp, 'dev'], ro.dev);
        if (dev !== undefined && !devNames.has(dev))
          c.error([...rp, 'dev'], `no interface ${JSON.stringify(dev)} on ${name}`);
        if (ro.via === undefined && ro.dev === undefined) c.error(rp, 'a route needs "via" or "dev"');
        if (to === undefined) return;
        const r: RouteSpecIn = { to };
        if (via !== undefined) r.via = via;
        if (dev !== undefined) r.dev = dev;
        routes.push(r);
      });
    }
    const node: NodeSpec = { kind, name, interfaces, bridges, vxlans, ipips, udpEncaps, routes, httpPorts: [], path };
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
    if (o.http !== undefined) {
      // a web server answering like traefik/whoami (who it is, and who it sees asking) on each port
      const hp = [...path, 'http'];
      const ho = c.obj(hp, o.http);
      if (ho !== undefined) {
        c.unknownKeys(hp, ho, ['ports']);
        (c.arr([...hp, 'ports'], ho.ports) ?? []).forEach((x, i) => {
          const port = c.int([...hp, 'ports', i], x, { min: 1, max: 65535 });
          if (port !== undefined) node.httpPorts.push(port);
        });
      }
    }
    if (o.resolvConf !== undefined) {
      const t = c.str([...path, 'resolvConf'], o.resolvConf);
      if (t !== undefined) node.resolvConf = t;
    }
    if (o.dns !== undefined) {
      const dp = [...path, 'dns'];
      const d = c.obj(dp, o.dns);
      if (d !== undefined) {
        c.unknownKeys(dp, d, ['hosts', 'forward']);
        const spec: DnsServerSpec = { forward: [] };
        if (d.hosts !== undefined) {
          const h = c.str([...dp, 'hosts'], d.hosts, { allowEmpty: true });
          if (h !== undefined) spec.hosts = h;
        }
        if (d.forward !== undefined) {
          (c.arr([...dp, 'forward'], d.forward) ?? []).forEach((x, i) => {
            const ip = c.parse([...dp, 'forward', i], x, parseIpv4, 'an IPv4 address');
            if (ip !== undefined) spec.forward.push(ip);
          });
        }
        node.dns = spec;
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
        if (po.vlans !== undefined)
          c.error([...pp, 'vlans'], 'only trunk ports carry a list of VLANs (set mode: trunk)');
        if (po.native !== undefined)
          c.error([...pp, 'native'], 'only trunk ports have a native VLAN (set mode: trunk)');
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
  c.unknownKeys(p, o, [
    'name',
    'mac',
    'vni',
    'local',
    'port',
    'remotes',
    'learning',
    'proxy',
    'df',
    'udpcsum',
    'ttl',
    'mtu',
    'address',
    'fdb',
    'arp',
  ]);
  const name = c.str([...p, 'name'], o.name, { pattern: NAME, what: 'a device name' });
  const vni = c.int([...p, 'vni'], o.vni, { min: 0, max: 0xffffff });
  const local = c.parse([...p, 'local'], o.local, parseIpv4, 'an IPv4 address');
  const port = o.port === undefined ? 4789 : c.int([...p, 'port'], o.port, { min: 1, max: 65535 });
  const flag = (k: string, d: boolean): boolean => (o[k] === undefined ? d : (c.bool([...p, k], o[k]) ?? d));
  const remotes: Ipv4[] = [];
  if (o.remotes !== undefined)
    (c.arr([...p, 'remotes'], o.remotes) ?? []).forEach((r, i) => {
      const ip = c.parse([...p, 'remotes', i], r, parseIpv4, 'an IPv4 address');
      if (ip !== undefined) remotes.push(ip);
    });
  const fdb: { mac: Mac; remote: Ipv4 }[] = [];
  if (o.fdb !== undefined)
    (c.arr([...p, 'fdb'], o.fdb) ?? []).forEach((r, i) => {
      const ro = c.obj([...p, 'fdb', i], r);
      if (ro === undefined) return;
      c.unknownKeys([...p, 'fdb', i], ro, ['mac', 'remote']);
      const mac = c.parse([...p, 'fdb', i, 'mac'], ro.mac, parseMac, 'a MAC address');
      const remote = c.parse([...p, 'fdb', i, 'remote'], ro.remote, parseIpv4, 'an IPv4 address');
      if (mac !== undefined && remote !== undefined) fdb.push({ mac, remote });
    });
  const arp: { ip: Ipv4; mac: Mac }[] = [];
  if (o.arp !== undefined)
    (c.arr([...p, 'arp'], o.arp) ?? []).forEach((r, i) => {
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
  const addresses =
    o.address === undefined
      ? []
      : [c.parse([...p, 'address'], o.address, parseCidr, 'an IPv4 address with prefix length')].flatMap((a) =>
          a ? [a] : [],
        );
  if (name === undefined || vni === undefined || local === undefined || port === undefined) return undefined;
  const spec: VxlanSpec = {
    name,
    vni,
    local,
    port,
    remotes,
    learning: flag('learning', true),
    proxy: flag('proxy', false),
    df: flag('df', false),
    udpcsum: flag('udpcsum', true),
    ttl,
    addresses,
    fdb,
    arp,
  };
  if (mac !== undefined) spec.mac = mac;
  if (mtu !== undefined) spec.mtu = mtu;
  return spec;
}

function checkUdpEncap(c: Checker, p: SpecPath, v: unknown): UdpEncapSpec | undefined {
  const o = c.obj(p, v);
  if (o === undefined) return undefined;
  c.unknownKeys(p, o, ['name', 'address', 'mtu', 'port', 'peers']);
  const name =
    o.name === undefined ? 'flannel0' : c.str([...p, 'name'], o.name, { pattern: NAME, what: 'a device name' });
  const addresses =
    o.address === undefined
      ? []
      : [
          c.parse([...p, 'address'], o.address, parseCidr, 'an IPv4 address with prefix length (10.244.0.0/32)'),
        ].flatMap((a) => (a ? [a] : []));
  const mtu = o.mtu === undefined ? undefined : c.int([...p, 'mtu'], o.mtu, { min: 68, max: 65535 });
  const port = o.port === undefined ? 8285 : c.int([...p, 'port'], o.port, { min: 1, max: 65535 });
  const peers: UdpEncapSpec['peers'] = [];
  if (o.peers !== undefined)
    (c.arr([...p, 'peers'], o.peers) ?? []).forEach((r, i) => {
      const pp = [...p, 'peers', i];
      const ro = c.obj(pp, r);
      if (ro === undefined) return;
      c.unknownKeys(pp, ro, ['subnet', 'remote']);
      const subnet = c.parse([...pp, 'subnet'], ro.subnet, parseCidr, 'a pod subnet (10.244.1.0/24)');
      const remote = c.parse([...pp, 'remote'], ro.remote, parseIpv4, "an IPv4 address (the peer host's public IP)");
      if (subnet !== undefined && peers.some((x) => x.subnet.addr === subnet.addr && x.subnet.len === subnet.len))
        c.error([...pp, 'subnet'], `subnet ${String(ro.subnet)} is listed twice`);
      else if (subnet !== undefined && remote !== undefined) peers.push({ subnet, remote });
    });
  if (name === undefined || port === undefined) return undefined;
  const spec: UdpEncapSpec = { name, addresses, port, peers };
  if (mtu !== undefined) spec.mtu = mtu;
  return spec;
}

/** Validates link properties (latency, bandwidth, mtu, queue, loss). */
export function checkLinkProps(c: Checker, path: SpecPath, v: unknown, extra: string[]): Partial<LinkProps> {
  const o = c.obj(path, v);
  const props: Partial<LinkProps> = {};
  if (o === undefined) return props;
  c.unknownKeys(path, o, ['latency', 'bandwidth', 'mtu', 'queue', 'loss', ...extra]);
  if (o.latency !== undefined) {
    const x = c.parse([...path, 'latency'], o.latency, parseDuration, 'a duration (1us, 2.5ms)');
    if (x !== undefined) props.latency = x;
  }
  if (o.bandwidth !== undefined) {
    const x = c.parse(
      [...path, 'bandwidth'],
      o.bandwidth,
      parseBandwidth,
      'a bandwidth (100Mbps, 10Gbps, or 0 for unlimited)',
    );
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
    if (typeof o.loss !== 'number' || !(o.loss >= 0 && o.loss < 1))
      c.error([...path, 'loss'], 'must be a probability in [0, 1)');
    else props.loss = o.loss;
  }
  return props;
}

/** Validates an endpoint NODE:PORT against the nodes. */
export function parseEnd(
  c: Checker,
  path: SpecPath,
  v: unknown,
  nodes: NodeSpec[],
): { node: string; port: string } | undefined {
  const s = c.str(path, v, { pattern: /^[^:]+:[^:]+$/, what: 'an endpoint NODE:PORT (A:eth0, sw1:p1)' });
  if (s === undefined) return undefined;
  const [node, port] = s.split(':') as [string, string];
  const n = nodes.find((x) => x.name === node);
  if (n === undefined) {
    c.error(path, `no node named ${JSON.stringify(node)}`);
    return undefined;
  }
  if ((n.kind === 'host' || n.kind === 'router') && !n.interfaces.some((i) => i.name === port)) {
    c.error(
      path,
      `${node} has no interface ${JSON.stringify(port)} (has: ${n.interfaces.map((i) => i.name).join(', ') || 'none'})`,
    );
    return undefined;
  }
  return { node, port };
}

/** Validates one link. */
export function checkLink(c: Checker, path: SpecPath, v: unknown, nodes: NodeSpec[]): LinkSpec | undefined {
  const o = c.obj(path, v);
  if (o === undefined) return undefined;
  const props = checkLinkProps(c, path, o, ['a', 'b']);
  const a = parseEnd(c, [...path, 'a'], o.a, nodes);
  const b = parseEnd(c, [...path, 'b'], o.b, nodes);
  if (a === undefined || b === undefined) return undefined;
  return { a, b, props, path };
}
