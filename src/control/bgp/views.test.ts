/**
 * BIRD's `show protocols` / `show route` and `calicoctl node status`: BIRD 2 byte for byte against the real
 * BIRD 2.0.12 (golden/README.md), Calico's BIRD 1.6 and calicoctl written by hand from their sources.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { calicoNodeStatus, calicoNodeStatusText, CalicoStatusError, scanBirdPeers } from './calico-node-status.js';
import {
  birdShowProtocols,
  BIRDCL_BANNER,
  calicoBirdOthers,
  birdShowRoute,
  birdTime,
  type BirdBgpProtocol,
  type BirdClock,
  type BirdOtherProtocol,
  type BirdRoute,
} from './views.js';

const GOLDEN = new URL('../../../../src/control/bgp/golden/', import.meta.url);
/** A golden file without birdcl's "BIRD 2.0.12 ready." banner. */
function golden(name: string): string {
  const text = readFileSync(new URL(`bird2-${name}.txt`, GOLDEN), 'utf8');
  assert.ok(text.startsWith(`${BIRDCL_BANNER.bird2}\n`));
  return text.slice(text.indexOf('\n') + 1);
}

/** The goldens' day (2026-12-03 UTC) is simulated time 0; `at('14:54:26.037')` is that moment in ns. */
const EPOCH_MS = Date.UTC(2026, 11, 3);
function at(hms: string): number {
  const [h, m, s] = hms.split(':').map(Number);
  return Math.round((h! * 3600 + m! * 60 + s!) * 1e3) * 1e6;
}
const clock: BirdClock = { epochMs: EPOCH_MS, now: at('14:55:00') };
const aStarted = at('14:54:26.037');
const aOthers: BirdOtherProtocol[] = [
  { name: 'device1', proto: 'Device', since: aStarted },
  { name: 'static1', proto: 'Static', since: aStarted },
];
const p1 = (p: Partial<BirdBgpProtocol>): BirdBgpProtocol[] => [{ name: 'p1', state: 'Idle', since: 0, ...p }];

describe('birdcl show protocols, BIRD 2.0.12 (goldens)', () => {
  test('Active: the peer is not there yet', () => {
    const text = birdShowProtocols(p1({ state: 'Active', since: aStarted }), aOthers, clock, 'bird2');
    assert.equal(text, golden('show-protocols-active'));
  });
  test('Established', () => {
    const text = birdShowProtocols(p1({ state: 'Established', since: at('14:54:29.983') }), aOthers, clock, 'bird2');
    assert.equal(text, golden('show-protocols-established'));
  });
  test('a NOTIFICATION received: Cease / Administrative Shutdown', () => {
    const lastError = { kind: 'received', code: 6, subcode: 2 } as const;
    const text = birdShowProtocols(
      p1({ state: 'Active', since: at('14:54:33.057'), lastError }),
      aOthers,
      clock,
      'bird2',
    );
    assert.equal(text, golden('show-protocols-received-notification'));
  });
  test('the hold timer expired: we sent NOTIFICATION 4/0 and wait in Idle', () => {
    const lastError = { kind: 'sent', code: 4, subcode: 0 } as const;
    const text = birdShowProtocols(
      p1({ state: 'Idle', since: at('14:54:41.580'), lastError }),
      aOthers,
      clock,
      'bird2',
    );
    assert.equal(text, golden('show-protocols-hold-timer-expired'));
  });
  test('disabled by the operator: down, no info', () => {
    const bStarted = at('14:54:28.045');
    const others: BirdOtherProtocol[] = [
      { name: 'device1', proto: 'Device', since: bStarted },
      { name: 'static1', proto: 'Static', since: bStarted },
    ];
    const text = birdShowProtocols(p1({ enabled: false, since: at('14:54:33.057') }), others, clock, 'bird2');
    assert.equal(text, golden('show-protocols-disabled'));
  });
  test("Calico's protocol set and a mesh peer name longer than the column", () => {
    const t = at('14:55:53.727');
    const others: BirdOtherProtocol[] = [
      { name: 'static1', proto: 'Static', since: t },
      { name: 'kernel1', proto: 'Kernel', since: t },
      { name: 'device1', proto: 'Device', since: t },
      { name: 'direct1', proto: 'Direct', since: t },
    ];
    const bgp: BirdBgpProtocol[] = [{ name: 'Mesh_172_171_5_96', state: 'Active', since: t }];
    assert.equal(birdShowProtocols(bgp, others, { ...clock, now: t }, 'bird2'), golden('show-protocols-calico-names'));
  });
});

describe('birdcl show route, BIRD 2.0.12 (goldens)', () => {
  const routes: BirdRoute[] = [
    {
      prefix: '172.171.5.0/24',
      dest: 'unicast',
      protocol: 'static1',
      since: aStarted,
      preference: 200,
      primary: true,
      iface: 'lo',
    },
    { prefix: '10.1.0.0/26', dest: 'blackhole', protocol: 'static1', since: aStarted, preference: 200, primary: true },
    {
      prefix: '192.168.190.192/26',
      dest: 'unicast',
      protocol: 'p1',
      since: at('14:54:30.802'),
      preference: 100,
      primary: true,
      from: '127.0.0.3',
      iface: 'lo',
      bgp: { origin: 'IGP', asPath: [], nextHop: '172.171.5.96', localPref: 100, igpMetric: 'unknown' },
    },
  ];
  test('show route', () => assert.equal(birdShowRoute(routes, clock, 'bird2'), golden('show-route')));
  test('show route all', () =>
    assert.equal(birdShowRoute(routes, clock, 'bird2', { all: true }), golden('show-route-all')));
});

describe("Calico's BIRD (projectcalico/bird, BIRD 1.6 based), from its format strings", () => {
  // nest/proto.c proto_cmd_show: "%-8s %-8s %-8s %-5s  %-10s  %s"; bgp.c bgp_get_status: "%-14s%s%s";
  // conf/conf.c: tf_proto {"%T", "%F", 20*3600}
  const calicoClock: BirdClock = { epochMs: EPOCH_MS, now: at('30:00:00') };
  const others = calicoBirdOthers(at('06:14:50'));
  const mesh: BirdBgpProtocol[] = [
    { name: 'Mesh_172_171_5_96', state: 'Established', since: at('14:15:27') },
    {
      name: 'Node_10_0_0_1',
      state: 'Active',
      since: at('14:15:28'),
      lastError: { kind: 'socket', message: 'Connection refused' },
    },
  ];
  const expected = [
    'name     proto    table    state  since       info',
    'static1  Static   master   up     2026-12-03  ',
    'kernel1  Kernel   master   up     2026-12-03  ',
    'device1  Device   master   up     2026-12-03  ',
    'direct1  Direct   master   up     2026-12-03  ',
    'Mesh_172_171_5_96 BGP      master   up     14:15:27    Established   ',
    'Node_10_0_0_1 BGP      master   start  14:15:28    Active        Socket: Connection refused',
    '',
  ].join('\n');

  test('show protocols: older than 20 hours prints the date, newer the time', () => {
    assert.equal(birdShowProtocols(mesh, others, calicoClock, 'calico-bird'), expected);
  });

  test('show route: next hop on the same line, pref/IGP metric and origin (rt_show_rte, bgp_get_route_info)', () => {
    const routes: BirdRoute[] = [
      {
        prefix: '192.168.236.0/26',
        dest: 'blackhole',
        protocol: 'static1',
        since: at('06:14:50'),
        preference: 200,
        primary: true,
      },
      {
        prefix: '192.168.190.192/26',
        dest: 'unicast',
        protocol: 'Mesh_172_171_5_96',
        since: at('14:15:27'),
        preference: 100,
        primary: true,
        from: '172.171.5.96',
        gateway: '172.171.5.96',
        iface: 'eth0',
        bgp: { origin: 'IGP', asPath: [], nextHop: '172.171.5.96', localPref: 100, igpMetric: 0 },
      },
    ];
    assert.equal(
      birdShowRoute(routes, calicoClock, 'calico-bird'),
      [
        '192.168.236.0/26   blackhole [static1 2026-12-03] * (200)',
        '192.168.190.192/26 via 172.171.5.96 on eth0 [Mesh_172_171_5_96 14:15:27] * (100/0) [i]',
        '',
      ].join('\n'),
    );
  });

  test('calicoctl node status: the tablewriter table from status.go printPeers, a long info wrapped at 30', () => {
    // status.go Status/printBIRDPeers/printPeers: "Calico process is running.\n", "\nIPv4 BGP status\n", the
    // table (headings upper-cased and centred, cells left-aligned, a cell over 30 columns wrapped with minimal
    // raggedness), "\nIPv6 BGP status\n", "No IPv6 peers found.\n", then fmt.Println().
    assert.equal(
      calicoNodeStatus(mesh, others, calicoClock),
      [
        'Calico process is running.',
        '',
        'IPv4 BGP status',
        '+--------------+-------------------+-------+----------+---------------------------+',
        '| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |           INFO            |',
        '+--------------+-------------------+-------+----------+---------------------------+',
        '| 172.171.5.96 | node-to-node mesh | up    | 14:15:27 | Established               |',
        '| 10.0.0.1     | node specific     | start | 14:15:28 | Active Socket: Connection |',
        '|              |                   |       |          | refused                   |',
        '+--------------+-------------------+-------+----------+---------------------------+',
        '',
        'IPv6 BGP status',
        'No IPv6 peers found.',
        '',
        '',
      ].join('\n'),
    );
  });

  test('calicoctl node status: no BGP peers', () => {
    assert.match(
      calicoNodeStatus([], others, calicoClock),
      /\nIPv4 BGP status\nNo IPv4 peers found.\n\nIPv6 BGP status\n/,
    );
  });

  test("calicoctl's own scanner test table (status_test.go) parses to the same peers", () => {
    const table = [
      'name     proto    table    state  since       info',
      'kernel1  Kernel   master   up     2016-11-21',
      'device1  Device   master   up     2016-11-21',
      'Mesh_172_17_8_102 BGP      master   up     2016-11-21  Established',
      'Global_172_17_8_103 BGP      master   up     2016-11-21  Established',
      'Node_172_17_8_104 BGP      master   down     2016-11-21  Failed  Socket: error',
    ].join('\n');
    assert.deepEqual(
      scanBirdPeers(table).map((p) => [p.peerIp, p.peerType, p.state, p.since, p.bgpState, p.info]),
      [
        ['172.17.8.102', 'node-to-node mesh', 'up', '2016-11-21', 'Established', ''],
        ['172.17.8.103', 'global', 'up', '2016-11-21', 'Established', ''],
        ['172.17.8.104', 'node specific', 'down', '2016-11-21', 'Failed', 'Socket: error'],
      ],
    );
  });

  test("calicoctl refuses BIRD 2's capitalised headings", () => {
    assert.throws(() => calicoNodeStatusText(golden('show-protocols-established')), CalicoStatusError);
  });
});

test('BIRD times: within 20 hours the time of day, from 20 hours on the date', () => {
  const since = at('23:59:59.5');
  assert.equal(birdTime(since, { epochMs: EPOCH_MS, now: since + 1e9 }, 'bird2'), '23:59:59.500');
  assert.equal(birdTime(since, { epochMs: EPOCH_MS, now: since + 1e9 }, 'calico-bird'), '23:59:59');
  assert.equal(birdTime(since, { epochMs: EPOCH_MS, now: since + 20 * 3600e9 }, 'calico-bird'), '2026-12-03');
  assert.equal(birdTime(since, { epochMs: EPOCH_MS, now: since + 20 * 3600e9 - 1 }, 'calico-bird'), '23:59:59');
});
