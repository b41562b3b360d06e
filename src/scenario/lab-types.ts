/**
 * The typed form of a Lab document: what the validators in lab.ts, lab-nodes.ts and lab-steps.ts produce
 * and what the builder and the step runner consume.
 */
import type { Ipv4, Ipv4Prefix, Mac } from '../wire/addr.js';
import type { LinkProps } from '../link/channel.js';
import type { Ruleset } from '../net/netfilter/rules.js';
import type { SourceDoc, SpecError, SpecPath } from './source.js';

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
  /** 802.1D spanning tree (`stp_state 1`), with this bridge priority (default 32768). */
  stp?: { priority?: number };
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

/** An 802.1Q sub-interface on a host or router (`ip link add link eth0 name eth0.10 type vlan id 10`). */
export interface VlanSpec {
  name: string;
  /** The parent interface. */
  link: string;
  id: number;
  mac?: Mac;
  mtu?: number;
  addresses: Ipv4Prefix[];
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

/** A DNS server on a node (UDP and TCP 53): /etc/hosts-style records, and upstreams for the rest. */
export interface DnsServerSpec {
  hosts?: string;
  forward: Ipv4[];
}

/** A node of the lab. */
export type NodeSpec =
  | {
      kind: 'host' | 'router';
      name: string;
      interfaces: InterfaceSpec[];
      bridges: BridgeSpec[];
      vlans: VlanSpec[];
      vxlans: VxlanSpec[];
      ipips: IpipSpec[];
      udpEncaps: UdpEncapSpec[];
      routes: RouteSpecIn[];
      iptables?: Ruleset;
      dns?: DnsServerSpec;
      resolvConf?: string;
      httpPorts: number[];
      /** `sysctl: { net.ipv4.tcp_congestion_control }`: what new TCP connections use (Linux's default cubic). */
      tcpCongestionControl?: 'cubic' | 'reno';
      path: SpecPath;
    }
  | {
      kind: 'switch';
      name: string;
      ports: SwitchPortSpec[];
      agingNs?: number;
      /** 802.1D spanning tree, with this bridge priority (default 32768). */
      stp?: { priority?: number };
      path: SpecPath;
    }
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
  | {
      kind: 'ping';
      from: string;
      to: Target;
      count: number;
      size?: number;
      ttl?: number;
      df?: boolean;
      interval?: number;
    }
  | {
      kind: 'udp';
      from: string;
      to: Target;
      srcPort: number;
      dstPort: number;
      data: string;
      count: number;
      listen: boolean;
      listenAt?: { node: string; port: number };
      size?: number;
      df?: boolean;
    }
  | { kind: 'wait'; duration: number }
  | { kind: 'show'; what: 'mac-table' | 'routes' | 'arp' | 'fdb' | 'conntrack' | 'iptables' | 'stp'; node: string }
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
  /** exec: fragments the output must not contain (a route that must be gone). */
  notContains?: string[];
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
  /** spec.limits: per-step budgets overriding the defaults (command-line flags override these). */
  limits: { maxEvents?: number; maxSimTime?: number };
  nodes: NodeSpec[];
  links: LinkSpec[];
  steps: StepSpec[];
  doc: SourceDoc;
}

/** The outcome of reading a lab. */
export type LabResult = { ok: true; lab: LabSpec } | { ok: false; errors: SpecError[] };
