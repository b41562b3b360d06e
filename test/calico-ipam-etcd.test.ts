/**
 * Calico IPAM against a real etcd 3: the same allocator that runs on the in-memory store writes
 * libcalico-go's keys and values into etcd, read back here with the etcd client: the block, the confirmed
 * affinity and the handles after two assignments, and the handle gone after a release.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ETCD, startEtcd, type EtcdServer } from './support/etcd.js';
import { hasBinary, requirePeer } from './support/peers.js';
import { EtcdV3Datastore } from '../src/realtime/etcd/etcd-v3.js';
import { CalicoIpam, podHandle, tunnelHandle } from '../src/control/calico/ipam.js';
import { parseCidr } from '../src/wire/addr.js';

let server: EtcdServer | undefined;
before(async () => {
  if (hasBinary(ETCD.bin)) server = await startEtcd();
});
after(async () => {
  await server?.stop();
});

test('Calico IPAM keeps its blocks, affinities and handles in a real etcd with libcalico-go’s layout', async (t: TestContext) => {
  if (!requirePeer(t, 'etcd', ETCD)) return;
  assert.ok(server, 'etcd is installed but did not start');
  const store = new EtcdV3Datastore(server.endpoint);
  t.after(() => store.close());
  const ipam = new CalicoIpam(
    [
      {
        name: 'node-pool',
        cidr: parseCidr('192.168.190.192/26')!,
        blockSize: 26,
        nodeSelector: "kubernetes.io/hostname == 'node'",
        disabled: false,
        allowedUses: ['Workload', 'Tunnel'],
      },
    ],
    { store, nowNs: () => 1_700_000_000_000_000_000n },
  );
  ipam.setNodeLabels('node', { 'kubernetes.io/hostname': 'node' });
  ipam.autoAssign({
    handleId: tunnelHandle('ipip', 'node'),
    node: 'node',
    use: 'Tunnel',
    attrs: { node: 'node', type: 'ipipTunnelAddress' },
  });
  ipam.autoAssign({ handleId: podHandle('c1'), node: 'node', attrs: { namespace: 'default', node: 'node', pod: 'p' } });
  await ipam.flush();

  const listed = await store.list('/calico/ipam/v2/');
  assert.deepEqual(
    listed.kvs.map((kv) => kv.key),
    [
      '/calico/ipam/v2/assignment/ipv4/block/192.168.190.192-26',
      '/calico/ipam/v2/handle/ipip-tunnel-addr-node',
      '/calico/ipam/v2/handle/k8s-pod-network.c1',
      '/calico/ipam/v2/host/node/ipv4/block/192.168.190.192-26',
    ],
  );
  const value = (key: string) => listed.kvs.find((kv) => kv.key === key)?.value;
  assert.equal(
    value('/calico/ipam/v2/host/node/ipv4/block/192.168.190.192-26'),
    '{"state":"confirmed","deleted":false}',
  );
  assert.equal(
    value('/calico/ipam/v2/handle/k8s-pod-network.c1'),
    '{"block":{"192.168.190.192/26":1},"deleted":false}',
  );
  const block = JSON.parse(value('/calico/ipam/v2/assignment/ipv4/block/192.168.190.192-26')!) as {
    affinity: string;
    allocations: (number | null)[];
    unallocated: number[];
    attributes: { handle_id: string }[];
  };
  assert.equal(block.affinity, 'host:node');
  assert.deepEqual(block.allocations.slice(0, 3), [0, 1, null]);
  assert.equal(block.unallocated[0], 2);
  assert.deepEqual(
    block.attributes.map((a) => a.handle_id),
    ['ipip-tunnel-addr-node', 'k8s-pod-network.c1'],
  );
  // the block was written three times: created (version 1), then once per address
  assert.equal(listed.kvs[0]?.version, 3);

  assert.deepEqual(ipam.releaseByHandle(podHandle('c1')), [parseCidr('192.168.190.193/32')!.addr]);
  await ipam.flush();
  assert.equal(await store.get('/calico/ipam/v2/handle/k8s-pod-network.c1'), undefined);
  assert.ok(await store.get('/calico/ipam/v2/host/node/ipv4/block/192.168.190.192-26'), 'the block stays affine');
});
