/**
 * The etcd v3 datastore against a real etcd (Debian's etcd-server, started here on 127.0.0.1): the shared
 * conformance suite, then what only a real server shows: flannel's keys stored byte for byte, two clients
 * racing for one subnet, and an unreachable server reported as such.
 */
import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import { runDatastoreConformance } from '../src/control/datastore/conformance.js';
import {
  encodeFlannelLeaseValue,
  flannelSubnetKey,
  flannelSubnetsPrefix,
  parseFlannelLeaseValue,
  vxlanBackendData,
} from '../src/control/datastore/flannel-keys.js';
import { DatastoreError, type WatchEvent } from '../src/control/datastore/types.js';
import { EtcdV3Datastore } from '../src/realtime/etcd/etcd-v3.js';
import { parseCidr, parseMac } from '../src/wire/addr.js';
import { ETCD, startEtcd, type EtcdServer } from './support/etcd.js';
import { hasBinary, requirePeer } from './support/peers.js';

let server: EtcdServer | undefined;
before(async () => {
  if (hasBinary(ETCD.bin)) server = await startEtcd();
});
after(async () => {
  await server?.stop();
});

/** A test that needs the server: skipped (or failed in CI) when etcd is not installed. */
function etcdTest(name: string, fn: (endpoint: string) => Promise<void>): void {
  test(name, async (t: TestContext) => {
    if (!requirePeer(t, 'etcd', ETCD)) return;
    assert.ok(server, 'etcd is installed but did not start (see the before hook)');
    await fn(server.endpoint);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

runDatastoreConformance(
  'etcd',
  {
    makeStore: async () => new EtcdV3Datastore(server!.endpoint),
    elapse: (seconds) => sleep(seconds * 1000),
    // etcd's lessor looks for expired leases every 500 ms, then revokes through raft
    leaseSlackSeconds: 1,
    until: async (cond, what) => {
      const deadline = Date.now() + 5_000;
      while (!cond()) {
        if (Date.now() > deadline) throw new Error(`${what}: still not true after 5 s`);
        await sleep(10);
      }
    },
  },
  (name, fn) => etcdTest(name, () => fn()),
);

etcdTest('etcd: the server is etcd 3.4 or later, whose gateway lives under /v3/', async () => {
  const v = JSON.parse(server!.version) as { etcdserver: string };
  const [major, minor] = v.etcdserver.split('.').map(Number);
  assert.ok(major === 3 && minor! >= 4, `etcd ${v.etcdserver}`);
});

etcdTest("etcd: a flannel subnet lease is stored under flannel's key, byte for byte", async (endpoint) => {
  const s = new EtcdV3Datastore(endpoint);
  try {
    const lease = await s.grantLease(60);
    const key = flannelSubnetKey({ ipv4: parseCidr('10.5.72.0/24')! }, '/flannel-layout/network');
    const value = encodeFlannelLeaseValue({
      publicIp: parseCidr('10.85.81.165/32')!.addr,
      backendType: 'vxlan',
      backendData: vxlanBackendData({ vni: 1, vtepMac: parseMac('de:71:6e:55:36:75')! }),
    });
    await s.compareAndSwap(key, { value: undefined }, value, { lease });
    // read it back with a hand-written gateway request, not through the client under test
    const res = await fetch(`${endpoint}/v3/kv/range`, {
      method: 'POST',
      body: JSON.stringify({ key: Buffer.from('/flannel-layout/network/subnets/10.5.72.0-24').toString('base64') }),
    });
    const body = (await res.json()) as { kvs: { value: string; lease: string }[] };
    assert.equal(
      Buffer.from(body.kvs[0]!.value, 'base64').toString('utf8'),
      '{"PublicIP":"10.85.81.165","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"de:71:6e:55:36:75"}}',
    );
    assert.equal(body.kvs[0]!.lease, lease);
    const listed = await s.list(flannelSubnetsPrefix('/flannel-layout/network'));
    assert.deepEqual(
      listed.kvs.map((kv) => kv.key),
      [key],
    );
    assert.ok(parseFlannelLeaseValue(listed.kvs[0]!.value).ok);
    await s.revokeLease(lease);
  } finally {
    await s.close();
  }
});

etcdTest('etcd: two clients claim one subnet: exactly one wins, and the other watches it arrive', async (endpoint) => {
  const a = new EtcdV3Datastore(endpoint);
  const b = new EtcdV3Datastore(endpoint);
  try {
    const seen: WatchEvent[] = [];
    const w = await b.watch('/race/', (ev) => seen.push(ev));
    const key = '/race/subnets/10.5.9.0-24';
    const [ra, rb] = await Promise.all([
      a.compareAndSwap(key, { value: undefined }, 'node-a'),
      b.compareAndSwap(key, { value: undefined }, 'node-b'),
    ]);
    assert.equal(Number(ra.succeeded) + Number(rb.succeeded), 1, 'exactly one claim succeeds');
    const winner = ra.succeeded ? ra.current! : rb.current!;
    assert.deepEqual(ra.current, winner);
    assert.deepEqual(rb.current, winner);
    const deadline = Date.now() + 5_000;
    while (seen.length === 0 && Date.now() < deadline) await sleep(10);
    assert.deepEqual(seen, [
      {
        type: 'put',
        key,
        value: winner.value,
        revision: winner.modRevision,
        createRevision: winner.modRevision,
        version: 1,
      },
    ]);
    w.cancel();
  } finally {
    await a.close();
    await b.close();
  }
});

test('etcd: an unreachable server is reported as unavailable', async () => {
  const s = new EtcdV3Datastore('http://127.0.0.1:9', { timeoutMs: 2_000 });
  await assert.rejects(s.get('/k'), (err: unknown) => err instanceof DatastoreError && err.code === 'unavailable');
  await assert.rejects(
    s.watch('/k', () => undefined),
    (err: unknown) => err instanceof DatastoreError && err.code === 'unavailable',
  );
  await s.close();
});
