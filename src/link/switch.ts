/**
 * A learning bridge (IEEE 802.1D/802.1Q): one MAC table per VLAN with aging, flooding of broadcast,
 * multicast and unknown unicast inside the VLAN, access and trunk ports. Inside the switch a frame is held
 * untagged plus its VLAN id; the tag is added only on the way out of a trunk for a non-native VLAN.
 * With `enableStp` it runs IEEE 802.1D spanning tree (link/stp.ts): BPDUs to 01:80:c2:00:00:00 are
 * consumed, and a port learns and forwards only in the states 802.1D 8.4 allows. Without STP those BPDUs
 * are flooded like any multicast, as a Linux bridge with stp_state 0 does (br_handle_frame "must forward
 * to keep loop detection").
 */
import { copyFrame } from '../wire/frame-alloc.js';
import { Device, type Port } from './device.js';
import type { Network } from './device.js';
import { MAC_BROADCAST, formatMac, isGroupMac, readMac, type Mac } from '../wire/addr.js';
import { STP_GROUP_MAC, parseBpduFrame } from '../wire/stp.js';
import { StpBridge, type StpOptions, type StpPortIo } from './stp.js';
import {
  ETH_HEADER_LEN,
  ETHERTYPE_VLAN,
  VLAN_TAG_LEN,
  etherTypeAt,
  insertVlanTag,
  stripVlanTag,
  vlanIdAt,
} from '../wire/ethernet.js';

/** How a switch port treats VLANs. */
export interface SwitchPortConfig {
  /** access: untagged frames in one VLAN; trunk: 802.1Q-tagged frames for several VLANs. */
  mode: 'access' | 'trunk';
  /** The access VLAN, or the trunk's native (untagged) VLAN. */
  vlan: number;
  /** Trunk only: the VLANs allowed; undefined allows 1-4094. */
  allowed?: ReadonlySet<number>;
}

/** A port's configuration when none was given: access, VLAN 1 (a switch's factory default). */
const DEFAULT_PORT: Readonly<SwitchPortConfig> = Object.freeze({ mode: 'access', vlan: 1 });

/** One learned address. */
export interface MacEntry {
  port: Port;
  /** Absolute time (ns) after which the entry no longer counts. */
  expires: number;
}

/** A MAC table row, for people. */
export interface MacTableRow {
  vlan: number;
  mac: Mac;
  port: string;
  /** Seconds since last seen. */
  age: number;
}

/** Default MAC aging (IEEE 802.1D: 300 s). */
export const DEFAULT_MAC_AGING_NS = 300_000_000_000;

/** A MAC-learning, VLAN-aware Ethernet switch. */
export class Switch extends Device {
  private readonly configs: Readonly<SwitchPortConfig>[] = [];
  private readonly tables = new Map<number, Map<Mac, MacEntry>>();
  /** The spanning tree, when enabled. */
  stp: StpBridge | undefined = undefined;
  private readonly stpIo: StpPortIo[] = [];

  constructor(
    network: Network,
    name: string,
    readonly agingNs = DEFAULT_MAC_AGING_NS,
  ) {
    super(network, name);
  }

  get kind(): string {
    return 'switch';
  }

  /** Adds a port with its VLAN mode (access VLAN 1 by default). */
  addSwitchPort(name: string, config: Readonly<SwitchPortConfig> = DEFAULT_PORT): Port {
    const p = this.addPort(name);
    this.configs[p.index] = config;
    return p;
  }

  /** The VLAN configuration of `port`. */
  portConfig(port: Port): Readonly<SwitchPortConfig> {
    return this.configs[port.index] ?? DEFAULT_PORT;
  }

  /**
   * Runs 802.1D STP on every port the switch has now (call it after linking). The bridge id's MAC is
   * `mac`; port n's BPDUs come from `mac + n`, as a hardware switch's per-port addresses.
   */
  enableStp(mac: Mac, opts: StpOptions = {}): StpBridge {
    const stp = new StpBridge(
      this.engine,
      mac,
      {
        note: (m) => this.note(m),
        flushPort: (io) => this.flushPort(this.ports[this.stpIo.indexOf(io)]!),
      },
      opts,
    );
    for (const p of this.ports) {
      const io: StpPortIo = {
        name: p.name,
        mac: mac + p.index + 1,
        carrier: () => p.tx !== undefined,
        speed: () => p.link?.props.bandwidth ?? 0,
        send: (f) => this.transmit(p, f),
      };
      this.stpIo[p.index] = io;
      stp.addPort(io);
    }
    this.stp = stp;
    this.engine.backgroundTimer(0, () => stp.start());
    return stp;
  }

  /** The 802.1D state of `port` ('forwarding' without STP). */
  stpState(port: Port): string {
    const io = this.stpIo[port.index];
    return this.stp === undefined || io === undefined ? 'forwarding' : this.stp.portState(io);
  }

  /** A port without carrier forgets what it learned (as the Linux bridge that stands in for a switch in `podnet up`). */
  override carrierLost(port: Port): void {
    this.flushPort(port);
  }

  private flushPort(port: Port): void {
    for (const t of this.tables.values()) for (const [mac, e] of t) if (e.port === port) t.delete(mac);
  }

  /** Entries age after agingNs, or after 2 x forward delay while STP signals a topology change. */
  private expired(e: MacEntry, now: number): boolean {
    if (e.expires <= now) return true;
    return (
      this.stp !== undefined &&
      this.stp.topologyChange &&
      e.expires - this.agingNs + this.stp.ageingNs(this.agingNs) <= now
    );
  }

  /** Forgets every learned address. */
  flushMacTable(): void {
    this.tables.clear();
  }

  /** The live MAC table, sorted by VLAN then MAC. */
  macTable(): MacTableRow[] {
    const now = this.engine.now;
    const rows: MacTableRow[] = [];
    for (const [vlan, t] of this.tables) {
      for (const [mac, e] of t) {
        if (this.expired(e, now)) continue;
        rows.push({ vlan, mac, port: e.port.name, age: (now - (e.expires - this.agingNs)) / 1e9 });
      }
    }
    return rows.sort((x, y) => x.vlan - y.vlan || x.mac - y.mac);
  }

  receive(port: Port, frame: Uint8Array): void {
    if (frame.length < ETH_HEADER_LEN) {
      this.drop('malformed', frame, port, 'shorter than an Ethernet header');
      return;
    }
    const stpState = this.stpState(port);
    if (this.stp !== undefined && readMac(frame, 0) === STP_GROUP_MAC) {
      const r = parseBpduFrame(frame);
      if (!r.ok) {
        this.drop('malformed', frame, port, `${r.error.field}: ${r.error.reason}`);
        return;
      }
      this.stp.receive(this.stpIo[port.index]!, r.value);
      return;
    }
    if (stpState !== 'forwarding' && stpState !== 'learning') {
      this.drop('stp-port-state', frame, port, `${port.name} is ${stpState} (802.1D: no learning, no forwarding)`);
      return;
    }
    const cfg = this.configs[port.index] ?? DEFAULT_PORT;
    let vid = cfg.vlan;
    let f = frame;
    if (etherTypeAt(frame) === ETHERTYPE_VLAN) {
      if (frame.length < ETH_HEADER_LEN + VLAN_TAG_LEN) {
        this.drop('malformed', frame, port, 'truncated 802.1Q tag');
        return;
      }
      if (cfg.mode === 'access') {
        this.drop('vlan-mismatch', frame, port, `tagged frame (VLAN ${vlanIdAt(frame)}) on access port ${port.name}`);
        return;
      }
      const tagVid = vlanIdAt(frame);
      if (tagVid !== 0) vid = tagVid; // VID 0 is a priority tag: the frame belongs to the native VLAN
      f = stripVlanTag(frame);
    }
    if (cfg.mode === 'trunk' && cfg.allowed !== undefined && !cfg.allowed.has(vid)) {
      this.drop('vlan-mismatch', frame, port, `VLAN ${vid} not allowed on trunk ${port.name}`);
      return;
    }
    const src = readMac(f, 6);
    if (isGroupMac(src)) {
      this.drop('malformed', frame, port, `group source address ${formatMac(src)}`);
      return;
    }
    const now = this.engine.now;
    let table = this.tables.get(vid);
    if (table === undefined) {
      table = new Map();
      this.tables.set(vid, table);
    }
    const known = table.get(src);
    if (known !== undefined && this.expired(known, now)) known.expires = now; // aged out, however it aged
    if (known === undefined) {
      table.set(src, { port, expires: now + this.agingNs });
      this.note(() => `learned ${formatMac(src)} on ${port.name} (VLAN ${vid})`);
    } else {
      if (known.port !== port || known.expires <= now) {
        const from = known.port.name;
        const aged = known.expires <= now;
        this.note(() =>
          aged
            ? `learned ${formatMac(src)} on ${port.name} (VLAN ${vid}, old entry had aged out)`
            : `${formatMac(src)} moved from ${from} to ${port.name} (VLAN ${vid})`,
        );
        known.port = port;
      }
      known.expires = now + this.agingNs;
    }
    if (stpState === 'learning') {
      this.drop('stp-port-state', frame, port, `${port.name} is learning (802.1D: learns, does not forward)`);
      return;
    }
    const dst = readMac(f, 0);
    if (!isGroupMac(dst)) {
      const e = table.get(dst);
      if (e !== undefined && !this.expired(e, now)) {
        if (e.port === port) {
          this.drop('same-port', frame, port, `${formatMac(dst)} is on the port the frame came in on`);
          return;
        }
        const outState = this.stpState(e.port);
        if (outState !== 'forwarding') {
          this.drop('stp-port-state', frame, port, `${formatMac(dst)} is on ${e.port.name}, which is ${outState}`);
          return;
        }
        this.note(() => `${formatMac(dst)} is on ${e.port.name} (MAC table, VLAN ${vid}): forwarded`);
        this.egress(e.port, f, vid, port);
        return;
      }
      if (e !== undefined) table.delete(dst);
    }
    this.flood(port, f, vid, dst);
  }

  private flood(inPort: Port, f: Uint8Array, vid: number, dst: Mac): void {
    const out: Port[] = [];
    for (const p of this.ports)
      if (p !== inPort && p.tx !== undefined && this.isMember(p, vid) && this.stpState(p) === 'forwarding') out.push(p);
    this.note(() => {
      const why =
        dst === MAC_BROADCAST ? 'broadcast' : isGroupMac(dst) ? 'multicast' : `unknown unicast ${formatMac(dst)}`;
      return out.length === 0
        ? `${why} in VLAN ${vid}: no other member port`
        : `${why}: flooded in VLAN ${vid} to ${out.map((p) => p.name).join(', ')}`;
    });
    // every copy but the last is a fresh buffer: the receivers may rewrite theirs in place
    for (let i = 0; i < out.length; i++) this.egress(out[i]!, i === out.length - 1 ? f : copyFrame(f), vid, inPort);
  }

  private isMember(p: Port, vid: number): boolean {
    const c = this.configs[p.index] ?? DEFAULT_PORT;
    if (c.mode === 'access') return c.vlan === vid;
    return c.allowed === undefined ? true : c.allowed.has(vid);
  }

  private egress(out: Port, f: Uint8Array, vid: number, inPort: Port): void {
    const c = this.configs[out.index] ?? DEFAULT_PORT;
    this.transmit(out, c.mode === 'trunk' && vid !== c.vlan ? insertVlanTag(f, vid) : f, inPort);
  }
}
