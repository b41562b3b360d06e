/**
 * A Linux bridge inside an IP node (br0, cni0, docker0): member devices are its ports, it learns source
 * MACs per member with aging, forwards known unicast, floods the rest, and is itself an interface of the
 * node (frames for its own MAC, and broadcasts, go up to IP). No VLAN filtering, as Linux by default.
 * With `enableStp` (`ip link set br0 type bridge stp_state 1`) it runs 802.1D spanning tree (link/stp.ts)
 * and members learn and forward only as their port state allows (br_handle_frame); with STP off, BPDUs to
 * 01:80:c2:00:00:00 are flooded like other multicast, as Linux does.
 */
import { copyFrame } from '../wire/frame-alloc.js';
import type { Port } from '../link/device.js';
import { MAC_BROADCAST, formatMac, isGroupMac, readMac, type Mac } from '../wire/addr.js';
import { ETH_HEADER_LEN } from '../wire/ethernet.js';
import type { IpNode } from './ip-node.js';
import { EthernetDev, NetDev, type L2Master } from './netdev.js';
import { bridgeNetfilter } from './br-netfilter.js';
import { STP_GROUP_MAC, parseBpduFrame } from '../wire/stp.js';
import { StpBridge, type StpOptions, type StpPortIo, type StpPortState } from '../link/stp.js';

/** Linux's default bridge ageing time: 300 s. */
export const BRIDGE_AGEING_NS = 300_000_000_000;

interface FdbEntry {
  dev: NetDev;
  expires: number;
}

/** A software bridge. */
export class BridgeDev extends NetDev implements L2Master {
  readonly members: NetDev[] = [];
  private readonly fdb = new Map<Mac, FdbEntry>();
  /** The spanning tree, when enabled. */
  stp: StpBridge | undefined = undefined;
  private readonly stpIo = new Map<NetDev, StpPortIo>();

  constructor(
    readonly node: IpNode,
    name: string,
    mac: Mac,
    mtu = 1500,
    readonly ageingNs = BRIDGE_AGEING_NS,
  ) {
    super(name, mac, mtu);
  }

  /** Makes `dev` a port of this bridge (as `ip link set DEV master BR`). */
  enslave(dev: NetDev): void {
    if (dev.master !== undefined) throw new Error(`${this.node.name}: ${dev.name} already has a master`);
    dev.master = this;
    dev.promiscuous = true;
    this.members.push(dev);
  }

  /** Turns STP on for the current members (Linux: `stp_state 1`); port numbers follow enslave order. */
  enableStp(opts: StpOptions = {}): StpBridge {
    const stp = new StpBridge(
      this.node.engine,
      this.mac,
      {
        note: (m) => this.node.note(() => `${this.name}: ${m()}`),
        flushPort: (io) => {
          for (const [dev, mine] of this.stpIo) if (mine === io) this.flushDev(dev);
        },
      },
      opts,
    );
    for (const dev of this.members) {
      const port = dev instanceof EthernetDev ? dev.port : undefined;
      const io: StpPortIo = {
        name: dev.name,
        mac: dev.mac,
        carrier: () => dev.up && (port === undefined || port.tx !== undefined),
        speed: () => port?.link?.props.bandwidth ?? 0,
        send: (f) => dev.xmit(f),
      };
      this.stpIo.set(dev, io);
      stp.addPort(io);
    }
    this.stp = stp;
    this.node.engine.backgroundTimer(0, () => stp.start());
    return stp;
  }

  /** Member `dev` lost its carrier: what was learned on it goes (br_stp_disable_port -> br_fdb_delete_by_port, STP or not). */
  memberCarrierLost(dev: NetDev): void {
    this.flushDev(dev);
  }

  /** Forgets what was learned on member `dev` (br_fdb_delete_by_port). */
  private flushDev(dev: NetDev): void {
    for (const [mac, e] of this.fdb) if (e.dev === dev) this.fdb.delete(mac);
  }

  /** The STP state of member `dev` ('forwarding' without STP). */
  portState(dev: NetDev): StpPortState {
    const io = this.stpIo.get(dev);
    return this.stp === undefined || io === undefined ? 'forwarding' : this.stp.portState(io);
  }

  /** The ageing time now: 2 x forward delay during an STP topology change (__br_set_topology_change). */
  private get currentAgeingNs(): number {
    return this.stp?.ageingNs(this.ageingNs) ?? this.ageingNs;
  }

  private live(e: FdbEntry, now: number): boolean {
    return e.expires > now && e.expires - this.ageingNs + this.currentAgeingNs > now;
  }

  /** Learned entries, as `bridge fdb show` lists them. */
  entries(): { mac: Mac; dev: string; ageNs: number }[] {
    const now = this.node.engine.now;
    return [...this.fdb]
      .filter(([, e]) => this.live(e, now))
      .map(([mac, e]) => ({ mac, dev: e.dev.name, ageNs: now - (e.expires - this.ageingNs) }))
      .sort((a, b) => a.mac - b.mac);
  }

  /**
   * The bridge's entries on member `dev` as `bridge fdb show` lists them (br_fdb_dump walks br->fdb_list,
   * where each new entry goes first): what was learned there, newest first, then the member's own MAC,
   * which the bridge keeps as a permanent local entry from the moment the member joins (checked in a
   * namespace: re-learning an entry does not move it, one that aged out comes back first).
   */
  portEntries(dev: NetDev): { mac: Mac; permanent: boolean }[] {
    const now = this.node.engine.now;
    const learned: { mac: Mac; permanent: boolean }[] = [];
    for (const [mac, e] of this.fdb) if (e.dev === dev && this.live(e, now)) learned.push({ mac, permanent: false });
    return [...learned.reverse(), { mac: dev.mac, permanent: true }];
  }

  input(from: NetDev, frame: Uint8Array, port?: Port): void {
    const now = this.node.engine.now;
    const state = this.portState(from);
    if (this.stp !== undefined && readMac(frame, 0) === STP_GROUP_MAC) {
      // br_handle_frame: with STP on, frames to the Bridge Group Address go to the STP code, never forwarded
      const r = parseBpduFrame(frame);
      if (!r.ok) this.node.drop('malformed', frame, port, `${this.name}: ${r.error.field}: ${r.error.reason}`);
      else this.stp.receive(this.stpIo.get(from)!, r.value);
      return;
    }
    if (state !== 'forwarding' && state !== 'learning') {
      this.node.drop('stp-port-state', frame, port, `${this.name}: ${from.name} is ${state}`);
      return;
    }
    const src = readMac(frame, 6);
    if (!isGroupMac(src)) {
      const e = this.fdb.get(src);
      if (e === undefined || !this.live(e, now)) {
        // an entry that aged out is gone in Linux (br_fdb_cleanup): learning it again makes a new one,
        // the newest in `bridge fdb show`
        if (e !== undefined) this.fdb.delete(src);
        this.fdb.set(src, { dev: from, expires: now + this.ageingNs });
        this.node.note(() => `${this.name}: learned ${formatMac(src)} on ${from.name}`);
      } else {
        if (e.dev !== from) {
          const old = e.dev.name;
          this.node.note(() => `${this.name}: ${formatMac(src)} moved from ${old} to ${from.name}`);
          e.dev = from;
        }
        e.expires = now + this.ageingNs;
      }
    }
    if (state === 'learning') {
      this.node.drop('stp-port-state', frame, port, `${this.name}: ${from.name} is learning (no forwarding)`);
      return;
    }
    const dst = readMac(frame, 0);
    if (dst === this.mac) {
      this.passUp(frame, port);
      return;
    }
    if (isGroupMac(dst)) {
      this.flood(from, frame, dst, port);
      // the bridge's own stack gets broadcasts too (ARP for the bridge's address)
      this.passUp(copyFrame(frame), port);
      return;
    }
    // net.bridge.bridge-nf-call-iptables: bridged IPv4 goes through iptables (br-netfilter.ts)
    const nf = this.node.netfilter;
    if (this.node.bridgeNfCallIptables && nf !== undefined && !bridgeNetfilter(nf, this.name, frame)) return;
    this.forward(from, frame, dst, port);
  }

  /** br_pass_frame_up: the bridge device's own stack receives `frame`, counted from the network header. */
  private passUp(frame: Uint8Array, port: Port | undefined): void {
    this.rxPackets++;
    this.rxBytes += frame.length - ETH_HEADER_LEN;
    this.node.receiveOn(this, frame, port);
  }

  /** The node's IP layer sends out of the bridge interface (br_dev_xmit counts it first, header and all). */
  xmit(frame: Uint8Array, inPort?: Port): void {
    this.txPackets++;
    this.txBytes += frame.length;
    const dst = readMac(frame, 0);
    if (isGroupMac(dst)) this.flood(undefined, frame, dst, inPort);
    else this.forward(undefined, frame, dst, inPort);
  }

  private forward(from: NetDev | undefined, frame: Uint8Array, dst: Mac, port: Port | undefined): void {
    const e = this.fdb.get(dst);
    if (e === undefined || !this.live(e, this.node.engine.now)) {
      this.flood(from, frame, dst, port);
      return;
    }
    const outState = this.portState(e.dev);
    if (outState !== 'forwarding') {
      this.node.drop(
        'stp-port-state',
        frame,
        port,
        `${this.name}: ${formatMac(dst)} is behind ${e.dev.name}, ${outState}`,
      );
      return;
    }
    if (e.dev === from && !from.hairpin) {
      this.node.drop(
        'same-port',
        frame,
        port,
        `${this.name}: ${formatMac(dst)} is behind ${from.name}, where it came from (hairpin off)`,
      );
      return;
    }
    if (e.dev === from)
      this.node.note(
        () => `${this.name}: ${formatMac(dst)} is behind ${from.name}, where it came from: sent back (hairpin on)`,
      );
    this.node.note(() => `${this.name}: ${formatMac(dst)} is on ${e.dev.name}: forwarded`);
    this.out(e.dev, frame, port);
  }

  private flood(from: NetDev | undefined, frame: Uint8Array, dst: Mac, port: Port | undefined): void {
    const targets = this.members.filter((d) => d !== from && d.up && this.portState(d) === 'forwarding');
    this.node.note(
      () =>
        `${this.name}: ${dst === MAC_BROADCAST ? 'broadcast' : isGroupMac(dst) ? 'multicast' : `unknown ${formatMac(dst)}`} flooded to ${targets.map((d) => d.name).join(', ') || 'no port'}`,
    );
    for (let i = 0; i < targets.length; i++)
      this.out(targets[i]!, i === targets.length - 1 ? frame : copyFrame(frame), port);
  }

  private out(dev: NetDev, frame: Uint8Array, port: Port | undefined): void {
    const l3 = frame.length - ETH_HEADER_LEN;
    if (l3 > dev.mtu) {
      // Linux's bridge drops silently here (br_dev_queue_push_xmit); we say why
      this.node.drop('mtu-exceeded', frame, port, `${this.name}: ${l3} bytes > MTU ${dev.mtu} of ${dev.name}`);
      return;
    }
    dev.xmit(frame, port);
  }
}
