/**
 * The ARP side of an IP node (RFC 826): answers requests for its addresses (and proxy ARP), learns
 * senders, and resolves next hops for outgoing packets, queueing them while a request is outstanding and
 * reporting host unreachable when none is answered (Linux's arp_error_report). It owns the protocol and the
 * timers; the cache itself is NeighborTable (neighbor.ts), and routing, ICMP and the drop path stay with
 * the node (ip-node.ts).
 */
import {
  MAC_BROADCAST,
  formatIpv4,
  formatMac,
  readIpv4,
  readMac,
  writeMac,
  type Ipv4,
  type Mac,
} from '../wire/addr.js';
import {
  ARP_OP_REPLY,
  ARP_OP_REQUEST,
  ARP_SPA_OFF,
  ARP_TPA_OFF,
  buildArpFrame,
  isArpRequestAt,
  parseArp,
  type ArpPacket,
} from '../wire/arp.js';
import { ETH_HEADER_LEN, ETH_SRC_OFF, ETH_TYPE_OFF, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { IPV4_TOTAL_LEN_OFF } from '../wire/ipv4.js';
import { ICMP_DEST_UNREACH, ICMP_HOST_UNREACH } from '../wire/icmp.js';
import type { Port } from '../link/device.js';
import type { NetDev } from './netdev.js';
import type { Neighbor } from './neighbor.js';
import type { IpNode } from './ip-node.js';

/** Offset of the IP header in the node's frames (untagged Ethernet). */
const IP_OFF = ETH_HEADER_LEN;
/** Offset of the target protocol address in an ARP frame. */
const ARP_TPA = ETH_HEADER_LEN + ARP_TPA_OFF;

/** ARP for one IP node: request/reply handling and next-hop resolution over the node's neighbour table. */
export class ArpResolver {
  /**
   * @param node the node this resolver serves (its neighbours, ARP tunables, routes, drop and ICMP paths)
   * @param broadcasts the node's broadcast addresses, sent to ff:ff:ff:ff:ff:ff without asking
   * @param devByPort the node's devices by port index, to find the device a queued packet came in on
   */
  constructor(
    private readonly node: IpNode,
    private readonly broadcasts: ReadonlySet<Ipv4>,
    private readonly devByPort: readonly (NetDev | undefined)[],
  ) {}

  /** An ARP frame arrived on `dev`: learn the sender (RFC 826 merge), answer a request for us or by proxy. */
  receive(dev: NetDev, frame: Uint8Array, port: Port | undefined): void {
    // (no closure in this function: one capturing its variables would cost a context object per frame)
    if (!this.othersRequest(dev, frame)) this.process(dev, frame, port);
    else if (this.node.tracing) this.ignored(frame);
  }

  private ignored(frame: Uint8Array): void {
    this.node.note(() => `ARP who-has ${formatIpv4(readIpv4(frame, ARP_TPA))}: not ours, ignored`);
  }

  private process(dev: NetDev, frame: Uint8Array, port: Port | undefined): void {
    const node = this.node;
    const parsed = parseArp(frame.subarray(ETH_HEADER_LEN));
    if (!parsed.ok) {
      node.drop('malformed', frame, port, `ARP ${parsed.error.field}: ${parsed.error.reason}`);
      return;
    }
    const a = parsed.value;
    const forUs = dev.addresses.some((x) => x.addr === a.targetIp);
    // RFC 826 merge, as arp_process does it: a request for us tells the sender's MAC without confirming
    // it (neigh_event_ns: STALE, overriding); other ARP updates an entry we already have, REACHABLE only
    // for a reply sent to our MAC, and a different MAC only after locktime (or in a gratuitous ARP)
    const existing = node.neighbors.get(dev, a.senderIp);
    const wasReachable = existing !== undefined && existing.state === 'REACHABLE';
    const requestForUs = a.op === ARP_OP_REQUEST && forUs;
    if (a.senderIp !== 0 && (existing === undefined ? requestForUs : existing.state !== 'PERMANENT')) {
      const e = existing ?? node.neighbors.ensure(dev, a.senderIp);
      const valid = e.state !== 'INCOMPLETE' && e.state !== 'FAILED';
      const garp = a.senderIp === a.targetIp;
      if (!requestForUs && !garp && valid && e.mac !== a.senderMac && this.locked(e)) {
        node.note(
          () =>
            `ARP ${formatIpv4(a.senderIp)} is-at ${formatMac(a.senderMac)} ignored: ${formatMac(e.mac)} answered less than locktime ago`,
        );
      } else if (!requestForUs && a.op === ARP_OP_REPLY && readMac(frame, 0) === dev.mac) this.resolved(e, a.senderMac);
      else if (!valid || e.mac !== a.senderMac) this.learnedStale(e, a.senderMac);
    }
    if (a.op !== ARP_OP_REQUEST) {
      // a reply that resolved a waiting entry was explained by resolved() already
      if (existing === undefined || existing.state === 'PERMANENT' || wasReachable) {
        node.note(() =>
          existing !== undefined
            ? `ARP ${formatIpv4(a.senderIp)} is-at ${formatMac(a.senderMac)}: ${existing.state === 'PERMANENT' ? 'permanent entry kept' : 'cache refreshed'}`
            : forUs
              ? `ARP ${formatIpv4(a.senderIp)} is-at ${formatMac(a.senderMac)}: not asked for, ignored (arp_accept 0)`
              : `ARP reply for ${formatIpv4(a.targetIp)} is not for us: ignored`,
        );
      }
      return;
    }
    if (forUs) {
      node.note(
        () =>
          `ARP who-has ${formatIpv4(a.targetIp)} tell ${formatIpv4(a.senderIp)}: that is us, replying ${formatMac(dev.mac)}`,
      );
      this.sendReply(dev, a);
      return;
    }
    if (dev.proxyArp && node.config.forwarding) {
      const r = node.routes.lookup(a.targetIp);
      if (r !== undefined && r.dev !== dev.name) {
        node.note(
          () =>
            `proxy ARP: ${formatIpv4(a.targetIp)} is routed via ${r.dev}, answering with our MAC ${formatMac(dev.mac)}`,
        );
        this.sendReply(dev, a);
        return;
      }
    }
    this.ignored(frame);
  }

  /**
   * Whether `frame` is a well-formed request for an address not on `dev`, from a sender with no entry
   * here, and `dev` answers no proxy ARP: arp_process learns nothing from it (an entry is made only for a
   * request to us) and answers nothing. That is every other node's request on a big segment (a thousand
   * nodes on one switch each hear every node's request for its reflectors), so it is read in place,
   * without a parse.
   */
  private othersRequest(dev: NetDev, frame: Uint8Array): boolean {
    if ((dev.proxyArp && this.node.config.forwarding) || !isArpRequestAt(frame, ETH_HEADER_LEN)) return false;
    const target = readIpv4(frame, ARP_TPA);
    const addrs = dev.addresses;
    for (let i = 0; i < addrs.length; i++) if (addrs[i]!.addr === target) return false;
    return this.node.neighbors.get(dev, readIpv4(frame, ETH_HEADER_LEN + ARP_SPA_OFF)) === undefined;
  }

  /** True when `ip` on `dev` has a usable MAC (NUD_VALID: reachable, stale, delay, probe or permanent). */
  isValid(dev: NetDev, ip: Ipv4): boolean {
    const n = this.node.neighbors.get(dev, ip);
    return n !== undefined && n.state !== 'INCOMPLETE' && n.state !== 'FAILED';
  }

  /** Starts resolving `ip` on `dev` without a packet waiting (neigh_event_send with no skb). */
  probe(dev: NetDev, ip: Ipv4): void {
    const e = this.node.neighbors.ensure(dev, ip);
    if (e.state === 'INCOMPLETE' && e.probes > 0) return;
    e.state = 'INCOMPLETE';
    e.probes = 0;
    this.solicit(e);
  }

  private locked(n: Neighbor): boolean {
    return this.node.engine.now - n.updated <= this.node.config.arp.locktimeNs;
  }

  /** Makes `ip` on `dev` a permanent entry with `mac` and sends what was waiting for it. */
  addPermanent(dev: NetDev, ip: Ipv4, mac: Mac): void {
    const n = this.node.neighbors.ensure(dev, ip);
    n.mac = mac;
    n.state = 'PERMANENT';
    n.timer?.cancel();
    n.timer = undefined;
    this.flushPending(n);
  }

  /**
   * `dev` lost its carrier: every entry on it but the permanent ones goes, and what waited for an answer is
   * dropped (neigh_carrier_down -> neigh_flush_dev, from arp_netdev_event on NETDEV_CHANGE; on this kernel,
   * pulling a veth's peer down empties `ip neigh` on the other end).
   */
  carrierDown(dev: NetDev): void {
    const node = this.node;
    for (const n of node.neighbors.onDev(dev)) {
      if (n.state === 'PERMANENT') continue;
      n.timer?.cancel();
      n.timer = undefined;
      for (const p of n.pending)
        node.drop('link-down', p.frame, p.inPort, `${dev.name}: no carrier, neighbour ${formatIpv4(n.ip)} flushed`);
      n.pending = [];
      node.neighbors.delete(dev, n.ip);
    }
  }

  /**
   * Sends the IP packet at offset 14 of `frame` out of `dev` to `nextHop`: straight away when its MAC is
   * known (or it is a broadcast), else queued behind an ARP request. Devices without ARP get it as is.
   */
  resolveAndSend(dev: NetDev, frame: Uint8Array, nextHop: Ipv4, inPort: Port | undefined): void {
    if (!dev.usesArp) {
      dev.xmitL3(frame, nextHop, inPort);
      return;
    }
    if (this.broadcasts.has(nextHop)) {
      this.sendResolved(dev, frame, MAC_BROADCAST, inPort);
      return;
    }
    const node = this.node;
    const n = node.neighbors.get(dev, nextHop);
    if (n !== undefined && n.state !== 'INCOMPLETE' && n.state !== 'FAILED') {
      if (n.state !== 'PERMANENT') this.use(n);
      this.sendResolved(dev, frame, n.mac, inPort);
      return;
    }
    const e = n ?? node.neighbors.ensure(dev, nextHop);
    const queueLen = node.config.arp.queueLen;
    if (e.pending.length >= queueLen) {
      const old = e.pending.shift()!;
      node.drop(
        'arp-queue-full',
        old.frame,
        old.inPort,
        `more than ${queueLen} packets waiting for ${formatIpv4(nextHop)}`,
      );
    }
    e.pending.push({ frame, inPort });
    if (e.state !== 'INCOMPLETE' || e.probes === 0) {
      e.state = 'INCOMPLETE';
      e.probes = 0;
      node.note(() => `next hop ${formatIpv4(nextHop)} not in ARP cache: packet queued`);
      this.solicit(e);
    }
  }

  /** Answers `req` from `dev` (a frame this node originates: no inbound port in traces). */
  private sendReply(dev: NetDev, req: ArpPacket): void {
    const reply = buildArpFrame(
      {
        op: ARP_OP_REPLY,
        senderMac: dev.mac,
        senderIp: req.targetIp,
        targetMac: req.senderMac,
        targetIp: req.senderIp,
      },
      dev.mac,
      req.senderMac,
    );
    dev.xmit(reply);
  }

  /** An answer for `n`: REACHABLE (confirmed now) with `mac`, and what waited for it goes out. */
  private resolved(n: Neighbor, mac: Mac): void {
    const node = this.node;
    const now = node.engine.now;
    const changed = n.state !== 'REACHABLE' || n.mac !== mac;
    if (n.mac !== mac || n.state !== 'REACHABLE') n.updated = now;
    n.mac = mac;
    n.state = 'REACHABLE';
    n.confirmed = now;
    n.expires = now + this.reachableNs(n);
    n.probes = 0;
    n.timer?.cancel();
    n.timer = undefined;
    if (changed) node.note(() => `ARP: ${formatIpv4(n.ip)} is at ${formatMac(mac)} (${n.dev.name})`);
    this.flushPending(n);
  }

  /** The sender of a request told us its MAC without confirming it (neigh_event_ns): STALE. */
  private learnedStale(n: Neighbor, mac: Mac): void {
    const node = this.node;
    n.updated = node.engine.now;
    n.mac = mac;
    n.state = 'STALE';
    n.probes = 0;
    n.timer?.cancel();
    n.timer = undefined;
    node.note(() => `ARP: ${formatIpv4(n.ip)} is at ${formatMac(mac)} (${n.dev.name}), stale until used`);
    this.flushPending(n);
  }

  /**
   * A packet goes out through `n` with its cached MAC (neigh_event_send). REACHABLE past reachable_time
   * became STALE then (its timer found no use in the 5 s before; see scheduleReachableEnd); a STALE entry
   * goes DELAY, and DELAY's end probes unless an answer came.
   */
  private use(n: Neighbor): void {
    const now = this.node.engine.now;
    const delay = this.node.config.arp.delayProbeNs;
    if (n.state === 'REACHABLE') {
      if (now < n.expires) {
        n.used = now;
        // the REACHABLE timer matters only when a use falls in its last 5 s (it then goes DELAY, not STALE)
        if (n.timer === undefined && now >= n.expires - delay) this.scheduleReachableEnd(n);
        return;
      }
      n.state = 'STALE';
    }
    n.used = now;
    if (n.state === 'STALE') this.enterDelay(n, now);
  }

  /**
   * neigh_timer_handler for REACHABLE at its end: DELAY when used in the last delay_first_probe_time.
   * This timer and DELAY's are background timers: they fire when time passes anyway (a later packet, a
   * `wait`), but do not keep a step running 5 s past its last packet; the probes they start are not.
   */
  private scheduleReachableEnd(n: Neighbor): void {
    const node = this.node;
    n.timer = node.engine.backgroundTimer(n.expires - node.engine.now, () => {
      n.timer = undefined;
      if (n.state !== 'REACHABLE') return;
      const now = node.engine.now;
      if (now <= n.used + node.config.arp.delayProbeNs) this.enterDelay(n, now);
      else n.state = 'STALE';
    });
  }

  private enterDelay(n: Neighbor, now: number): void {
    const node = this.node;
    n.state = 'DELAY';
    n.updated = now;
    n.timer?.cancel();
    n.timer = node.engine.backgroundTimer(node.config.arp.delayProbeNs, () => {
      n.timer = undefined;
      if (n.state !== 'DELAY') return;
      if (node.engine.now <= n.confirmed + node.config.arp.delayProbeNs) {
        n.state = 'REACHABLE';
        n.expires = n.confirmed + this.reachableNs(n);
        return;
      }
      n.state = 'PROBE';
      n.updated = node.engine.now;
      n.probes = 0;
      node.note(() => `ARP: ${formatIpv4(n.ip)} unconfirmed for ${node.config.arp.delayProbeNs / 1e9} s, probing`);
      this.solicit(n);
    });
  }

  /**
   * The reachable_time of `n`'s device: as given in the config, else this node's, drawn once from
   * [base/2, 3*base/2) in ms (neigh_rand_reach_time; Linux draws one per device).
   */
  private reachableNs(n: Neighbor): number {
    const given = this.node.config.arp.reachableByDev?.get(n.dev.name);
    if (given !== undefined) return given;
    if (this.reachable === undefined) {
      const base = this.node.config.arp.reachableNs;
      const ms = Math.max(1, Math.round(base / 1e6));
      const draw = this.node.engine.stream(`node:${this.node.name}/neigh`).int(ms);
      this.reachable = (draw + Math.floor(ms / 2)) * 1_000_000;
    }
    return this.reachable;
  }
  private reachable: number | undefined = undefined;

  private flushPending(n: Neighbor): void {
    if (n.pending.length === 0) return;
    const waiting = n.pending;
    n.pending = [];
    for (const p of waiting) this.sendResolved(n.dev, p.frame, n.mac, p.inPort);
  }

  /** Sends a request for `n`: broadcast while INCOMPLETE, unicast to the cached MAC in PROBE (arp_solicit). */
  private solicit(n: Neighbor): void {
    const node = this.node;
    const dev = n.dev;
    const src = node.sourceFor(dev, n.ip);
    const unicast = n.state === 'PROBE';
    n.probes++;
    node.note(
      () =>
        `ARP who-has ${formatIpv4(n.ip)} tell ${formatIpv4(src)} on ${dev.name} (${unicast ? `unicast to ${formatMac(n.mac)}, ` : ''}try ${n.probes})`,
    );
    dev.xmit(
      buildArpFrame(
        { op: ARP_OP_REQUEST, senderMac: dev.mac, senderIp: src, targetMac: 0, targetIp: n.ip },
        dev.mac,
        unicast ? n.mac : MAC_BROADCAST,
      ),
    );
    n.timer = node.engine.timer(node.config.arp.retransNs, () => {
      n.timer = undefined;
      if (n.state !== 'INCOMPLETE' && n.state !== 'PROBE') return;
      if (n.probes < (n.state === 'PROBE' ? node.config.arp.ucastProbes : node.config.arp.maxProbes)) {
        this.solicit(n);
        return;
      }
      n.state = 'FAILED';
      const waiting = n.pending;
      n.pending = [];
      for (const { frame: f, inPort } of waiting) {
        const ipLen = (f[IP_OFF + IPV4_TOTAL_LEN_OFF]! << 8) | f[IP_OFF + IPV4_TOTAL_LEN_OFF + 1]!;
        // the error leaves from the interface that faces the sender (where the packet came in)
        const inDev = (inPort === undefined ? undefined : this.devByPort[inPort.index]) ?? dev;
        // arp_error_report: host unreachable to the sender, which may be this node itself (the ICMP then
        // loops back and a local ping prints "Destination Host Unreachable", as iputils does on Linux)
        node.sendIcmpError(f, ipLen, inDev, ICMP_DEST_UNREACH, ICMP_HOST_UNREACH, 0);
        node.drop('arp-timeout', f, undefined, `${formatIpv4(n.ip)} did not answer ${n.probes} ARP requests`);
      }
      // the entry stays, FAILED, until a new packet asks again (`ip neigh` shows it)
      n.probes = 0;
    });
  }

  private sendResolved(dev: NetDev, frame: Uint8Array, dstMac: Mac, inPort?: Port): void {
    writeMac(frame, 0, dstMac);
    writeMac(frame, ETH_SRC_OFF, dev.mac);
    frame[ETH_TYPE_OFF] = ETHERTYPE_IPV4 >> 8;
    frame[ETH_TYPE_OFF + 1] = ETHERTYPE_IPV4 & 0xff;
    dev.xmit(frame, inPort);
  }
}
