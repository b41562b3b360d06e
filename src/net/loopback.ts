/**
 * The loopback device `lo` every Linux network namespace has, and the address block it owns. The kernel
 * puts `local 127.0.0.0/8 dev lo` in the local routing table (net/ipv4/fib_frontend.c, fib_add_ifaddr), so
 * any 127.x address is this host's: a packet to one is looped back and never reaches a wire. A packet
 * with a 127/8 source or destination that arrives on any other device is a martian and is dropped
 * (net/ipv4/route.c ip_route_input_slow: ipv4_is_loopback, unless route_localnet is set). IpNode owns the
 * receive and send paths; this file only names the device and the block.
 */
import type { Ipv4 } from '../wire/addr.js';
import { NetDev } from './netdev.js';

/** 127.0.0.0: the loopback network (RFC 1122 3.2.1.3 (g), RFC 6890). */
export const LOOPBACK_NET: Ipv4 = 0x7f00_0000;

/** Prefix length of the loopback network (/8). */
export const LOOPBACK_PREFIX_LEN = 8;

/** 127.0.0.1: the address `lo` carries. */
export const LOOPBACK_ADDR: Ipv4 = 0x7f00_0001;

/** MTU of `lo` since Linux 3.6 (drivers/net/loopback.c: 64 KiB). */
export const LOOPBACK_MTU = 65536;

/** True for any 127.x.y.z address. */
export function isLoopbackAddr(ip: Ipv4): boolean {
  return ip >>> 24 === 0x7f;
}

/**
 * `lo`: no MAC, no ARP, no wire. IpNode loops its packets back before any device would transmit them, so
 * xmit is never reached; it exists so that netfilter and traces can name the device packets came in on.
 */
export class LoopbackDev extends NetDev {
  constructor() {
    super('lo', 0, LOOPBACK_MTU);
    this.addresses.push({ addr: LOOPBACK_ADDR, len: LOOPBACK_PREFIX_LEN });
  }

  override get usesArp(): boolean {
    return false;
  }

  xmit(): void {
    throw new Error('lo: IpNode delivers loopback packets itself; nothing is transmitted');
  }
}
