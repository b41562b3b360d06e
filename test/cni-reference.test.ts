/**
 * Debian's containernetworking-plugins (the reference CNI plugins, /usr/lib/cni) against podnet's on the
 * same configurations. The reference plugins run inside a "host" network namespace this test creates,
 * with CNI_NETNS pointing at pod namespaces it also creates, so nothing touches the machine's own
 * network; podnet's run through the same executable entry a runtime would use, on an emulated host kept
 * in a temporary state directory, with host-local's dataDir in real files.
 *
 * Compared: the ADD results (interfaces, ips with gateway and interface index, routes, dns), with MACs
 * and the host veth's name only checked for their form (random by nature); per pod, eth0's MTU and
 * addresses and the routing table; on the host, cni0's addresses and MTU, each veth's MTU, master and
 * hairpin flag; the nat table as iptables-save prints it (ipMasq and portmap chains, names from
 * sha512); host-local's files (names and contents) after ADDs, after a DEL, and round-robin after the
 * DEL (the released address is not handed out again); CHECK; the exhaustion and duplicate errors (code,
 * msg, details); loopback; VERSION; and the delegate podnet's flannel builds, run by the reference
 * bridge. Debian's plugins (1.1.1) speak CNI up to 1.0.0, so the configurations say 1.0.0.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetnsSet, requireNetns } from './support/netns.js';
import {
  errorOf,
  netnsPath,
  normalizeResult,
  requireCniPlugins,
  runPodnet,
  runReference,
  type PluginRun,
} from './support/netns-cni.js';
import { loadHostState, type HostStateDoc } from '../src/control/cni/state.js';
import { MemoryStore } from '../src/control/cni/host.js';
import { saveTable } from '../src/control/cni/iptables.js';
import { hairpinOf } from '../src/control/cni/netlink.js';
import { BridgeDev } from '../src/net/bridge.js';
import type { IpNode } from '../src/net/ip-node.js';
import { formatIpv4 } from '../src/wire/addr.js';

const VERSION = '1.0.0';

function bridgeConf(dataDir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cniVersion: VERSION,
    name: 'podnet-ref',
    type: 'bridge',
    bridge: 'cni0',
    isGateway: true,
    isDefaultGateway: true,
    ipMasq: true,
    hairpinMode: true,
    mtu: 1450,
    ipam: { type: 'host-local', ranges: [[{ subnet: '10.99.0.0/24' }]], routes: [{ dst: '10.99.0.0/16' }], dataDir },
    ...extra,
  };
}

interface Env {
  ns: NetnsSet;
  tmp: string;
  state: string;
  refData: string;
  ourData: string;
}

function setup(t: TestContext): Env | undefined {
  if (!requireNetns(t) || !requireCniPlugins(t)) return undefined;
  const ns = new NetnsSet();
  const tmp = mkdtempSync(join(tmpdir(), 'podnet-cni-'));
  t.after(() => {
    ns.destroy();
    rmSync(tmp, { recursive: true, force: true });
  });
  ns.add('host');
  return { ns, tmp, state: join(tmp, 'state'), refData: join(tmp, 'ref-data'), ourData: join(tmp, 'our-data') };
}

/** Our emulated host as the last run left it. */
function ours(e: Env): { node: IpNode; pod(path: string): IpNode | undefined } {
  const doc = JSON.parse(readFileSync(join(e.state, 'host.json'), 'utf8')) as HostStateDoc;
  const { host } = loadHostState(doc, new MemoryStore(), false);
  return { node: host.node, pod: (p) => host.podNode('', p) };
}

/** A directory's files and contents. */
function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) out[f] = readFileSync(join(dir, f), 'utf8');
  return out;
}

function ipJson(e: Env, nsName: string, args: string[]): Record<string, unknown>[] {
  return JSON.parse(e.ns.ip(nsName, ['-j', ...args]) || '[]') as Record<string, unknown>[];
}

/** `ip route` of a pod namespace as "dst via gw dev X [kernel]" lines. */
function kernelRoutes(e: Env, pod: string): string[] {
  return ipJson(e, pod, ['route', 'show'])
    .map(
      (r) =>
        `${r.dst === 'default' ? '0.0.0.0/0' : String(r.dst)}${r.gateway !== undefined ? ` via ${r.gateway as string}` : ''} dev ${String(r.dev)}${r.protocol === 'kernel' ? ' kernel' : ''}`,
    )
    .sort();
}

function emulatedRoutes(n: IpNode): string[] {
  return n.routes
    .routes()
    .map(
      (r) =>
        `${formatIpv4(r.dst)}/${r.len}${r.via !== undefined ? ` via ${formatIpv4(r.via)}` : ''} dev ${r.dev}${r.proto === 'kernel' ? ' kernel' : ''}`,
    )
    .sort();
}

function natTable(e: Env, nsName: string): string {
  return e.ns
    .exec(nsName, 'iptables-save', ['-t', 'nat'])
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
}

function assertSameResult(ref: PluginRun, pod: PluginRun, what: string): void {
  assert.equal(ref.exitCode, 0, `reference ${what} failed: ${ref.stdout}`);
  assert.equal(pod.exitCode, 0, `podnet ${what} failed: ${pod.stdout}`);
  assert.deepEqual(normalizeResult(pod.json), normalizeResult(ref.json), `${what}: results differ`);
}

/** Pod namespace, eth0 and host side compared between kernel and emulation. */
function assertSameWiring(e: Env, pod: string): void {
  const path = netnsPath(e.ns, pod);
  const o = ours(e);
  const p = o.pod(path);
  assert.ok(p !== undefined, `podnet has no namespace ${path}`);
  const eth0 = ipJson(e, pod, ['addr', 'show', 'dev', 'eth0'])[0]!;
  const dev = p.dev('eth0')!;
  assert.equal(dev.mtu, eth0.mtu, `${pod} eth0 MTU`);
  const kAddrs = (eth0.addr_info as { family: string; local: string; prefixlen: number }[])
    .filter((a) => a.family === 'inet')
    .map((a) => `${a.local}/${a.prefixlen}`);
  assert.deepEqual(
    dev.addresses.map((a) => `${formatIpv4(a.addr)}/${a.len}`),
    kAddrs,
    `${pod} eth0 addresses`,
  );
  assert.deepEqual(emulatedRoutes(p), kernelRoutes(e, pod), `${pod} routes`);
  // the host side: the bridge and every veth
  const br = ipJson(e, 'host', ['addr', 'show', 'dev', 'cni0'])[0]!;
  const obr = o.node.dev('cni0');
  assert.ok(obr instanceof BridgeDev);
  assert.equal(obr.mtu, br.mtu, 'cni0 MTU');
  assert.deepEqual(
    obr.addresses.map((a) => `${formatIpv4(a.addr)}/${a.len}`),
    (br.addr_info as { family: string; local: string; prefixlen: number }[])
      .filter((a) => a.family === 'inet')
      .map((a) => `${a.local}/${a.prefixlen}`),
    'cni0 addresses',
  );
  const kVeths = ipJson(e, 'host', ['-d', 'link', 'show', 'type', 'veth']).map(
    (l) =>
      `mtu ${String(l.mtu)} master ${String(l.master)} hairpin ${String((l.linkinfo as { info_slave_data?: { hairpin?: boolean } }).info_slave_data?.hairpin)}`,
  );
  const oVeths = o.node.devs
    .filter((d) => d.name.startsWith('veth'))
    .map(
      (d) => `mtu ${d.mtu} master ${d.master instanceof BridgeDev ? d.master.name : 'none'} hairpin ${hairpinOf(d)}`,
    );
  assert.deepEqual(oVeths.sort(), kVeths.sort(), 'host veths');
  assert.equal(saveTable(o.node, 'nat'), natTable(e, 'host'), 'nat table');
}

describe('CNI plugins against the reference plugins (containernetworking-plugins)', () => {
  it('bridge + host-local: ADD, wiring, iptables, files, CHECK, DEL, round-robin re-ADD', (t) => {
    const e = setup(t);
    if (e === undefined) return;
    const refConf = bridgeConf(e.refData);
    const ourConf = bridgeConf(e.ourData);
    const results: Record<string, { ref: PluginRun; pod: PluginRun }> = {};
    for (const [i, pod] of ['pod1', 'pod2', 'pod3'].entries()) {
      e.ns.add(pod);
      const call = { command: 'ADD', containerId: `ctr-${i + 1}`, netns: netnsPath(e.ns, pod), ifName: 'eth0' };
      const ref = runReference(e.ns, 'host', 'bridge', call, refConf);
      const ourRun = runPodnet(e.state, 'bridge', call, ourConf);
      assertSameResult(ref, ourRun, `ADD ${call.containerId}`);
      results[pod] = { ref, pod: ourRun };
      assertSameWiring(e, pod);
    }
    assert.deepEqual(
      files(join(e.ourData, 'podnet-ref')),
      files(join(e.refData, 'podnet-ref')),
      'host-local files after 3 ADDs',
    );

    // CHECK with the ADD result as prevResult: the reference (1.1.1) fails its own result here, because a
    // route without "gw" must be in the table without one; podnet says the same
    for (const [i, pod] of ['pod1', 'pod2', 'pod3'].entries()) {
      const call = { command: 'CHECK', containerId: `ctr-${i + 1}`, netns: netnsPath(e.ns, pod), ifName: 'eth0' };
      const ref = runReference(e.ns, 'host', 'bridge', call, { ...refConf, prevResult: results[pod]!.ref.json });
      const ourRun = runPodnet(e.state, 'bridge', call, { ...ourConf, prevResult: results[pod]!.pod.json });
      assert.deepEqual([ourRun.exitCode, errorOf(ourRun)], [ref.exitCode, errorOf(ref)], `CHECK ctr-${i + 1}`);
    }

    // DEL the second container: address released, veth and masquerade chain gone
    const del = { command: 'DEL', containerId: 'ctr-2', netns: netnsPath(e.ns, 'pod2'), ifName: 'eth0' };
    const refDel = runReference(e.ns, 'host', 'bridge', del, { ...refConf, prevResult: results.pod2!.ref.json });
    const ourDel = runPodnet(e.state, 'bridge', del, { ...ourConf, prevResult: results.pod2!.pod.json });
    assert.deepEqual([ourDel.exitCode, ourDel.stdout], [refDel.exitCode, refDel.stdout], 'DEL ctr-2');
    assert.deepEqual(
      files(join(e.ourData, 'podnet-ref')),
      files(join(e.refData, 'podnet-ref')),
      'host-local files after DEL',
    );
    assert.equal(saveTable(ours(e).node, 'nat'), natTable(e, 'host'), 'nat table after DEL');
    // a second DEL is fine on both
    assert.equal(runReference(e.ns, 'host', 'bridge', del, refConf).exitCode, 0);
    assert.equal(runPodnet(e.state, 'bridge', del, ourConf).exitCode, 0);

    // round robin: the next container gets .5, not the released .3
    e.ns.add('pod4');
    const call = { command: 'ADD', containerId: 'ctr-4', netns: netnsPath(e.ns, 'pod4'), ifName: 'eth0' };
    const ref = runReference(e.ns, 'host', 'bridge', call, refConf);
    const ourRun = runPodnet(e.state, 'bridge', call, ourConf);
    assertSameResult(ref, ourRun, 'ADD ctr-4 after DEL');
    assert.equal((ourRun.json!.ips as { address: string }[])[0]!.address, '10.99.0.5/24');
    assert.deepEqual(
      files(join(e.ourData, 'podnet-ref')),
      files(join(e.refData, 'podnet-ref')),
      'host-local files after re-ADD',
    );
    assertSameWiring(e, 'pod4');
  });

  it('host-local: exhaustion, duplicate ADD, bad ranges — same error codes and messages', (t) => {
    const e = setup(t);
    if (e === undefined) return;
    e.ns.add('pod1');
    const conf = (dataDir: string, subnet: string): Record<string, unknown> => ({
      cniVersion: VERSION,
      name: 'tiny',
      type: 'host-local',
      ipam: { type: 'host-local', ranges: [[{ subnet }]], dataDir },
    });
    const call = (id: string) => ({ command: 'ADD', containerId: id, netns: netnsPath(e.ns, 'pod1'), ifName: 'eth0' });
    // a /30 has one address for pods: .1 is the gateway
    const r1 = runReference(e.ns, 'host', 'host-local', call('c1'), conf(e.refData, '10.98.0.0/30'));
    const o1 = runPodnet(e.state, 'host-local', call('c1'), conf(e.ourData, '10.98.0.0/30'));
    assertSameResult(r1, o1, 'ADD c1 on a /30');
    const r2 = runReference(e.ns, 'host', 'host-local', call('c2'), conf(e.refData, '10.98.0.0/30'));
    const o2 = runPodnet(e.state, 'host-local', call('c2'), conf(e.ourData, '10.98.0.0/30'));
    assert.equal(r2.exitCode, 1);
    assert.equal(o2.exitCode, 1);
    assert.deepEqual(errorOf(o2), errorOf(r2), 'exhaustion error');
    assert.equal(
      errorOf(o2)!.msg,
      'failed to allocate for range 0: no IP addresses available in range set: 10.98.0.1-10.98.0.2',
    );
    assert.equal(o2.json!.cniVersion, VERSION, "podnet errors carry the spec's cniVersion");
    // the same container again: duplicate allocation
    const r3 = runReference(e.ns, 'host', 'host-local', call('c1'), conf(e.refData, '10.98.0.0/30'));
    const o3 = runPodnet(e.state, 'host-local', call('c1'), conf(e.ourData, '10.98.0.0/30'));
    assert.deepEqual(errorOf(o3), errorOf(r3), 'duplicate ADD error');
    assert.deepEqual(files(join(e.ourData, 'tiny')), files(join(e.refData, 'tiny')), 'files');
    // too small, bad gateway, missing ipam, no ranges, bad JSON, missing env, bad container ID, bad version
    const cases: [string, unknown, Partial<ReturnType<typeof call>>?][] = [
      ['a /31', conf(e.ourData, '10.97.0.0/31')],
      ['no ipam', { cniVersion: VERSION, name: 'x', type: 'host-local' }],
      [
        'no ranges',
        { cniVersion: VERSION, name: 'x', type: 'host-local', ipam: { type: 'host-local', dataDir: e.ourData } },
      ],
      ['empty stdin', ''],
      ['no name', { cniVersion: VERSION, type: 'host-local' }],
      ['bad container ID', conf(e.ourData, '10.97.0.0/24'), { containerId: '-x' }],
      ['unsupported version', { ...conf(e.ourData, '10.97.0.0/24'), cniVersion: '9.9.9' }],
      ['missing env', conf(e.ourData, '10.97.0.0/24'), { containerId: undefined, netns: undefined }],
    ];
    for (const [what, c, over] of cases) {
      const cl = { ...call('c9'), ...(over ?? {}) };
      if (what === 'missing env') {
        delete (cl as { containerId?: string }).containerId;
        delete (cl as { netns?: string }).netns;
      }
      const text = typeof c === 'string' ? c : JSON.stringify(c).replaceAll(e.ourData, e.refData);
      const r = runReference(e.ns, 'host', 'host-local', cl, text);
      const o = runPodnet(e.state, 'host-local', cl, typeof c === 'string' ? c : JSON.stringify(c));
      assert.equal(r.exitCode, 1, `${what}: the reference should fail`);
      assert.equal(o.exitCode, 1, `${what}: podnet should fail`);
      const oe = errorOf(o)!;
      const re = errorOf(r)!;
      if (what === 'unsupported version') {
        // same code and message; the details list each side's own versions
        assert.deepEqual([oe.code, oe.msg], [re.code, re.msg], what);
        assert.match(
          String(oe.details),
          /^config is "9\.9\.9", plugin supports \["0\.3\.0" "0\.3\.1" "0\.4\.0" "1\.0\.0" "1\.1\.0"\]$/,
        );
      } else assert.deepEqual(oe, re, what);
    }
  });

  it('portmap chained after bridge writes the same nat table', (t) => {
    const e = setup(t);
    if (e === undefined) return;
    e.ns.add('pod1');
    const call = { command: 'ADD', containerId: 'web-1', netns: netnsPath(e.ns, 'pod1'), ifName: 'eth0' };
    const ref = runReference(e.ns, 'host', 'bridge', call, bridgeConf(e.refData));
    const ourRun = runPodnet(e.state, 'bridge', call, bridgeConf(e.ourData));
    assertSameResult(ref, ourRun, 'bridge ADD');
    const pm = (prevResult: unknown): Record<string, unknown> => ({
      cniVersion: VERSION,
      name: 'podnet-ref',
      type: 'portmap',
      capabilities: { portMappings: true },
      runtimeConfig: {
        portMappings: [
          { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
          { hostPort: 8443, containerPort: 443, protocol: 'tcp' },
          { hostPort: 5353, containerPort: 53, protocol: 'udp' },
        ],
      },
      prevResult,
    });
    const refPm = runReference(e.ns, 'host', 'portmap', call, pm(ref.json));
    const ourPm = runPodnet(e.state, 'portmap', call, pm(ourRun.json));
    assertSameResult(refPm, ourPm, 'portmap ADD');
    assert.equal(saveTable(ours(e).node, 'nat'), natTable(e, 'host'), 'nat table with port mappings');
    const del = { ...call, command: 'DEL' };
    assert.equal(runReference(e.ns, 'host', 'portmap', del, pm(ref.json)).exitCode, 0);
    assert.equal(runPodnet(e.state, 'portmap', del, pm(ourRun.json)).exitCode, 0);
    assert.equal(saveTable(ours(e).node, 'nat'), natTable(e, 'host'), 'nat table after portmap DEL');
  });

  it('loopback and VERSION', (t) => {
    const e = setup(t);
    if (e === undefined) return;
    e.ns.add('pod1');
    const call = { command: 'ADD', containerId: 'lo-1', netns: netnsPath(e.ns, 'pod1'), ifName: 'lo' };
    const conf = { cniVersion: VERSION, name: 'lo', type: 'loopback' };
    assertSameResult(
      runReference(e.ns, 'host', 'loopback', call, conf),
      runPodnet(e.state, 'loopback', call, conf),
      'loopback ADD',
    );
    assert.equal(e.ns.ip('pod1', ['-j', 'link', 'show', 'lo']).includes('"UP"'), true, 'the reference brought lo up');
    for (const type of ['bridge', 'host-local', 'loopback', 'portmap']) {
      const r = runReference(e.ns, 'host', type, { command: 'VERSION' }, '');
      const o = runPodnet(e.state, type, { command: 'VERSION' }, '');
      assert.equal(r.exitCode, 0);
      assert.equal(o.exitCode, 0);
      assert.deepEqual(Object.keys(o.json!).sort(), Object.keys(r.json!).sort(), `${type} VERSION keys`);
      assert.equal(o.json!.cniVersion, '1.1.0');
      // podnet speaks every version the reference does from 0.3.0 on, and 1.1.0
      const refFrom030 = (r.json!.supportedVersions as string[]).filter((v) => v >= '0.3.0');
      assert.deepEqual(
        (o.json!.supportedVersions as string[]).filter((v) => refFrom030.includes(v)),
        refFrom030,
      );
      assert.ok((o.json!.supportedVersions as string[]).includes('1.1.0'));
    }
  });

  it('flannel: the delegate podnet builds from subnet.env, run by the reference bridge, gives the same result', (t) => {
    const e = setup(t);
    if (e === undefined) return;
    e.ns.add('pod1');
    const subnetFile = join(e.tmp, 'subnet.env');
    writeFileSync(
      subnetFile,
      'FLANNEL_NETWORK=10.42.0.0/16\nFLANNEL_SUBNET=10.42.0.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n',
    );
    const flannelDir = join(e.tmp, 'flannel');
    // flannel's own "ipam" key is merged into the delegate's: a private dataDir instead of the machine's
    const conf = {
      cniVersion: VERSION,
      name: 'cbr0',
      type: 'flannel',
      subnetFile,
      dataDir: flannelDir,
      ipam: { dataDir: e.ourData },
      delegate: { hairpinMode: true, isDefaultGateway: true },
    };
    const call = { command: 'ADD', containerId: 'f-1', netns: netnsPath(e.ns, 'pod1'), ifName: 'eth0' };
    const ourRun = runPodnet(e.state, 'flannel', call, conf);
    assert.equal(ourRun.exitCode, 0, ourRun.stdout);
    const saved = readFileSync(join(flannelDir, 'f-1'), 'utf8');
    const delegate = JSON.parse(saved) as Record<string, unknown>;
    assert.deepEqual(delegate, {
      cniVersion: VERSION,
      hairpinMode: true,
      ipMasq: false,
      ipam: {
        dataDir: e.ourData,
        type: 'host-local',
        ranges: [[{ subnet: '10.42.0.0/24' }]],
        routes: [{ dst: '10.42.0.0/16' }],
      },
      isDefaultGateway: true,
      isGateway: true,
      mtu: 1450,
      name: 'cbr0',
      type: 'bridge',
    });
    // Go's json.Marshal of a map: compact, keys sorted
    assert.equal(
      saved,
      `{"cniVersion":"1.0.0","hairpinMode":true,"ipMasq":false,"ipam":{"dataDir":${JSON.stringify(e.ourData)},"ranges":[[{"subnet":"10.42.0.0/24"}]],"routes":[{"dst":"10.42.0.0/16"}],"type":"host-local"},"isDefaultGateway":true,"isGateway":true,"mtu":1450,"name":"cbr0","type":"bridge"}`,
    );
    const withDir = (dir: string): Record<string, unknown> => ({
      ...delegate,
      ipam: { ...(delegate.ipam as object), dataDir: dir },
    });
    const ref = runReference(e.ns, 'host', 'bridge', call, withDir(e.refData));
    assert.equal(ref.exitCode, 0, ref.stdout);
    assert.deepEqual(
      normalizeResult(ourRun.json),
      normalizeResult(ref.json),
      'flannel ADD vs reference bridge on the delegate',
    );
    assert.equal((ourRun.json!.ips as { address: string }[])[0]!.address, '10.42.0.2/24');
    // DEL runs the saved delegate and forgets it
    const del = runPodnet(e.state, 'flannel', { ...call, command: 'DEL' }, conf);
    assert.equal(del.exitCode, 0, del.stdout);
    assert.throws(() => readFileSync(join(flannelDir, 'f-1')));
    assert.deepEqual(
      readdirSync(join(e.ourData, 'cbr0')).filter((f) => /^\d/.test(f)),
      [],
      'the address was released',
    );
  });
});
