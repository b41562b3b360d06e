/**
 * Devices, ports and the network that holds them. A device owns ports; a port is one end of a link; a
 * link is two channels. Every device discards through one `drop` path that counts and traces the reason.
 */
import type { Engine } from '../sim/engine.js';
import { Channel, DEFAULT_LINK, type LinkProps } from './channel.js';
import { ETH_HEADER_LEN, ETH_TYPE_OFF, ETHERTYPE_VLAN, VLAN_TAG_LEN } from '../wire/ethernet.js';
import type { DropReason, Tracer } from './trace.js';
import { StormWatch } from './storm.js';

/** One network port of a device (a NIC, a switch port). */
export class Port {
  /** The transmit channel, once linked. */
  tx: Channel | undefined = undefined;
  /** The link this port is on, once linked. */
  link: Link | undefined = undefined;
  constructor(
    readonly device: Device,
    readonly name: string,
    readonly index: number,
  ) {}

  /** device:port, e.g. "sw1:p2". */
  get id(): string {
    return `${this.device.name}:${this.name}`;
  }

  /** The port at the other end of the link, if any. */
  get peer(): Port | undefined {
    const l = this.link;
    return l === undefined ? undefined : l.a === this ? l.b : l.a;
  }
}

/** Per-reason drop counters. */
export type DropCounters = Partial<Record<DropReason, number>>;

/** Base of every device: ports, the drop path, and transmit with tracing. */
export abstract class Device {
  readonly ports: Port[] = [];
  readonly drops: DropCounters = {};
  /** Frames this device put on a wire. */
  framesSent = 0;
  /** Frames this device received from a wire. */
  framesReceived = 0;
  readonly engine: Engine;

  constructor(
    readonly network: Network,
    readonly name: string,
  ) {
    this.engine = network.engine;
    network.add(this);
  }

  /** A short word for what this is: host, router, switch, hub... */
  abstract get kind(): string;

  /** Called by a link when `frame` arrives on `port`. The device owns `frame` from then on. */
  abstract receive(port: Port, frame: Uint8Array): void;

  /**
   * `port`'s cable was unplugged: the device sees its carrier go (Linux: NETDEV_CHANGE without carrier).
   * Devices that keep per-port state the kernel drops then override this.
   */
  carrierLost(_port: Port): void {}

  /** Adds a port named `name` (names are unique per device). */
  addPort(name: string): Port {
    if (this.ports.some((p) => p.name === name)) throw new Error(`${this.name}: duplicate port ${name}`);
    const p = new Port(this, name, this.ports.length);
    this.ports.push(p);
    return p;
  }

  /** The port called `name`, if any. */
  port(name: string): Port | undefined {
    return this.ports.find((p) => p.name === name);
  }

  /**
   * Puts `frame` on `out`'s wire. `inPort` is where it came from when forwarding (for traces). False when
   * the frame was dropped instead (no cable, too big for the link, a full transmit queue).
   */
  transmit(out: Port, frame: Uint8Array, inPort?: Port): boolean {
    const tx = out.tx;
    if (tx === undefined) {
      this.drop('link-down', frame, out, 'port not connected');
      return false;
    }
    const tr = this.network.tracer;
    if (tr?.frame !== undefined) tr.frame(this.engine.now, this.name, inPort?.name, out.name, frame);
    this.framesSent++;
    // MTU counts the L3 payload: the frame minus Ethernet (and 802.1Q) header
    const tagged =
      frame.length >= ETH_HEADER_LEN &&
      frame[ETH_TYPE_OFF] === ETHERTYPE_VLAN >> 8 &&
      frame[ETH_TYPE_OFF + 1] === (ETHERTYPE_VLAN & 0xff);
    return tx.send(frame, frame.length - ETH_HEADER_LEN - (tagged ? VLAN_TAG_LEN : 0));
  }

  /** The one drop path: counts, traces and forgets. */
  drop(reason: DropReason, frame: Uint8Array | undefined, port: Port | undefined, detail = ''): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
    this.network.dropCount++;
    const tr = this.network.tracer;
    if (tr?.drop !== undefined) tr.drop(this.engine.now, this.name, port?.name, reason, detail, frame);
  }

  /** Emits an explanation line when tracing. Pass a function so untraced runs never build the string. */
  note(message: () => string): void {
    const tr = this.network.tracer;
    if (tr?.note !== undefined) tr.note(this.engine.now, this.name, message());
  }

  /** True when someone listens to notes (to skip building expensive context). */
  get tracing(): boolean {
    return this.network.tracer !== undefined;
  }
}

/** A full-duplex link between two ports. */
export class Link {
  readonly ab: Channel;
  readonly ba: Channel;
  constructor(
    readonly id: string,
    readonly a: Port,
    readonly b: Port,
    readonly props: LinkProps,
  ) {
    const engine = a.device.engine;
    this.ab = new Channel(
      engine,
      props,
      { deliver: (f) => deliverTo(b, f) },
      (reason, f) => a.device.drop(reason, f, a, `link ${id}`),
      `${a.id}>${b.id}`,
    );
    this.ba = new Channel(
      engine,
      props,
      { deliver: (f) => deliverTo(a, f) },
      (reason, f) => b.device.drop(reason, f, b, `link ${id}`),
      `${b.id}>${a.id}`,
    );
    this.ab.ends = { from: a, to: b };
    this.ba.ends = { from: b, to: a };
    this.ab.storm = this.ba.storm = a.device.network.stormWatch;
  }
}

function deliverTo(port: Port, frame: Uint8Array): void {
  port.device.framesReceived++;
  port.device.receive(port, frame);
}

/** The container of devices and links, sharing one engine and one optional tracer. */
export class Network {
  readonly devices = new Map<string, Device>();
  readonly links: Link[] = [];
  tracer: Tracer | undefined = undefined;
  /** Drops across all devices. */
  dropCount = 0;
  private readonly linkWatchers: ((link: Link) => void)[] = [];
  /** Watches every link for broadcast storms; stops the engine when one trips (see storm.ts). */
  readonly stormWatch: StormWatch;

  constructor(readonly engine: Engine) {
    this.stormWatch = new StormWatch(engine);
  }

  /**
   * Calls `fn` with every link connected from now on (by the builder, a lab's `link` step, a cluster
   * adding a node or pod), so observers such as captures follow the network without the code that
   * plugs cables knowing about them. Returns a function that stops the calls.
   */
  onLink(fn: (link: Link) => void): () => void {
    this.linkWatchers.push(fn);
    return () => {
      const i = this.linkWatchers.indexOf(fn);
      if (i >= 0) this.linkWatchers.splice(i, 1);
    };
  }

  /** Registers a device (called by the Device constructor). */
  add(d: Device): void {
    if (this.devices.has(d.name)) throw new Error(`network: duplicate device name ${d.name}`);
    this.devices.set(d.name, d);
  }

  /** The device called `name`. */
  device(name: string): Device | undefined {
    return this.devices.get(name);
  }

  /** Unplugs the link on `port` (both ends become unconnected; frames in flight still arrive). */
  disconnect(port: Port): void {
    const l = port.link;
    if (l === undefined) return;
    for (const p of [l.a, l.b]) {
      p.link = undefined;
      p.tx = undefined;
    }
    const i = this.links.indexOf(l);
    if (i >= 0) this.links.splice(i, 1);
    l.a.device.carrierLost(l.a);
    l.b.device.carrierLost(l.b);
  }

  /** Joins two ports with a link. */
  connect(a: Port, b: Port, props: Partial<LinkProps> = {}): Link {
    if (a.link !== undefined) throw new Error(`network: ${a.id} is already linked`);
    if (b.link !== undefined) throw new Error(`network: ${b.id} is already linked`);
    const link = new Link(`${a.id}--${b.id}`, a, b, { ...DEFAULT_LINK, ...props });
    a.link = link;
    b.link = link;
    a.tx = link.ab;
    b.tx = link.ba;
    this.links.push(link);
    for (const fn of this.linkWatchers) fn(link);
    return link;
  }
}
