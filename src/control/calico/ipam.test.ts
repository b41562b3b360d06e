/**
 * Calico IPAM against libcalico-go/lib/ipam: block claiming, the FIFO address order inside a block (the
 * first address is assignable: tunl0 takes it), a full block and the next one, borrowing when no block is
 * left, the per-host block limit (ErrBlockLimit, an error in ipam.go autoAssign, not a reason to borrow),
 * release by handle, pools per node with nodeSelector, and the datastore keys and JSON values, written here
 * by hand from the Go structs' json tags (backend/model/block.go, block_affinity.go, ipam_handle.go).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryDatastore } from '../datastore/memory.js';
import type { WatchEvent } from '../datastore/types.js';
import { formatCidr, formatIpv4, parseCidr } from '../../wire/addr.js';
import { Engine } from '../../sim/engine.js';
import { blockOrder, CalicoIpam, podHandle, tunnelHandle, tunnelRequest } from './ipam.js';
import { testPool } from './testing.js';

const pool = testPool;

function assign(ipam: CalicoIpam, node: string, handle: string) {
  const r = ipam.autoAssign({ handleId: handle, node, attrs: { node } });
  if (!r.ok) throw new Error(r.error.message);
  return { ip: formatIpv4(r.value.ip), block: formatCidr(r.value.block), borrowed: r.value.borrowed };
}

/** The notes' two pools, one per node, as a Calico user pins them: IPPools with a nodeSelector. */
function notesIpam(store?: MemoryDatastore) {
  const ipam = new CalicoIpam(
    [
      pool('master-pool', '192.168.236.0/26', { nodeSelector: "kubernetes.io/hostname == 'master'" }),
      pool('node-pool', '192.168.190.192/26', { nodeSelector: "kubernetes.io/hostname == 'node'" }),
    ],
    { store, nowNs: () => 1_700_000_000_123_456_789n },
  );
  ipam.setNodeLabels('master', { 'kubernetes.io/hostname': 'master' });
  ipam.setNodeLabels('node', { 'kubernetes.io/hostname': 'node' });
  return ipam;
}

describe('Calico IPAM', () => {
  it('pins blocks per node with IPPool nodeSelectors; tunl0 takes the first address, pods the next ones', () => {
    const ipam = notesIpam();
    const tunnel = ipam.autoAssign({ handleId: tunnelHandle('ipip', 'master'), node: 'master', use: 'Tunnel' });
    assert.ok(tunnel.ok);
    assert.equal(formatIpv4(tunnel.value.ip), '192.168.236.0');
    assert.deepEqual(
      ['a', 'b', 'c'].map((c) => assign(ipam, 'master', podHandle(c)).ip),
      ['192.168.236.1', '192.168.236.2', '192.168.236.3'],
    );
    assert.deepEqual(assign(ipam, 'node', podHandle('d')), {
      ip: '192.168.190.192',
      block: '192.168.190.192/26',
      borrowed: false,
    });
    assert.deepEqual(ipam.blocksOf('master').map(formatCidr), ['192.168.236.0/26']);
    assert.equal(ipam.affinity(parseCidr('192.168.190.192/26')!), 'node');
  });

  it('a node no pool selects gets no address, with Calico’s message', () => {
    const ipam = notesIpam();
    const r = ipam.autoAssign({ handleId: podHandle('x'), node: 'worker3' });
    assert.deepEqual(r, {
      ok: false,
      error: { code: 'no-pool', message: 'no configured Calico pools for node worker3' },
    });
  });

  it('fills a 64-address block in order, then claims a second block', () => {
    const ipam = new CalicoIpam([pool('default-ipv4-ippool', '10.0.0.0/24')]);
    const first = Array.from({ length: 64 }, (_, i) => assign(ipam, 'n1', podHandle(`p${i}`)));
    const block = first[0]!.block;
    const base = parseCidr(block)!.addr;
    first.forEach((a, i) => {
      assert.equal(a.block, block);
      assert.equal(a.ip, formatIpv4(base + i));
    });
    const next = assign(ipam, 'n1', podHandle('p64'));
    assert.notEqual(next.block, block);
    assert.equal(next.ip, next.block.replace('/26', ''));
    assert.equal(ipam.blocksOf('n1').length, 2);
  });

  it('gives a released address out again only after the never-used ones (FIFO)', () => {
    const ipam = notesIpam();
    const a = assign(ipam, 'master', podHandle('a'));
    assign(ipam, 'master', podHandle('b'));
    assert.deepEqual(ipam.releaseByHandle(podHandle('a')).map(formatIpv4), [a.ip]);
    assert.deepEqual(ipam.releaseByHandle(podHandle('a')), [], 'a handle is released once');
    assert.equal(assign(ipam, 'master', podHandle('c')).ip, '192.168.236.2');
    for (let i = 3; i < 64; i++) assign(ipam, 'master', podHandle(`f${i}`));
    assert.equal(assign(ipam, 'master', podHandle('last')).ip, a.ip, 'the freed .0 comes back last');
    assert.deepEqual(ipam.blocksOf('master').map(formatCidr), ['192.168.236.0/26'], 'the block stays affine');
  });

  it('borrows from another node’s block when no block is left, and reports it', () => {
    const ipam = new CalicoIpam([pool('small', '10.0.0.0/25')]);
    const a = assign(ipam, 'a', podHandle('a'));
    const b = assign(ipam, 'b', podHandle('b'));
    assert.notEqual(a.block, b.block);
    const c = assign(ipam, 'c', podHandle('c'));
    assert.equal(c.borrowed, true);
    assert.ok([a.block, b.block].includes(c.block));
    assert.deepEqual(ipam.blocksOf('c'), []);
    const view = ipam.allBlocks().find((x) => formatCidr(x.cidr) === c.block)!;
    const borrowed = view.allocations.filter((x) => x.borrowed).map((x) => formatIpv4(x.ip));
    assert.deepEqual(borrowed, [c.ip]);
  });

  it('with StrictAffinity, no borrowing: the pool is exhausted for the third node', () => {
    const ipam = new CalicoIpam([pool('small', '10.0.0.0/25')], { strictAffinity: true });
    assign(ipam, 'a', podHandle('a'));
    assign(ipam, 'b', podHandle('b'));
    const r = ipam.autoAssign({ handleId: podHandle('c'), node: 'c' });
    assert.equal(r.ok ? 'ok' : r.error.code, 'exhausted');
  });

  it('MaxBlocksPerHost (which Calico allows only with StrictAffinity) reached is ErrBlockLimit', () => {
    assert.throws(() => new CalicoIpam([], { maxBlocksPerHost: 1 }), /requires StrictAffinity/);
    const ipam = new CalicoIpam([pool('p', '10.0.0.0/24')], { maxBlocksPerHost: 1, strictAffinity: true });
    for (let i = 0; i < 64; i++) assign(ipam, 'a', podHandle(`p${i}`));
    const r = ipam.autoAssign({ handleId: podHandle('x'), node: 'a' });
    assert.equal(r.ok ? 'ok' : r.error.code, 'block-limit');
  });

  it('a requested pool is used whatever its nodeSelector, and must exist', () => {
    const ipam = notesIpam();
    const r = ipam.autoAssign({ handleId: podHandle('x'), node: 'master', pool: parseCidr('192.168.190.192/26')! });
    assert.ok(r.ok);
    assert.equal(r.value.borrowed, false);
    assert.equal(formatCidr(r.value.block), '192.168.190.192/26');
    const bad = ipam.autoAssign({ handleId: podHandle('y'), node: 'master', pool: parseCidr('10.9.0.0/16')! });
    assert.equal(bad.ok ? '' : bad.error.message, 'the given pool (10.9.0.0/16) does not exist, or is not enabled');
  });

  it('walks a host’s blocks from where Calico’s randomBlockGenerator starts, covering the pool once', () => {
    const p = pool('p', '192.168.0.0/16');
    const order = blockOrder(p, 'master');
    assert.equal(order.length, 1024);
    assert.equal(new Set(order.map(formatCidr)).size, 1024);
    // Go: rand.New(rand.NewSource(int64(fnv32("master")))) then big.Int.Rand(1024) = 877 (go-rand.test.ts
    // checks the generator against Go's own regression outputs)
    assert.deepEqual(order.slice(0, 2).map(formatCidr), ['192.168.219.64/26', '192.168.219.128/26']);
    assert.equal(formatCidr(order[1023 - 877 + 1]!), '192.168.0.0/26', 'wraps to the pool start after its last block');
    const ipam = new CalicoIpam([pool('default-ipv4-ippool', '192.168.0.0/16')]);
    assert.equal(assign(ipam, 'master', podHandle('a')).block, '192.168.219.64/26');
  });

  it('removing a node deletes its empty blocks and leaves a block with borrowed addresses unaffine', async () => {
    const store = new MemoryDatastore(new Engine(1));
    const ipam = new CalicoIpam([pool('small', '10.0.0.0/25')], { store });
    const a = assign(ipam, 'a', podHandle('a'));
    const b = assign(ipam, 'b', podHandle('b'));
    const c = assign(ipam, 'c', podHandle('c'));
    assert.equal(c.borrowed, true);
    // a and b go away; their own pods are released first, c's borrowed address stays
    ipam.releaseByHandle(podHandle('a'));
    ipam.releaseByHandle(podHandle('b'));
    ipam.removeHost('a');
    ipam.removeHost('b');
    await ipam.flush();
    const left = ipam.allBlocks();
    assert.deepEqual(
      left.map((x) => [formatCidr(x.cidr), x.node]),
      [[c.block, undefined]],
    );
    assert.deepEqual(ipam.blocksOf('a'), []);
    const keys = (await store.list('/calico/ipam/v2/')).kvs.map((kv) => kv.key);
    assert.deepEqual(keys, [
      `/calico/ipam/v2/assignment/ipv4/block/${c.block.replace('/', '-')}`,
      '/calico/ipam/v2/handle/k8s-pod-network.c',
    ]);
    const kept = JSON.parse((await store.get(keys[0]!))!.value) as { affinity: unknown };
    assert.equal(kept.affinity, null);
    assert.ok([a.block, b.block].includes(c.block));
    // the next node claims the freed block
    assert.equal(assign(ipam, 'd', podHandle('d')).borrowed, false);
  });

  it('mirrors every change to the datastore with Calico’s keys and JSON, in Calico’s order', async () => {
    const store = new MemoryDatastore(new Engine(1));
    const events: WatchEvent[] = [];
    await store.watch('/calico/', (ev) => events.push(ev));
    const ipam = notesIpam(store);
    ipam.autoAssign(tunnelRequest('ipip', 'master'));
    ipam.autoAssign({
      handleId: podHandle('abc'),
      node: 'master',
      attrs: { namespace: 'default', node: 'master', pod: 'web-1' },
    });
    await ipam.flush();
    const blockK = '/calico/ipam/v2/assignment/ipv4/block/192.168.236.0-26';
    const affK = '/calico/ipam/v2/host/master/ipv4/block/192.168.236.0-26';
    const tunK = '/calico/ipam/v2/handle/ipip-tunnel-addr-master';
    const podK = '/calico/ipam/v2/handle/k8s-pod-network.abc';
    // getPendingAffinity, claimAffineBlock, confirmAffinity, then per address incrementHandle and updateBlock
    assert.deepEqual(
      events.map((e) => e.key),
      [affK, blockK, affK, tunK, blockK, podK, blockK],
    );
    assert.equal((await store.get(affK))?.value, '{"state":"confirmed","deleted":false}');
    assert.equal(events[0]?.type === 'put' ? events[0].value : '', '{"state":"pending","deleted":false}');
    assert.equal((await store.get(tunK))?.value, '{"block":{"192.168.236.0/26":1},"deleted":false}');
    // 1700000000 s after the epoch is 2023-11-14T22:13:20Z; the block's sequence number starts at the
    // creation time in ns and updateBlock adds one per write; each allocation records the number before it.
    const nulls = (n: number) => Array<string>(n).fill('null').join(',');
    const free = (from: number) => Array.from({ length: 64 - from }, (_, i) => from + i).join(',');
    const created =
      '{"cidr":"192.168.236.0/26","affinity":"host:master","affinity_claim_time":"2023-11-14T22:13:20Z",' +
      `"allocations":[${nulls(64)}],"unallocated":[${free(0)}],"attributes":null,` +
      '"sequenceNumber":1700000000123456789,"sequenceNumberForAllocation":{},"deleted":false}';
    assert.equal(events[1]?.type === 'put' ? events[1].value : '', created);
    const final =
      '{"cidr":"192.168.236.0/26","affinity":"host:master","affinity_claim_time":"2023-11-14T22:13:20Z",' +
      `"allocations":[0,1,${nulls(62)}],"unallocated":[${free(2)}],` +
      '"attributes":[{"handle_id":"ipip-tunnel-addr-master","secondary":{"node":"master","type":"ipipTunnelAddress"}},' +
      '{"handle_id":"k8s-pod-network.abc","secondary":{"namespace":"default","node":"master","pod":"web-1"}}],' +
      '"sequenceNumber":1700000000123456791,' +
      '"sequenceNumberForAllocation":{"0":1700000000123456789,"1":1700000000123456790},"deleted":false}';
    assert.equal((await store.get(blockK))?.value, final);
    // release: the ordinal goes to the back of the free list, its attribute is dropped, the handle deleted
    ipam.releaseByHandle(tunnelHandle('ipip', 'master'));
    await ipam.flush();
    assert.equal(await store.get(tunK), undefined);
    const released =
      '{"cidr":"192.168.236.0/26","affinity":"host:master","affinity_claim_time":"2023-11-14T22:13:20Z",' +
      `"allocations":[null,0,${nulls(62)}],"unallocated":[${free(2)},0],` +
      '"attributes":[{"handle_id":"k8s-pod-network.abc","secondary":{"namespace":"default","node":"master","pod":"web-1"}}],' +
      '"sequenceNumber":1700000000123456792,' +
      '"sequenceNumberForAllocation":{"1":1700000000123456790},"deleted":false}';
    assert.equal((await store.get(blockK))?.value, released);
    assert.ok(await store.get(affK), 'the empty-ish block keeps its affinity');
  });
});
