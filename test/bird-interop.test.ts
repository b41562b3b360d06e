/**
 * The emulated BGP speaker against a real BIRD 2 (Debian's bird2) over real TCP on loopback, as a ToR router
 * peers with a Calico cluster: the speaker runs on the wall clock (WallRunner) behind the outside-peer
 * connector `podnet serve --bgp-peer` uses. Each test writes BIRD's config, starts it with its own control
 * socket in a temp dir and kills it at the end. Shown:
 * - Established, and BIRD learns the two nodes' /26 blocks with the nodes as next hops (`show route all`);
 * - a route BIRD originates (static 10.99.0.0/24) reaches our Loc-RIB and onBestChange;
 * - NOTIFICATIONs both ways (BIRD's `disable` → Cease / Administrative Shutdown; our shutdown → BIRD's
 *   "Received: Administrative shutdown");
 * - hold timers both ways: BIRD frozen with SIGSTOP → we send Hold Timer Expired; our engine frozen → BIRD
 *   reports "BGP Error: Hold timer expired" and we then read its NOTIFICATION.
 * BIRD's timers are cut to seconds (hold time 3, keepalive 1, connect/error waits 1) to keep this short.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { birdProtocolOf } from '../src/control/bgp/bird-status.js';
import { calicoNodeStatus } from '../src/control/bgp/calico-node-status.js';
import { BgpSpeaker } from '../src/control/bgp/speaker.js';
import { birdShowProtocols } from '../src/control/bgp/views.js';
import { TcpBgpConnector } from '../src/control/bgp/tcp-transport.js';
import { Network } from '../src/link/device.js';
import { Switch } from '../src/link/switch.js';
import { IpNode } from '../src/net/ip-node.js';
import { attachBgpPeer, globalPeerName } from '../src/realtime/bgp-attach.js';
import { TcpStack } from '../src/transport/tcp.js';
import { OutsidePeerConnector } from '../src/realtime/bgp-outside-connector.js';
import { WallRunner } from '../src/realtime/wall-runner.js';
import { Engine } from '../src/sim/engine.js';
import { formatCidr, formatIpv4, parseCidr, parseIpv4, type Ipv4Prefix } from '../src/wire/addr.js';
import { BIRD, freePort, parseShowProtocols, parseShowRouteAll, startBird, type BirdDaemon } from './support/bird.js';
import { requirePeer } from './support/peers.js';

const ip = (s: string): number => parseIpv4(s)!;
const cidr = (s: string): Ipv4Prefix => parseCidr(s)!;
/** Calico's default AS (BGPConfiguration asNumber). */
const AS = 64512;
const BIRD_ADDR = '127.0.0.2';
const MASTER = '172.171.5.95';
const NODE = '172.171.5.96';
const OUR_ADDR = '127.0.0.1';

interface Rig {
  bird: BirdDaemon;
  /** The master 172.171.5.95: route reflector, and the speaker peering with BIRD. */
  master: BgpSpeaker;
  /** The node 172.171.5.96: the reflector's client, over the emulated TCP. */
  node: BgpSpeaker;
  runner: WallRunner;
  engine: Engine;
  /** The master's speaker log and attachBgpPeer's lines. */
  log: string[];
  /** The master's onBestChange calls, as "PREFIX via NEXTHOP" or "PREFIX withdrawn". */
  bestChanges: string[];
  /** Our protocol name for BIRD: `Global_127_0_0_2_port_N` (BIRD is not on port 179). */
  name: string;
}

function birdConfig(birdPort: number, ourPort: number): string {
  return `# podnet bird-interop test: BIRD 2 as a ToR router peering with the cluster's route reflector
router id ${BIRD_ADDR};
protocol device {}
protocol static {
  ipv4;
  route 10.99.0.0/24 blackhole;
  # the nodes' addresses, so BIRD resolves the next hops it learns (iBGP next hops are recursive)
  route 172.171.5.0/24 via "lo";
}
protocol bgp p1 {
  local ${BIRD_ADDR} port ${birdPort} as ${AS};
  neighbor ${OUR_ADDR} port ${ourPort} as ${AS};
  hold time 3;
  keepalive time 1;
  connect delay time 1;
  connect retry time 1;
  error wait time 1, 2;
  ipv4 { import all; export where net = 10.99.0.0/24; };
}
`;
}

/** BGP timers cut to seconds for the emulated speakers (BIRD's defaults are minutes). */
const FAST = { connectDelayTime: 0, connectRetryTime: 1, errorWaitMin: 1, errorWaitMax: 2 };

/** An emulated node: an IpNode on the switch with a TCP stack. */
function host(net: Network, sw: Switch, name: string, addr: string, i: number): TcpStack {
  const node = new IpNode(net, name);
  node.addNic('eth0', 0x02_00_00_00_00_00 + i);
  node.addAddress('eth0', { addr: ip(addr), len: 24 });
  net.connect(node.port('eth0')!, sw.addSwitchPort(`p${i}`), { latency: 100_000 });
  return new TcpStack(node);
}

/**
 * The notes' two nodes on one switch (master 172.171.5.95, node 172.171.5.96), the master a route reflector
 * with the node as its client, and BIRD peering with the master over real TCP; resolves once both sessions
 * are Established.
 */
async function rig(t: TestContext): Promise<Rig | undefined> {
  if (!requirePeer(t, 'BIRD', BIRD)) return undefined;
  const [birdPort, ourPort] = [await freePort(), await freePort()];
  const bird = await startBird(birdConfig(birdPort, ourPort));
  const engine = new Engine(1);
  const net = new Network(engine);
  const sw = new Switch(net, 'sw1');
  const runner = new WallRunner(engine);
  const log: string[] = [];
  const connector = new OutsidePeerConnector(new TcpBgpConnector(host(net, sw, 'master', MASTER, 1)), runner, {
    localAddress: OUR_ADDR,
    listenPort: ourPort,
    presentAs: ip(MASTER),
    log: (l) => log.push(l),
  });
  const master = new BgpSpeaker(engine, {
    routerId: ip(MASTER),
    asn: AS,
    connector,
    timers: FAST,
    log: (l) => log.push(l),
  });
  const node = new BgpSpeaker(engine, {
    routerId: ip(NODE),
    asn: AS,
    connector: new TcpBgpConnector(host(net, sw, 'node', NODE, 2)),
    timers: FAST,
  });
  const bestChanges: string[] = [];
  master.onBestChange((p, best) =>
    bestChanges.push(
      best === undefined ? `${formatCidr(p)} withdrawn` : `${formatCidr(p)} via ${formatIpv4(best.attrs.nextHop ?? 0)}`,
    ),
  );
  t.after(async () => {
    runner.stop();
    connector.real.closeAll();
    await bird.stop();
  });
  // each node announces its own block (Calico: the blackhole route of its affine block)
  master.originate(cidr('192.168.236.0/26'));
  node.originate(cidr('192.168.190.192/26'));
  master.addPeer({ address: ip(NODE), asn: AS, rrClient: true, name: 'Node_172_171_5_96' });
  node.addPeer({ address: ip(MASTER), asn: AS, name: 'Node_172_171_5_95' });
  attachBgpPeer(master, connector, { address: ip(BIRD_ADDR), port: birdPort, asn: AS }, (l) => log.push(l));
  runner.start();
  const r = { bird, master, node, runner, engine, log, bestChanges, name: globalPeerName(ip(BIRD_ADDR), birdPort) };
  await eventually(async () => {
    assert.equal(node.status()[0]?.state, 'Established');
    assert.equal(ourState(r), 'Established');
    assert.match((await birdProtocol(r)).info, /^Established/);
  }, 'both sessions reach Established');
  // the speaker's log names each state change (serve prints it)
  assert.ok(r.log.includes(`${r.name}: OpenConfirm -> Established`), r.log.join('\n'));
  return r;
}

function ourState(r: Rig): string | undefined {
  return r.master.status().find((s) => s.name === r.name)?.state;
}

function ourLastError(r: Rig): string | undefined {
  return r.master.status().find((s) => s.name === r.name)?.lastError;
}

async function birdProtocol(r: Rig): Promise<{ state: string; info: string }> {
  const row = parseShowProtocols(await r.bird.birdcl('show', 'protocols')).find((p) => p.name === 'p1');
  assert.ok(row, 'BIRD shows protocol p1');
  return row;
}

/** Retries `check` every 50 ms until it passes, for at most `ms`. */
async function eventually(check: () => Promise<void> | void, what: string, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`${what}: still failing after ${ms} ms: ${String(e)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }
}

test("BIRD learns both nodes' /26 blocks with the nodes as next hops, the client's reflected", async (t) => {
  const r = await rig(t);
  if (r === undefined) return;
  await eventually(async () => {
    const routes = parseShowRouteAll(await r.bird.birdcl('show', 'route', 'all', 'protocol', 'p1'));
    const got = routes
      .map((x) => `${x.prefix} ${x.nextHop} [${x.asPath}] ${x.localPref} ${x.originatorId} ${x.clusterList}`)
      .sort();
    // iBGP: empty AS_PATH, LOCAL_PREF 100 (RFC 4271 §5.1.5); the master's own block with its address as
    // NEXT_HOP, the node's unchanged and reflected with ORIGINATOR_ID and CLUSTER_LIST (RFC 4456 §8; the
    // cluster ID defaults to the router ID, as in BIRD)
    assert.deepEqual(got, [
      '192.168.190.192/26 172.171.5.96 [] 100 172.171.5.96 172.171.5.95',
      '192.168.236.0/26 172.171.5.95 [] 100 undefined undefined',
    ]);
  }, 'BIRD has the blocks');
});

test("a route BIRD originates (static 10.99.0.0/24) reaches the nodes' tables and onBestChange, and is logged", async (t) => {
  const r = await rig(t);
  if (r === undefined) return;
  const bestOf = (s: BgpSpeaker): string | undefined => {
    const route = s.routes().find((x) => formatCidr(x.prefix) === '10.99.0.0/24');
    const best = route?.candidates.find((c) => c.best);
    return best === undefined ? undefined : `${best.from} ${formatIpv4(best.attrs.nextHop ?? 0)}`;
  };
  await eventually(() => {
    // BIRD's own route: NEXT_HOP is BIRD's address on the session (RFC 4271 §5.1.3)
    assert.equal(bestOf(r.master), `${r.name} ${BIRD_ADDR}`);
    // reflected to the client with the next hop unchanged
    assert.equal(bestOf(r.node), `Node_172_171_5_95 ${BIRD_ADDR}`);
  }, 'both Loc-RIBs have 10.99.0.0/24');
  assert.ok(r.bestChanges.includes(`10.99.0.0/24 via ${BIRD_ADDR}`), r.bestChanges.join('; '));
  assert.ok(r.log.includes(`bgp ${r.name}: route 10.99.0.0/24 via ${BIRD_ADDR}`), r.log.join('\n'));
});

test("the master's views: birdcl show protocols and calicoctl node status show the real session", async (t) => {
  const r = await rig(t);
  if (r === undefined) return;
  const clock = { epochMs: Date.UTC(2026, 0, 1), now: r.engine.now };
  // the session times vary from run to run; everything else is fixed
  const lines = (text: string): string[] => text.replace(/\d\d:\d\d:\d\d/g, 'HH:MM:SS').split('\n');
  const protocols = lines(birdShowProtocols(r.master.status().map(birdProtocolOf), [], clock, 'calico-bird'));
  assert.deepEqual(protocols, [
    'name     proto    table    state  since       info',
    'Node_172_171_5_96 BGP      master   up     HH:MM:SS    Established   ',
    `${r.name} BGP      master   up     HH:MM:SS    Established   `,
    '',
  ]);
  const status = lines(calicoNodeStatus(r.master.status().map(birdProtocolOf), [], clock));
  // calicoctl turns every _ of the protocol name into a dot, the port's too (status.go unmarshalBIRD), so
  // the outside peer's address reads 127.0.0.2.port.N and widens the column
  const outside = `127.0.0.2.port.${r.name.split('_').pop()}`;
  assert.deepEqual(status.slice(6, 8), [
    `| ${'172.171.5.96'.padEnd(outside.length)} | node specific | up    | HH:MM:SS | Established |`,
    `| ${outside} | global        | up    | HH:MM:SS | Established |`,
  ]);
});

test('NOTIFICATION from BIRD: `birdcl disable` sends Cease / Administrative Shutdown, logged by name', async (t) => {
  const r = await rig(t);
  if (r === undefined) return;
  await eventually(() => assert.ok(r.bestChanges.includes(`10.99.0.0/24 via ${BIRD_ADDR}`)), 'learned first');
  await r.bird.birdcl('disable', 'p1');
  await eventually(() => {
    assert.notEqual(ourState(r), 'Established');
    assert.equal(ourLastError(r), 'Received: Cease / Administrative Shutdown');
  }, 'we saw the NOTIFICATION');
  assert.ok(r.log.includes(`${r.name}: Received: Cease / Administrative Shutdown`), r.log.join('\n'));
  // BIRD's route goes with the session, from our table and the log
  await eventually(() => assert.ok(r.bestChanges.includes('10.99.0.0/24 withdrawn')), 'withdrawn');
  assert.ok(r.log.includes(`bgp ${r.name}: route 10.99.0.0/24 withdrawn`), r.log.join('\n'));
  // the views say it in BIRD's words
  const clock = { epochMs: 0, now: r.engine.now };
  const row = birdShowProtocols(r.master.status().map(birdProtocolOf), [], clock, 'bird2')
    .split('\n')
    .find((l) => l.startsWith(r.name));
  assert.match(row ?? '', /BGP +--- +start +[\d:.]+ +(Idle|Connect|Active) +Received: Administrative shutdown$/);
});

test('NOTIFICATION from us: our shutdown reaches BIRD as "Received: Administrative shutdown"', async (t) => {
  const r = await rig(t);
  if (r === undefined) return;
  r.runner.advance();
  r.master.shutdown();
  r.runner.kick();
  await eventually(async () => {
    const p = await birdProtocol(r);
    assert.notEqual(p.state, 'up');
    assert.match(p.info, /Received: Administrative shutdown$/);
  }, 'BIRD got our Cease');
});

test('hold timer: BIRD frozen (SIGSTOP) for longer than 3 s, we send Hold Timer Expired and start over', async (t) => {
  const r = await rig(t);
  if (r === undefined) return;
  r.bird.process.kill('SIGSTOP');
  try {
    await eventually(
      () => {
        assert.notEqual(ourState(r), 'Established');
        assert.equal(ourLastError(r), 'Hold timer expired');
      },
      'our hold timer expired',
      6000,
    );
    assert.ok(r.log.includes(`${r.name}: hold timer expired`), r.log.join('\n'));
    assert.ok(['Idle', 'Connect', 'Active'].includes(ourState(r) ?? ''), ourState(r));
  } finally {
    r.bird.process.kill('SIGCONT');
  }
  // BIRD reads our NOTIFICATION 4/0 once it runs again
  await eventually(
    async () => assert.match((await birdProtocol(r)).info, /Received: Hold timer expired/),
    'BIRD saw it',
  );
});

test('hold timer: our engine frozen for longer than 3 s, BIRD reports "Hold timer expired" and tells us', async (t) => {
  const r = await rig(t);
  if (r === undefined) return;
  r.runner.stop();
  try {
    await eventually(
      async () => assert.match((await birdProtocol(r)).info, /BGP Error: Hold timer expired$/),
      'BIRD gave up on us',
      6000,
    );
  } finally {
    r.runner.start();
  }
  await eventually(() => assert.equal(ourLastError(r), 'Received: Hold Timer Expired'), 'we read its NOTIFICATION');
});
