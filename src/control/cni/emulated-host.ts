/**
 * A CniHost for the emulator: the node's IpNode, an in-memory store, and the pods' network namespaces,
 * each its own IpNode in the same Network (a pod's eth0 is then one end of a veth pair whose other end
 * is on the node). The container runtime creates a namespace before ADD and deletes it after DEL.
 */
import { IpNode } from '../../net/ip-node.js';
import type { Network } from '../../link/device.js';
import type { Prng } from '../../sim/prng.js';
import { MemoryStore, type CniHost, type CniStore } from './host.js';
import { deleteLink } from './netlink.js';

/** The emulator's CniHost. */
export class EmulatedHost implements CniHost {
  private readonly namespaces = new Map<string, IpNode>();
  /** Veth names and MACs: the stream `cni:<node>`, so pods added on one node do not move another's. */
  readonly rng: Prng;

  constructor(
    readonly node: IpNode,
    readonly store: CniStore = new MemoryStore(),
  ) {
    this.rng = node.engine.stream(`cni:${node.name}`);
  }

  get network(): Network {
    return this.node.network;
  }

  /** Creates the network namespace at `path` (`ip netns add`), a new stack named `name`. */
  createNetns(path: string, name: string): IpNode {
    if (this.namespaces.has(path)) throw new Error(`netns ${path} already exists`);
    const pod = new IpNode(this.network, name);
    this.namespaces.set(path, pod);
    return pod;
  }

  /** Deletes a namespace: its cables are unplugged and the stack leaves the network. */
  deleteNetns(path: string): void {
    const pod = this.namespaces.get(path);
    if (pod === undefined) return;
    // the kernel destroys the namespace's veths, and with them their peers on the node
    for (const d of [...pod.devs]) deleteLink(pod, d.name);
    for (const p of pod.ports) this.network.disconnect(p);
    this.network.devices.delete(pod.name);
    this.namespaces.delete(path);
  }

  podNode(_containerId: string, netns: string): IpNode | undefined {
    return this.namespaces.get(netns);
  }

  /** The namespaces, by path, in creation order. */
  netnsEntries(): [string, IpNode][] {
    return [...this.namespaces];
  }
}
