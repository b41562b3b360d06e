/**
 * Helpers for CNI tests: a node with an emulated host and pods made on demand, and a runtime over it.
 * Test-only (imported by *.test.ts files).
 */
import { Engine } from '../../sim/engine.js';
import { Network } from '../../link/device.js';
import { IpNode } from '../../net/ip-node.js';
import { EmulatedHost } from './emulated-host.js';
import { MemoryStore } from './host.js';
import { CniRuntime, type RuntimeConf } from './runtime.js';

/** A node "node1" with an emulated CNI host, an in-memory store and a runtime. */
export function testHost(seed = 7): {
  engine: Engine;
  host: EmulatedHost;
  store: MemoryStore;
  runtime: CniRuntime;
  pod(name: string, id?: string): RuntimeConf;
} {
  const engine = new Engine(seed);
  const network = new Network(engine);
  const node = new IpNode(network, 'node1');
  const store = new MemoryStore();
  const host = new EmulatedHost(node, store);
  const runtime = new CniRuntime(host);
  return {
    engine,
    host,
    store,
    runtime,
    pod(name, id = `${name}-id`) {
      const netns = `/var/run/netns/${name}`;
      if (host.podNode(id, netns) === undefined) host.createNetns(netns, name);
      return { containerId: id, netns, ifName: 'eth0' };
    },
  };
}

/** The subnet.env k3s's flanneld writes on its first node. */
export const SUBNET_ENV =
  'FLANNEL_NETWORK=10.42.0.0/16\nFLANNEL_SUBNET=10.42.0.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n';
