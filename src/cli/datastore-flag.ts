/**
 * `--datastore` of `podnet demo` and `podnet exec` on a cluster: which of flannel's subnet managers runs,
 * and on what store.
 * - absent: the kube subnet manager, as k3s runs flannel (each Node's podCIDR, 10.42.0.0/24 first);
 * - `memory`: flannel's etcd subnet manager on the embedded in-memory store (random subnets);
 * - `etcd://HOST:PORT`: the etcd subnet manager on a real etcd (v3 API through its JSON gateway).
 */
import { EtcdV3Datastore } from '../realtime/etcd/etcd-v3.js';
import { flannelOf, type BuildOptions, type ClusterRuntime } from '../cluster/runtime.js';

/** What --datastore asked for. */
export type DatastoreChoice = { kind: 'kube' } | { kind: 'memory' } | { kind: 'etcd'; endpoint: string };

/** Reads the flag's value; a string says why it is wrong. */
export function parseDatastoreFlag(v: string | undefined): DatastoreChoice | string {
  if (v === undefined) return { kind: 'kube' };
  if (v === 'memory') return { kind: 'memory' };
  const m = /^etcd:\/\/([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})\/?$/.exec(v);
  if (m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 65535)
    return { kind: 'etcd', endpoint: `http://${m[1]!}:${m[2]!}` };
  return `--datastore must be memory or etcd://HOST:PORT, got ${JSON.stringify(v)}`;
}

/** The build options for a choice, and what to do once the command is over (close the etcd client). */
export interface OpenedDatastore {
  build: Pick<BuildOptions, 'store' | 'subnetManager'>;
  /** Waits until every flanneld knows every other node's lease (a real etcd delivers watches later). */
  settle(c: ClusterRuntime): Promise<void>;
  close(): Promise<void>;
}

/** Opens the store a choice names. */
export function openDatastore(choice: DatastoreChoice): OpenedDatastore {
  if (choice.kind !== 'etcd')
    return {
      build: { subnetManager: choice.kind === 'kube' ? 'kube' : 'etcd' },
      settle: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
  const store = new EtcdV3Datastore(choice.endpoint);
  return {
    build: { store, subnetManager: 'etcd' },
    settle: async (c) => {
      const want = c.nodes.size - 1;
      for (let i = 0; i < 250; i++) {
        if ([...c.nodes.values()].every((n) => flannelOf(n).peers.size >= want)) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => store.close(),
  };
}
