/**
 * The device inspector's tables against the shell commands that read the same models: after the
 * vxlan-nat-gateway lab has run, the gateway's routes are `ip route`'s lines, its neighbours `ip neigh`'s,
 * its conntrack rows `conntrack -L`'s entries with both translations, and its iptables rows carry the
 * counters the DNAT and MASQUERADE rules ran up; the hypervisor's FDB has its bridge's learned MACs and the
 * VXLAN flood entry as `bridge fdb` lists them; a switch shows its MAC table; a route reflector its sessions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bgpLab, cidr, ip, type BgpLabHost } from '../src/control/bgp/testing.js';
import { deviceTables, bgpSessionTable, type DeviceTable } from '../src/observe/dissect/index.js';
import { bridgeFdb, ipNeigh, ipRoute } from '../src/net/views.js';
import type { LabNetwork } from '../src/scenario/build.js';
import { runLab } from '../src/scenario/run.js';
import { SECOND } from '../src/sim/engine.js';
import { formatIpv4 } from '../src/wire/addr.js';
import { loadExample } from './support/examples.js';

function run(name: string): LabNetwork {
  let lab: LabNetwork | undefined;
  const r = runLab(loadExample(name), { prepare: (l) => (lab = l) });
  assert.ok(r.ok);
  return lab!;
}

function table(tables: DeviceTable[], title: string): DeviceTable {
  const t = tables.find((x) => x.title === title);
  assert.ok(t, `no "${title}" among ${tables.map((x) => x.title).join(', ')}`);
  for (const row of t.rows) assert.equal(row.length, t.columns.length, `${title}: ${row.join(' | ')}`);
  return t;
}

test('an IP node: routes, neighbours, iptables with counters and conntrack, as the commands read them', () => {
  const lab = run('vxlan-nat-gateway.yaml');
  const gw = lab.ipNodes.get('gw')!;
  const tables = deviceTables(gw);
  const routes = table(tables, 'Routes');
  assert.deepEqual(
    routes.rows.map((r) => r.at(-1)),
    ipRoute(gw).split('\n'),
  );
  const neigh = table(tables, 'Neighbours (ARP)');
  assert.deepEqual(
    neigh.rows.map(([ipa, dev, mac, state]) => `${ipa} dev ${dev}${mac ? ` lladdr ${mac}` : ''} ${state}`),
    ipNeigh(gw).split('\n'),
  );
  const nat = table(tables, 'iptables -t nat');
  const dnat = nat.rows.find((r) => r[4]!.includes('-j DNAT'));
  const masq = nat.rows.find((r) => r[4]!.includes('-j MASQUERADE'));
  assert.ok(dnat && masq, nat.rows.map((r) => r.join(' | ')).join('\n'));
  assert.ok(Number(dnat[2]) > 0 && Number(masq[2]) > 0, 'the port forward and the masquerade both matched packets');
  const ct = table(tables, 'Connection tracking (conntrack -L)');
  assert.ok(ct.rows.length > 0);
  // the port forward in: the reply comes from the VM the DNAT chose, to the outside host
  assert.ok(
    ct.rows.some((r) => r[2]!.endsWith('203.0.113.1:8080') && r[3]!.startsWith('10.10.0.1:80 ')),
    ct.rows.join('\n'),
  );
  const hv1 = lab.ipNodes.get('hv1')!;
  const fdb = table(deviceTables(hv1), 'Forwarding database (bridge fdb)');
  assert.equal(
    fdb.rows.length,
    bridgeFdb(hv1)
      .split('\n')
      .filter((l) => l !== '').length,
  );
  assert.ok(
    fdb.rows.some((r) => r[0] === '00:00:00:00:00:00' && r[2]!.startsWith('VTEP ')),
    'the flood entry',
  );
});

test('a switch shows its MAC table; a route reflector its sessions', () => {
  const lab = run('hub-vs-switch.yaml');
  const sw = [...lab.switches.values()][0]!;
  const mac = table(deviceTables(sw), 'MAC table');
  assert.equal(mac.rows.length, sw.macTable().length);
  assert.ok(mac.rows.length > 0);
  const b = bgpLab(3, {
    speaker: (i) => (i === 0 ? { clusterId: ip('10.255.0.1'), jitter: false } : { jitter: false }),
  });
  const [rr, ...others] = b.hosts as [BgpLabHost, ...BgpLabHost[]];
  others.forEach((h, i) => {
    rr.speaker.addPeer({ address: h.addr, asn: 64512, rrClient: true });
    h.speaker.addPeer({ address: rr.addr, asn: 64512 });
    h.speaker.originate(cidr(`192.168.${i + 2}.0/26`));
  });
  b.engine.runUntilIdle(60 * SECOND);
  const s = bgpSessionTable(rr.speaker, b.engine.now);
  assert.deepEqual(
    s.rows.map((r) => [r[0], r[2], r[3], r[5]]),
    others.map((h) => [formatIpv4(h.addr), 'iBGP (route reflector client)', 'Established', '1']),
  );
});
