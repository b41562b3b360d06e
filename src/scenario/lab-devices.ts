/**
 * Validation of what a lab host or router carries besides its nodes' identity: interfaces, VXLAN, IPIP,
 * flannel udp (udpEncap) and bridge devices, static routes, its DNS server. Each checker takes one
 * object and returns its spec, or undefined after reporting why through the Checker. Addresses that
 * Linux would refuse are refused here with iproute2's wording (checked with `ip` in a network namespace).
 */
import {
  formatIpv4,
  formatMac,
  isGroupMac,
  parseCidr,
  parseIpv4,
  parseMac,
  prefixMask,
  type Ipv4,
  type Ipv4Prefix,
  type Mac,
} from '../wire/addr.js';
import type { Checker, SpecPath } from './source.js';
import type {
  BridgeSpec,
  DnsServerSpec,
  InterfaceSpec,
  IpipSpec,
  RouteSpecIn,
  UdpEncapSpec,
  VlanSpec,
  VxlanSpec,
} from './lab-types.js';

/** Names of nodes, interfaces and ports. */
export const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

const CIDR = 'an IPv4 address with prefix length (10.0.0.2/24)';

/** An IPv4 address. */
export function ipv4(c: Checker, path: SpecPath, v: unknown): Ipv4 | undefined {
  return c.parse(path, v, parseIpv4, 'an IPv4 address');
}

/** An optional `address: CIDR` field as the list of addresses a device gets. */
export function optionalAddress(c: Checker, path: SpecPath, v: unknown, what = CIDR): Ipv4Prefix[] {
  const a = v === undefined ? undefined : c.parse(path, v, parseCidr, what);
  return a === undefined ? [] : [a];
}

/**
 * The MAC address of a device. Linux refuses a multicast or all-zero one (eth_prepare_mac_addr_change →
 * is_valid_ether_addr): `ip link set dev X address 01:00:5e:00:00:01` says
 * "RTNETLINK answers: Cannot assign requested address".
 */
export function deviceMac(c: Checker, path: SpecPath, v: unknown): Mac | undefined {
  const mac = c.parse(path, v, parseMac, 'a MAC address (aa:bb:cc:dd:ee:ff)');
  if (mac === undefined) return undefined;
  if (isGroupMac(mac) || mac === 0) {
    const kind = mac === 0 ? 'the all-zero address' : 'a multicast address';
    c.error(path, `Cannot assign requested address: ${formatMac(mac)} is ${kind}; an interface needs a unicast MAC`);
    return undefined;
  }
  return mac;
}

/** One interface of a host or router; `taken` are the names before it. */
export function checkInterface(
  c: Checker,
  p: SpecPath,
  v: unknown,
  taken: readonly string[],
): InterfaceSpec | undefined {
  const o = c.fields(p, v, ['name', 'mac', 'address', 'addresses', 'mtu', 'proxyArp']);
  if (o === undefined) return undefined;
  const name = c.str([...p, 'name'], o.name, { pattern: NAME, what: 'an interface name' });
  const mac = o.mac === undefined ? undefined : deviceMac(c, [...p, 'mac'], o.mac);
  const addresses = [
    ...optionalAddress(c, [...p, 'address'], o.address),
    ...c.each([...p, 'addresses'], o.addresses, (ap, a) => c.parse(ap, a, parseCidr, CIDR)),
  ];
  const mtu = o.mtu === undefined ? undefined : c.int([...p, 'mtu'], o.mtu, { min: 68, max: 65535 });
  const proxyArp = o.proxyArp === undefined ? false : (c.bool([...p, 'proxyArp'], o.proxyArp) ?? false);
  if (name === undefined) return undefined;
  if (taken.includes(name)) c.error([...p, 'name'], `duplicate interface ${JSON.stringify(name)}`);
  const spec: InterfaceSpec = { name, addresses, proxyArp };
  if (mac !== undefined) spec.mac = mac;
  if (mtu !== undefined) spec.mtu = mtu;
  return spec;
}

/** One VXLAN device. */
export function checkVxlan(c: Checker, p: SpecPath, v: unknown): VxlanSpec | undefined {
  const o = c.fields(p, v, [
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
  if (o === undefined) return undefined;
  const name = c.str([...p, 'name'], o.name, { pattern: NAME, what: 'a device name' });
  const vni = c.int([...p, 'vni'], o.vni, { min: 0, max: 0xffffff });
  const local = ipv4(c, [...p, 'local'], o.local);
  const port = o.port === undefined ? 4789 : c.int([...p, 'port'], o.port, { min: 1, max: 65535 });
  const flag = (k: 'learning' | 'proxy' | 'df' | 'udpcsum', d: boolean): boolean =>
    o[k] === undefined ? d : (c.bool([...p, k], o[k]) ?? d);
  const remotes = c.each([...p, 'remotes'], o.remotes, (rp, r) => ipv4(c, rp, r));
  const fdb = c.each([...p, 'fdb'], o.fdb, (rp, r) => {
    const ro = c.fields(rp, r, ['mac', 'remote']);
    if (ro === undefined) return undefined;
    const mac = c.parse([...rp, 'mac'], ro.mac, parseMac, 'a MAC address');
    const remote = ipv4(c, [...rp, 'remote'], ro.remote);
    return mac !== undefined && remote !== undefined ? { mac, remote } : undefined;
  });
  const arp = c.each([...p, 'arp'], o.arp, (rp, r) => {
    const ro = c.fields(rp, r, ['ip', 'mac']);
    if (ro === undefined) return undefined;
    const ip = ipv4(c, [...rp, 'ip'], ro.ip);
    const mac = c.parse([...rp, 'mac'], ro.mac, parseMac, 'a MAC address');
    return mac !== undefined && ip !== undefined ? { ip, mac } : undefined;
  });
  const mac = o.mac === undefined ? undefined : deviceMac(c, [...p, 'mac'], o.mac);
  const mtu = o.mtu === undefined ? undefined : c.int([...p, 'mtu'], o.mtu, { min: 68, max: 65535 });
  const ttl = o.ttl === undefined ? 64 : (c.int([...p, 'ttl'], o.ttl, { min: 1, max: 255 }) ?? 64);
  const addresses = optionalAddress(c, [...p, 'address'], o.address);
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

/**
 * One 802.1Q sub-interface. `interfaces` are the node's NIC names (its parent must be one); `taken` the
 * device names already in use, and the (link, id) pairs of earlier VLAN devices, to refuse duplicates.
 */
export function checkVlan(
  c: Checker,
  p: SpecPath,
  v: unknown,
  interfaces: readonly string[],
  earlier: readonly VlanSpec[],
): VlanSpec | undefined {
  const o = c.fields(p, v, ['name', 'link', 'id', 'mac', 'mtu', 'address']);
  if (o === undefined) return undefined;
  const name = c.str([...p, 'name'], o.name, { pattern: NAME, what: 'a device name (eth0.10)' });
  const link = c.str([...p, 'link'], o.link, { what: 'the parent interface (eth0)' });
  const id = c.int([...p, 'id'], o.id, { min: 1, max: 4094 });
  const mac = o.mac === undefined ? undefined : c.parse([...p, 'mac'], o.mac, parseMac, 'a MAC address');
  const mtu = o.mtu === undefined ? undefined : c.int([...p, 'mtu'], o.mtu, { min: 68, max: 65535 });
  const addresses = optionalAddress(c, [...p, 'address'], o.address, 'an IPv4 address with prefix length');
  if (link !== undefined && !interfaces.includes(link))
    c.error(
      [...p, 'link'],
      `no interface ${link} on this node (a VLAN device sits on one of: ${interfaces.join(', ')})`,
    );
  if (name !== undefined && (interfaces.includes(name) || earlier.some((e) => e.name === name)))
    c.error([...p, 'name'], `device name ${name} is already used on this node`);
  if (link !== undefined && id !== undefined && earlier.some((e) => e.link === link && e.id === id))
    c.error([...p, 'id'], `${link} already has a VLAN device with id ${id}`);
  if (name === undefined || link === undefined || id === undefined || !interfaces.includes(link)) return undefined;
  const spec: VlanSpec = { name, link, id, addresses };
  if (mac !== undefined) spec.mac = mac;
  if (mtu !== undefined) spec.mtu = mtu;
  return spec;
}

/** One IP-in-IP device. */
export function checkIpip(c: Checker, p: SpecPath, v: unknown): IpipSpec | undefined {
  const o = c.fields(p, v, ['name', 'local', 'remote', 'mtu', 'address']);
  if (o === undefined) return undefined;
  const name = c.str([...p, 'name'], o.name, { pattern: NAME, what: 'a device name' });
  const local = ipv4(c, [...p, 'local'], o.local);
  const remote = o.remote === undefined ? undefined : ipv4(c, [...p, 'remote'], o.remote);
  const mtu = o.mtu === undefined ? undefined : c.int([...p, 'mtu'], o.mtu, { min: 68, max: 65535 });
  const addresses = optionalAddress(c, [...p, 'address'], o.address, 'an IPv4 address with prefix length');
  if (name === undefined || local === undefined) return undefined;
  const t: IpipSpec = { name, local, addresses };
  if (remote !== undefined) t.remote = remote;
  if (mtu !== undefined) t.mtu = mtu;
  return t;
}

/** One flannel udp-backend device (a TUN and its agent). */
export function checkUdpEncap(c: Checker, p: SpecPath, v: unknown): UdpEncapSpec | undefined {
  const o = c.fields(p, v, ['name', 'address', 'mtu', 'port', 'peers']);
  if (o === undefined) return undefined;
  const name =
    o.name === undefined ? 'flannel0' : c.str([...p, 'name'], o.name, { pattern: NAME, what: 'a device name' });
  const addresses = optionalAddress(
    c,
    [...p, 'address'],
    o.address,
    'an IPv4 address with prefix length (10.244.0.0/32)',
  );
  const mtu = o.mtu === undefined ? undefined : c.int([...p, 'mtu'], o.mtu, { min: 68, max: 65535 });
  const port = o.port === undefined ? 8285 : c.int([...p, 'port'], o.port, { min: 1, max: 65535 });
  const peers: UdpEncapSpec['peers'] = [];
  c.each([...p, 'peers'], o.peers, (pp, r) => {
    const ro = c.fields(pp, r, ['subnet', 'remote']);
    if (ro === undefined) return;
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

/** One Linux bridge; its ports must be devices of `node` (names in `devices`). */
export function checkBridge(
  c: Checker,
  p: SpecPath,
  v: unknown,
  node: string,
  devices: ReadonlySet<string>,
): BridgeSpec | undefined {
  const o = c.fields(p, v, ['name', 'mac', 'ports', 'address', 'stp', 'priority']);
  if (o === undefined) return undefined;
  const name = c.str([...p, 'name'], o.name, { pattern: NAME, what: 'a device name' });
  const mac = o.mac === undefined ? undefined : deviceMac(c, [...p, 'mac'], o.mac);
  const ports = c.each(
    [...p, 'ports'],
    o.ports,
    (pp, pn) => {
      const n = c.str(pp, pn);
      if (n !== undefined && !devices.has(n)) {
        c.error(pp, `no interface or vxlan device ${JSON.stringify(n)} on ${node}`);
        return undefined;
      }
      return n;
    },
    { required: true },
  );
  const addresses = optionalAddress(c, [...p, 'address'], o.address, 'an IPv4 address with prefix length');
  if (name === undefined) return undefined;
  const b: BridgeSpec = { name, ports, addresses };
  if (mac !== undefined) b.mac = mac;
  const stp = checkStp(c, p, o);
  if (stp !== undefined) b.stp = stp;
  return b;
}

/** `stp: true` and an optional `priority` (0-65535, the bridge id's top 16 bits) on a switch or bridge. */
export function checkStp(c: Checker, p: SpecPath, o: Record<string, unknown>): { priority?: number } | undefined {
  const on = o.stp === undefined ? false : (c.bool([...p, 'stp'], o.stp) ?? false);
  if (o.priority !== undefined && !on)
    c.error([...p, 'priority'], 'priority is the STP bridge priority: set stp: true');
  if (!on) return undefined;
  const prio = o.priority === undefined ? undefined : c.int([...p, 'priority'], o.priority, { min: 0, max: 65535 });
  return prio === undefined ? {} : { priority: prio };
}

/**
 * One static route. A destination with host bits set is refused as iproute2 refuses
 * `ip route add 10.5.5.5/16 ...`: "Error: Invalid prefix for given prefix length."
 */
export function checkRoute(
  c: Checker,
  p: SpecPath,
  v: unknown,
  node: string,
  devices: ReadonlySet<string>,
): RouteSpecIn | undefined {
  const o = c.fields(p, v, ['to', 'via', 'dev']);
  if (o === undefined) return undefined;
  let to =
    o.to === 'default'
      ? { addr: 0, len: 0 }
      : c.parse([...p, 'to'], o.to, parseCidr, 'a prefix (10.0.1.0/24) or "default"');
  if (to !== undefined && (to.addr & prefixMask(to.len)) >>> 0 !== to.addr >>> 0) {
    const network = `${formatIpv4((to.addr & prefixMask(to.len)) >>> 0)}/${to.len}`;
    c.error(
      [...p, 'to'],
      `Invalid prefix for given prefix length: ${String(o.to)} has host bits set (the prefix is ${network})`,
    );
    to = undefined;
  }
  const via = o.via === undefined ? undefined : ipv4(c, [...p, 'via'], o.via);
  const dev = o.dev === undefined ? undefined : c.str([...p, 'dev'], o.dev);
  if (dev !== undefined && !devices.has(dev)) c.error([...p, 'dev'], `no interface ${JSON.stringify(dev)} on ${node}`);
  if (o.via === undefined && o.dev === undefined) c.error(p, 'a route needs "via" or "dev"');
  if (to === undefined) return undefined;
  const r: RouteSpecIn = { to };
  if (via !== undefined) r.via = via;
  if (dev !== undefined) r.dev = dev;
  return r;
}

/** A node's DNS server: hosts records and upstreams. */
export function checkDns(c: Checker, p: SpecPath, v: unknown): DnsServerSpec | undefined {
  const d = c.fields(p, v, ['hosts', 'forward']);
  if (d === undefined) return undefined;
  const spec: DnsServerSpec = { forward: c.each([...p, 'forward'], d.forward, (fp, x) => ipv4(c, fp, x)) };
  if (d.hosts !== undefined) {
    const h = c.str([...p, 'hosts'], d.hosts, { allowEmpty: true });
    if (h !== undefined) spec.hosts = h;
  }
  return spec;
}

/** A node's web server (traefik/whoami-like): the ports it listens on. */
export function checkHttp(c: Checker, p: SpecPath, v: unknown): number[] {
  const ho = c.fields(p, v, ['ports']);
  if (ho === undefined) return [];
  return c.each([...p, 'ports'], ho.ports, (pp, x) => c.int(pp, x, { min: 1, max: 65535 }), { required: true });
}
