/**
 * IEEE 802.1D-1998 clause 8 Spanning Tree Protocol, written after Linux's net/bridge/br_stp.c,
 * br_stp_timer.c and br_stp_if.c (function names are kept in comments so the two can be read side by
 * side): root election, root and designated port selection, the port states blocking -> listening ->
 * learning -> forwarding, the hello / message-age / forward-delay / hold / TCN / topology-change timers,
 * and topology-change ageing. It owns no frames but BPDUs: the switch or bridge that embeds it asks
 * `portState` before it learns or forwards, and passes it frames to 01:80:c2:00:00:00.
 */
import type { Engine, Timer } from '../sim/engine.js';
import { type Mac, formatMac } from '../wire/addr.js';
import { type Bpdu, type BridgeId, type ConfigBpdu, buildBpduFrame, compareBridgeId } from '../wire/stp.js';
import { SECOND } from '../sim/engine.js';

/** The 802.1D port states (Linux BR_STATE_*). */
export type StpPortState = 'disabled' | 'listening' | 'learning' | 'forwarding' | 'blocking';

/** What a port is for in the tree (802.1D-2004 names; 1998 calls a non-designated, non-root port blocked). */
export type StpPortRole = 'root' | 'designated' | 'alternate' | 'disabled';

/** Linux's defaults (br_stp_if.c / br_if.c): bridge priority 0x8000, port priority 32, 2 / 20 / 15 s. */
export const STP_DEFAULT_BRIDGE_PRIORITY = 0x8000;
/** Linux's default port priority (0-63; shifted into the top 6 bits of the port id). */
export const STP_DEFAULT_PORT_PRIORITY = 32;
/** Linux BR_PORT_BITS: the port number's width in a port id. */
export const STP_PORT_BITS = 10;
/** Hello time, 2 s. */
export const STP_HELLO_NS = 2 * SECOND;
/** Max age, 20 s. */
export const STP_MAX_AGE_NS = 20 * SECOND;
/** Forward delay, 15 s. */
export const STP_FORWARD_DELAY_NS = 15 * SECOND;
/** Linux BR_HOLD_TIME: at most one config BPDU per port per second. */
export const STP_HOLD_NS = 1 * SECOND;
/** How often the embedding device's carrier is looked at (Linux gets a NETDEV_CHANGE at once). */
export const STP_CARRIER_POLL_NS = 1 * SECOND;

const TICK_NS = SECOND / 256; // BPDU times are in 1/256 s (802.1D 9.2.8); 3_906_250 ns exactly

/** Linux MESSAGE_AGE_INCR with HZ >= 256: one 1/256 s tick. */
const MESSAGE_AGE_INCR_NS = TICK_NS;

/** Linux br_make_port_id(): priority << 10 | port number. */
export function makePortId(priority: number, portNo: number): number {
  return ((priority << STP_PORT_BITS) | (portNo & ((1 << STP_PORT_BITS) - 1))) & 0xffff;
}

/**
 * Linux port_cost() (net/bridge/br_if.c) from the link speed in bit/s: 10 Gb/s -> 2, 5 Gb/s -> 3,
 * 2.5 and 1 Gb/s -> 4, 100 Mb/s -> 19, 10 Mb/s -> 100, faster than 10 Gb/s -> 1, anything else 100.
 */
export function portCostForSpeed(bps: number): number {
  const mbps = bps / 1e6;
  if (mbps > 10_000) return 1;
  switch (mbps) {
    case 10_000:
      return 2;
    case 5000:
      return 3;
    case 2500:
    case 1000:
      return 4;
    case 100:
      return 19;
    default:
      return 100;
  }
}

/** What STP needs from one port of the device it runs on. */
export interface StpPortIo {
  readonly name: string;
  /** Source MAC of the BPDUs sent out of this port (Linux uses the port device's own address). */
  readonly mac: Mac;
  /** True when the port has a link (Linux: netif_oper_up). */
  carrier(): boolean;
  /** Link speed in bit/s, for the default path cost; 0 if unknown. */
  speed(): number;
  /** Puts a complete frame on the port's wire. */
  send(frame: Uint8Array): void;
}

/** What STP tells the device it runs on. */
export interface StpHost {
  /** A trace line. */
  note(message: () => string): void;
  /** Linux br_fdb_delete_by_port when a port is disabled. */
  flushPort(io: StpPortIo): void;
}

/** Tunables, as `ip link add ... type bridge priority P stp_state 1`. */
export interface StpOptions {
  priority?: number;
}

/** One port's 802.1D variables (802.1D 8.5.5, Linux struct net_bridge_port). */
export class StpPort {
  state: StpPortState = 'disabled';
  pathCost: number;
  designatedRoot: BridgeId;
  designatedCost = 0;
  designatedBridge: BridgeId;
  designatedPort: number;
  /** Engine time of the root's BPDU this port holds, minus its message age (Linux designated_age). */
  designatedAge = 0;
  topologyChangeAck = false;
  configPending = false;
  messageAgeTimer: Timer | undefined = undefined;
  forwardDelayTimer: Timer | undefined = undefined;
  holdTimer: Timer | undefined = undefined;
  /** When the running timers fire, for the showstp view. */
  messageAgeAt = 0;
  forwardDelayAt = 0;
  holdAt = 0;
  /** Config BPDUs received here that carried the topology-change flag, etc., for people. */
  bpdusIn = 0;
  bpdusOut = 0;

  constructor(
    readonly io: StpPortIo,
    /** Linux port_no: 1, 2, ... in the order ports were added. */
    readonly portNo: number,
    readonly portId: number,
    bridgeId: BridgeId,
  ) {
    this.pathCost = portCostForSpeed(io.speed());
    this.designatedRoot = bridgeId;
    this.designatedBridge = bridgeId;
    this.designatedPort = portId;
  }
}

/** One bridge's 802.1D protocol machine (Linux struct net_bridge's STP half). */
export class StpBridge {
  readonly ports: StpPort[] = [];
  readonly bridgeId: BridgeId;
  designatedRoot: BridgeId;
  rootPathCost = 0;
  /** The root port's number, 0 for none (the root bridge). */
  rootPort = 0;
  maxAgeNs = STP_MAX_AGE_NS;
  helloNs = STP_HELLO_NS;
  forwardDelayNs = STP_FORWARD_DELAY_NS;
  readonly bridgeMaxAgeNs = STP_MAX_AGE_NS;
  readonly bridgeHelloNs = STP_HELLO_NS;
  readonly bridgeForwardDelayNs = STP_FORWARD_DELAY_NS;
  topologyChange = false;
  topologyChangeDetected = false;
  private helloTimer: Timer | undefined = undefined;
  private tcnTimer: Timer | undefined = undefined;
  private topologyChangeTimer: Timer | undefined = undefined;
  /** When the running bridge timers fire, for the showstp view. */
  helloAt = 0;
  tcnAt = 0;
  topologyChangeAt = 0;
  private started = false;

  constructor(
    readonly engine: Engine,
    mac: Mac,
    private readonly host: StpHost,
    opts: StpOptions = {},
  ) {
    this.bridgeId = { priority: opts.priority ?? STP_DEFAULT_BRIDGE_PRIORITY, mac };
    this.designatedRoot = this.bridgeId;
  }

  /** Adds a port (before `start`); its number is the next one, from 1. */
  addPort(io: StpPortIo): StpPort {
    const no = this.ports.length + 1;
    const p = new StpPort(io, no, makePortId(STP_DEFAULT_PORT_PRIORITY, no), this.bridgeId);
    this.ports.push(p);
    return p;
  }

  /** The STP port for `io`. */
  port(io: StpPortIo): StpPort | undefined {
    return this.ports.find((p) => p.io === io);
  }

  /**
   * Linux br_stp_enable_bridge(): starts the hello timer, sends the first config BPDUs and enables every
   * port that has carrier; later carrier changes are polled once a second.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.helloTimer = this.bgTimer(
      this.helloNs,
      () => this.helloTimerExpired(),
      (t) => (this.helloAt = t),
    );
    this.configBpduGeneration();
    for (const p of this.ports) if (p.io.carrier()) this.enablePort(p);
    this.pollCarrier();
  }

  /** The state of `io`'s port; a port STP does not know forwards. */
  portState(io: StpPortIo): StpPortState {
    return this.port(io)?.state ?? 'forwarding';
  }

  /** The port's role, derived as `bridge`/`mstpctl` do from the port's variables. */
  role(p: StpPort): StpPortRole {
    if (p.state === 'disabled') return 'disabled';
    if (p.portNo === this.rootPort) return 'root';
    if (this.isDesignatedPort(p)) return 'designated';
    return 'alternate';
  }

  /** Linux br_is_root_bridge(). */
  isRootBridge(): boolean {
    return compareBridgeId(this.designatedRoot, this.bridgeId) === 0;
  }

  /**
   * MAC ageing: the device's normal ageing, or twice the forward delay while the topology-change flag is
   * set (Linux __br_set_topology_change; 802.1D 8.3.5 says one forward delay, Linux uses two).
   */
  ageingNs(normal: number): number {
    return this.topologyChange ? 2 * this.forwardDelayNs : normal;
  }

  /** A BPDU arrived on `io` (Linux br_stp_rcv, after the LLC checks the codec did). */
  receive(io: StpPortIo, bpdu: Bpdu): void {
    const p = this.port(io);
    if (p === undefined || p.state === 'disabled') return;
    p.bpdusIn++;
    if (bpdu.type === 'tcn') {
      this.host.note(() => `stp: TCN BPDU on ${io.name}`);
      this.receivedTcnBpdu(p);
      return;
    }
    // br_stp_rcv: "Ignoring BPDU with message age > max age" (a forwarded stale BPDU)
    if (bpdu.messageAge > bpdu.maxAge) {
      this.host.note(() => `stp: ignored BPDU on ${io.name}: message age ${bpdu.messageAge} > max age`);
      return;
    }
    this.receivedConfigBpdu(p, bpdu);
  }

  // --- br_stp.c ---

  private isDesignatedPort(p: StpPort): boolean {
    return compareBridgeId(p.designatedBridge, this.bridgeId) === 0 && p.designatedPort === p.portId;
  }

  /** br_should_become_root_port(): is `p` a better root port than the one numbered `rootPort`? */
  private shouldBecomeRootPort(p: StpPort, rootPort: number): boolean {
    if (p.state === 'disabled' || this.isDesignatedPort(p)) return false;
    if (compareBridgeId(this.bridgeId, p.designatedRoot) <= 0) return false;
    if (rootPort === 0) return true;
    const rp = this.ports[rootPort - 1]!;
    const t = compareBridgeId(p.designatedRoot, rp.designatedRoot);
    if (t !== 0) return t < 0;
    const a = p.designatedCost + p.pathCost;
    const b = rp.designatedCost + rp.pathCost;
    if (a !== b) return a < b;
    const u = compareBridgeId(p.designatedBridge, rp.designatedBridge);
    if (u !== 0) return u < 0;
    if (p.designatedPort !== rp.designatedPort) return p.designatedPort < rp.designatedPort;
    return p.portId < rp.portId;
  }

  /** br_root_selection(). */
  private rootSelection(): void {
    let rootPort = 0;
    for (const p of this.ports) if (this.shouldBecomeRootPort(p, rootPort)) rootPort = p.portNo;
    const before = this.rootPort;
    this.rootPort = rootPort;
    if (rootPort === 0) {
      this.designatedRoot = this.bridgeId;
      this.rootPathCost = 0;
    } else {
      const p = this.ports[rootPort - 1]!;
      this.designatedRoot = p.designatedRoot;
      this.rootPathCost = p.designatedCost + p.pathCost;
    }
    if (before !== rootPort)
      this.host.note(() =>
        rootPort === 0
          ? 'stp: no root port: this bridge is the root'
          : `stp: root port ${this.ports[rootPort - 1]!.io.name} (root ${formatMac(this.designatedRoot.mac)}, cost ${this.rootPathCost})`,
      );
  }

  /** br_become_designated_port(). */
  private becomeDesignatedPort(p: StpPort): void {
    p.designatedRoot = this.designatedRoot;
    p.designatedCost = this.rootPathCost;
    p.designatedBridge = this.bridgeId;
    p.designatedPort = p.portId;
  }

  /** br_should_become_designated_port(). */
  private shouldBecomeDesignatedPort(p: StpPort): boolean {
    if (this.isDesignatedPort(p)) return true;
    if (compareBridgeId(p.designatedRoot, this.designatedRoot) !== 0) return true;
    if (this.rootPathCost !== p.designatedCost) return this.rootPathCost < p.designatedCost;
    const t = compareBridgeId(this.bridgeId, p.designatedBridge);
    if (t !== 0) return t < 0;
    return p.portId < p.designatedPort;
  }

  /** br_designated_port_selection(). */
  private designatedPortSelection(): void {
    for (const p of this.ports)
      if (p.state !== 'disabled' && this.shouldBecomeDesignatedPort(p)) this.becomeDesignatedPort(p);
  }

  /** br_configuration_update(). */
  private configurationUpdate(): void {
    this.rootSelection();
    this.designatedPortSelection();
  }

  /** br_port_state_selection(). */
  private portStateSelection(): void {
    for (const p of this.ports) {
      if (p.state === 'disabled') continue;
      if (p.portNo === this.rootPort) {
        p.configPending = false;
        p.topologyChangeAck = false;
        this.makeForwarding(p);
      } else if (this.isDesignatedPort(p)) {
        p.messageAgeTimer?.cancel();
        p.messageAgeTimer = undefined;
        this.makeForwarding(p);
      } else {
        p.configPending = false;
        p.topologyChangeAck = false;
        this.makeBlocking(p);
      }
    }
  }

  private setState(p: StpPort, s: StpPortState): void {
    if (p.state === s) return;
    const from = p.state;
    p.state = s;
    this.host.note(() => `stp: port ${p.io.name} ${from} -> ${s}`);
  }

  /** br_make_blocking(). */
  private makeBlocking(p: StpPort): void {
    if (p.state === 'disabled' || p.state === 'blocking') return;
    if (p.state === 'forwarding' || p.state === 'learning') this.topologyChangeDetection();
    this.setState(p, 'blocking');
    p.forwardDelayTimer?.cancel();
    p.forwardDelayTimer = undefined;
  }

  /** br_make_forwarding(): blocking -> listening, then the forward-delay timer does the rest. */
  private makeForwarding(p: StpPort): void {
    if (p.state !== 'blocking') return;
    this.setState(p, 'listening');
    this.startForwardDelay(p);
  }

  private startForwardDelay(p: StpPort): void {
    p.forwardDelayTimer?.cancel();
    p.forwardDelayTimer = this.bgTimer(
      this.forwardDelayNs,
      () => this.forwardDelayTimerExpired(p),
      (t) => (p.forwardDelayAt = t),
    );
  }

  /** br_topology_change_detection(). */
  private topologyChangeDetection(): void {
    if (this.isRootBridge()) {
      this.setTopologyChange(true);
      this.topologyChangeTimer?.cancel();
      this.topologyChangeTimer = this.bgTimer(
        this.bridgeForwardDelayNs + this.bridgeMaxAgeNs,
        () => this.topologyChangeTimerExpired(),
        (t) => (this.topologyChangeAt = t),
      );
    } else if (!this.topologyChangeDetected) {
      this.transmitTcn();
      this.startTcnTimer();
    }
    this.topologyChangeDetected = true;
    this.host.note(() => 'stp: topology change detected' + (this.isRootBridge() ? '' : ', sending TCN'));
  }

  private startTcnTimer(): void {
    this.tcnTimer?.cancel();
    this.tcnTimer = this.bgTimer(
      this.bridgeHelloNs,
      () => this.tcnTimerExpired(),
      (t) => (this.tcnAt = t),
    );
  }

  /** __br_set_topology_change(): the flag also switches MAC ageing (see ageingNs). */
  private setTopologyChange(v: boolean): void {
    if (this.topologyChange !== v)
      this.host.note(() =>
        v
          ? `stp: topology change: MAC ageing ${(2 * this.forwardDelayNs) / SECOND} s`
          : 'stp: topology change over: MAC ageing restored',
      );
    this.topologyChange = v;
  }

  /** br_transmit_config(). */
  private transmitConfig(p: StpPort): void {
    if (p.holdTimer?.pending === true) {
      p.configPending = true;
      return;
    }
    let messageAge = 0;
    if (!this.isRootBridge()) {
      const root = this.ports[this.rootPort - 1]!;
      messageAge = this.engine.now - root.designatedAge + MESSAGE_AGE_INCR_NS;
    }
    if (messageAge >= this.maxAgeNs) return; // Linux: "if (bpdu.message_age < br->max_age)"
    const bpdu: ConfigBpdu = {
      type: 'config',
      topologyChange: this.topologyChange,
      topologyChangeAck: p.topologyChangeAck,
      root: this.designatedRoot,
      rootPathCost: this.rootPathCost,
      bridge: this.bridgeId,
      portId: p.portId,
      messageAge: toTicks(messageAge),
      maxAge: toTicks(this.maxAgeNs),
      helloTime: toTicks(this.helloNs),
      forwardDelay: toTicks(this.forwardDelayNs),
    };
    this.send(p, bpdu);
    p.topologyChangeAck = false;
    p.configPending = false;
    p.holdTimer = this.bgTimer(
      STP_HOLD_NS,
      () => this.holdTimerExpired(p),
      (t) => (p.holdAt = t),
    );
  }

  private send(p: StpPort, bpdu: Bpdu): void {
    p.bpdusOut++;
    p.io.send(buildBpduFrame(bpdu, p.io.mac));
  }

  /** br_record_config_information(). */
  private recordConfigInformation(p: StpPort, b: ConfigBpdu): void {
    p.designatedRoot = b.root;
    p.designatedCost = b.rootPathCost;
    p.designatedBridge = b.bridge;
    p.designatedPort = b.portId;
    p.designatedAge = this.engine.now - b.messageAge * TICK_NS;
    p.messageAgeTimer?.cancel();
    p.messageAgeTimer = this.bgTimer(
      Math.max(0, (b.maxAge - b.messageAge) * TICK_NS),
      () => this.messageAgeTimerExpired(p),
      (t) => (p.messageAgeAt = t),
    );
  }

  /** br_record_config_timeout_values(): a non-root bridge takes the root's timers. */
  private recordConfigTimeoutValues(b: ConfigBpdu): void {
    this.maxAgeNs = b.maxAge * TICK_NS;
    this.helloNs = b.helloTime * TICK_NS;
    this.forwardDelayNs = b.forwardDelay * TICK_NS;
    this.setTopologyChange(b.topologyChange);
  }

  /** br_transmit_tcn(): on the root port. */
  private transmitTcn(): void {
    const p = this.ports[this.rootPort - 1];
    if (p === undefined) return;
    this.send(p, { type: 'tcn' });
  }

  /** br_config_bpdu_generation(). */
  private configBpduGeneration(): void {
    for (const p of this.ports) if (p.state !== 'disabled' && this.isDesignatedPort(p)) this.transmitConfig(p);
  }

  /** br_supersedes_port_info(). */
  private supersedesPortInfo(p: StpPort, b: ConfigBpdu): boolean {
    const t = compareBridgeId(b.root, p.designatedRoot);
    if (t !== 0) return t < 0;
    if (b.rootPathCost !== p.designatedCost) return b.rootPathCost < p.designatedCost;
    const u = compareBridgeId(b.bridge, p.designatedBridge);
    if (u !== 0) return u < 0;
    if (compareBridgeId(b.bridge, this.bridgeId) !== 0) return true;
    return b.portId <= p.designatedPort;
  }

  /** br_received_config_bpdu(). */
  private receivedConfigBpdu(p: StpPort, b: ConfigBpdu): void {
    const wasRoot = this.isRootBridge();
    if (this.supersedesPortInfo(p, b)) {
      this.recordConfigInformation(p, b);
      this.configurationUpdate();
      this.portStateSelection();
      if (!this.isRootBridge() && wasRoot) {
        this.helloTimer?.cancel();
        this.helloTimer = undefined;
        if (this.topologyChangeDetected) {
          this.topologyChangeTimer?.cancel();
          this.topologyChangeTimer = undefined;
          this.transmitTcn();
          this.startTcnTimer();
        }
      }
      if (p.portNo === this.rootPort) {
        this.recordConfigTimeoutValues(b);
        this.configBpduGeneration();
        if (b.topologyChangeAck) this.topologyChangeAcknowledged();
      }
    } else if (this.isDesignatedPort(p)) {
      this.transmitConfig(p); // br_reply()
    }
  }

  /** br_received_tcn_bpdu(). */
  private receivedTcnBpdu(p: StpPort): void {
    if (!this.isDesignatedPort(p)) return;
    this.topologyChangeDetection();
    p.topologyChangeAck = true; // br_topology_change_acknowledge()
    this.transmitConfig(p);
  }

  /** br_topology_change_acknowledged(). */
  private topologyChangeAcknowledged(): void {
    this.topologyChangeDetected = false;
    this.tcnTimer?.cancel();
    this.tcnTimer = undefined;
  }

  /** br_become_root_bridge(). */
  private becomeRootBridge(): void {
    this.maxAgeNs = this.bridgeMaxAgeNs;
    this.helloNs = this.bridgeHelloNs;
    this.forwardDelayNs = this.bridgeForwardDelayNs;
    this.topologyChangeDetection();
    this.tcnTimer?.cancel();
    this.tcnTimer = undefined;
    this.configBpduGeneration();
    this.helloTimer?.cancel();
    this.helloTimer = this.bgTimer(
      this.helloNs,
      () => this.helloTimerExpired(),
      (t) => (this.helloAt = t),
    );
  }

  // --- br_stp_if.c ---

  /** br_stp_enable_port() with br_init_port(). */
  private enablePort(p: StpPort): void {
    this.becomeDesignatedPort(p);
    this.setState(p, 'blocking');
    p.topologyChangeAck = false;
    p.configPending = false;
    p.pathCost = portCostForSpeed(p.io.speed());
    this.portStateSelection();
  }

  /** br_stp_disable_port(). */
  private disablePort(p: StpPort): void {
    const wasRoot = this.isRootBridge();
    this.becomeDesignatedPort(p);
    this.setState(p, 'disabled');
    p.topologyChangeAck = false;
    p.configPending = false;
    for (const t of [p.messageAgeTimer, p.forwardDelayTimer, p.holdTimer]) t?.cancel();
    p.messageAgeTimer = p.forwardDelayTimer = p.holdTimer = undefined;
    this.host.flushPort(p.io);
    this.configurationUpdate();
    this.portStateSelection();
    if (this.isRootBridge() && !wasRoot) this.becomeRootBridge();
  }

  private pollCarrier(): void {
    this.bgTimer(
      STP_CARRIER_POLL_NS,
      () => {
        for (const p of this.ports) {
          const up = p.io.carrier();
          if (up && p.state === 'disabled') this.enablePort(p);
          else if (!up && p.state !== 'disabled') this.disablePort(p);
        }
        this.pollCarrier();
      },
      () => undefined,
    );
  }

  // --- br_stp_timer.c ---

  private helloTimerExpired(): void {
    this.configBpduGeneration();
    this.helloTimer = this.bgTimer(
      this.helloNs,
      () => this.helloTimerExpired(),
      (t) => (this.helloAt = t),
    );
  }

  private messageAgeTimerExpired(p: StpPort): void {
    p.messageAgeTimer = undefined;
    if (p.state === 'disabled') return;
    this.host.note(() => `stp: neighbour bridge info on ${p.io.name} expired (max age)`);
    const wasRoot = this.isRootBridge();
    this.becomeDesignatedPort(p);
    this.configurationUpdate();
    this.portStateSelection();
    if (this.isRootBridge() && !wasRoot) this.becomeRootBridge();
  }

  private forwardDelayTimerExpired(p: StpPort): void {
    p.forwardDelayTimer = undefined;
    if (p.state === 'listening') {
      this.setState(p, 'learning');
      this.startForwardDelay(p);
    } else if (p.state === 'learning') {
      this.setState(p, 'forwarding');
      if (this.isDesignatedForSomePort()) this.topologyChangeDetection();
    }
  }

  private isDesignatedForSomePort(): boolean {
    return this.ports.some((p) => p.state !== 'disabled' && compareBridgeId(p.designatedBridge, this.bridgeId) === 0);
  }

  private tcnTimerExpired(): void {
    this.tcnTimer = undefined;
    if (this.isRootBridge()) return;
    this.transmitTcn();
    this.startTcnTimer();
  }

  private topologyChangeTimerExpired(): void {
    this.topologyChangeTimer = undefined;
    this.topologyChangeDetected = false;
    this.setTopologyChange(false);
  }

  private holdTimerExpired(p: StpPort): void {
    p.holdTimer = undefined;
    if (p.configPending) this.transmitConfig(p);
  }

  /** A background timer (STP never keeps a step running) that also records when it fires. */
  private bgTimer(delay: number, fn: () => void, at: (time: number) => void): Timer {
    at(this.engine.now + delay);
    return this.engine.backgroundTimer(delay, fn);
  }
}

/** Nanoseconds to the BPDU's 1/256 s units, rounded down as Linux br_set_ticks does. */
function toTicks(ns: number): number {
  return Math.min(0xffff, Math.floor(ns / TICK_NS));
}
