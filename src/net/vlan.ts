/**
 * 802.1Q sub-interfaces, as Linux's 8021q module makes them (`ip link add link eth0 name eth0.10 type vlan
 * id 10`): a device stacked on a parent (the "lower" device) that tags what it sends with its VID and
 * receives the parent's frames carrying that VID, untagged. Router-on-a-stick is one NIC on a trunk with
 * one such device per VLAN.
 *
 * What follows Linux (net/8021q/vlan_dev.c, vlan_core.c, net/core/dev.c):
 * - the MAC is the parent's unless set, the MTU the parent's (vlan_dev_init: `dev->mtu = real_dev->mtu`:
 *   the 4-byte tag does not count against the MTU; the frame on the wire is 1518 bytes at most);
 * - the tag is inserted with PCP 0 and DEI 0 (no egress QoS map), REORDER_HDR on;
 * - on receive, the VID picks the device before the parent's bridge sees the frame (the VLAN step in
 *   __netif_receive_skb_core comes before rx_handler); a frame for another MAC on the parent is
 *   re-checked against the VLAN device's own MAC (vlan_do_receive);
 * - VID 0 (a priority tag) goes to the parent, untagged (8021q registers VID 0 on every device);
 * - a tagged frame whose VID has no device is not for the host: `skb->pkt_type = PACKET_OTHERHOST`, so IP
 *   discards it (dropped here as 'vlan-mismatch', naming the VID).
 */
import type { Port } from '../link/device.js';
import type { Mac } from '../wire/addr.js';
import { insertVlanTag } from '../wire/ethernet.js';
import { NetDev } from './netdev.js';

/** Settings of a VLAN device. */
export interface VlanConfig {
  /** Its name; by convention PARENT.VID (eth0.10). */
  name: string;
  /** VLAN ID, 1-4094. */
  id: number;
  /** Defaults to the parent's MAC. */
  mac?: Mac;
  /** Defaults to the parent's MTU. */
  mtu?: number;
}

/** An 802.1Q VLAN device on top of `parent`. */
export class VlanDev extends NetDev {
  readonly id: number;

  constructor(
    readonly parent: NetDev,
    c: VlanConfig,
  ) {
    super(c.name, c.mac ?? parent.mac, c.mtu ?? parent.mtu);
    if (!Number.isInteger(c.id) || c.id < 1 || c.id > 4094)
      throw new RangeError(`vlan ${c.name}: id ${c.id} is not in 1-4094`);
    if (parent.vlans?.has(c.id) === true)
      throw new Error(`vlan ${c.name}: ${parent.name} already has a VLAN device with id ${c.id}`);
    this.id = c.id;
    (parent.vlans ??= new Map()).set(c.id, this);
  }

  xmit(frame: Uint8Array, inPort?: Port): void {
    // vlan_dev_hard_start_xmit counts the frame as the stack handed it over, before the tag
    this.txPackets++;
    this.txBytes += frame.length;
    this.parent.xmit(insertVlanTag(frame, this.id), inPort);
  }
}
