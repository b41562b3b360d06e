/**
 * The worker's request handler in Node (the same code the Web Worker runs): a lab's problems come back
 * with line and column; the demo cluster's topology has its nodes, pods and the VXLAN overlay; the
 * cross-node ping is recorded with frame bytes, cables and a pcapng that parses; a device's tables at an
 * instant are the texts `podnet exec` prints; `podnet ui`'s arguments.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handle } from '../../src/web/core/handle.js';
import type { FromWorker, RunRequest } from '../../src/web/core/protocol.js';
import { parsePcapng } from '../../src/observe/pcapng.js';
import { parseUiArgs, UiUsageError } from '../../src/cli/ui.js';
import { main } from '../../src/cli/main.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const demo = readFileSync(join(root, 'examples', 'cluster-demo.yaml'), 'utf8');
const PING: RunRequest = { mode: 'action', tool: 'ping', from: 'default/client', to: 'default/web-7f64b55889-xbwcj' };

function expect<T extends FromWorker['type']>(m: FromWorker, type: T): Extract<FromWorker, { type: T }> {
  assert.equal(m.type, type, JSON.stringify(m).slice(0, 400));
  return m as Extract<FromWorker, { type: T }>;
}

test("a lab's validation errors come back with podnet's line, column and message", async () => {
  const text = readFileSync(join(root, 'examples', 'two-subnets.yaml'), 'utf8').replace('10.0.1.2/24', '10.0.1.2/33');
  const line = text.split('\n').findIndex((l) => l.includes('10.0.1.2/33')) + 1;
  const r = expect((await handle({ id: 1, type: 'open', text, file: 'two-subnets.yaml' })).msg, 'opened');
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0]!.line, line);
  assert.equal(r.problems[0]!.col, text.split('\n')[line - 1]!.indexOf('10.0.1.2/33') + 1);
  assert.match(r.problems[0]!.message, /"10\.0\.1\.2\/33" is not an IPv4 address with prefix length/);
  // running a broken file is refused with the same problems
  const run = expect((await handle({ id: 2, type: 'run', text, file: 'x', run: PING })).msg, 'error');
  assert.equal(run.problems.length, 1);
});

test('the demo cluster: nodes, pods under their node, the switch, and the VXLAN overlay between the nodes', async () => {
  const r = expect((await handle({ id: 1, type: 'open', text: demo, file: 'cluster-demo.yaml' })).msg, 'opened');
  const t = r.topology!;
  const node = (id: string) => t.nodes.find((n) => n.id === id);
  assert.equal(node('server')?.kind, 'node');
  assert.equal(node('underlay')?.kind, 'switch');
  assert.equal(node('client')?.kind, 'pod');
  assert.equal(node('client')?.parent, 'agent');
  assert.deepEqual(node('server')?.addresses.slice(0, 1), ['192.168.56.11/24']);
  const overlay = t.edges.filter((e) => e.layer === 'overlay');
  assert.deepEqual(
    overlay.map((e) => [e.a, e.b, e.label, e.segment]),
    [['server', 'agent', 'VXLAN flannel.1 VNI 1', 1]],
  );
  assert.equal(t.collapsed, false);
  assert.ok(r.machines.some((m) => m.name === 'default/client' && m.ip === '10.42.1.5' && m.node === 'agent'));
});

test('the cross-node ping is recorded: the VXLAN frame on the agent uplink, bytes and all, and a pcapng of every link', async () => {
  const reply = await handle({ id: 1, type: 'run', text: demo, file: 'cluster-demo.yaml', run: PING });
  const r = expect(reply.msg, 'ran').result;
  assert.equal(r.title, 'default/client$ ping -c 1 10.42.0.3');
  assert.equal(r.steps[0]?.ok, true);
  const vx = r.events.find((e) => e.kind === 'frame' && e.device === 'agent' && e.frame.vni === 1);
  assert.ok(vx?.kind === 'frame');
  assert.equal(vx.edge, 'agent:eth0--underlay:p2');
  assert.deepEqual(vx.boxes, ['agent', 'underlay']);
  // RFC 7348: outer UDP destination port (Linux's 8472 for flannel), VNI in bytes 4-6 of the VXLAN header
  const b = vx.bytes!;
  assert.equal((b[36]! << 8) | b[37]!, 8472);
  assert.deepEqual([...b.subarray(46, 49)], [0, 0, 1]);
  const pcap = parsePcapng(r.pcapng);
  assert.ok(pcap.ok);
  const frames = r.events.filter((e) => e.kind === 'frame').length;
  assert.equal(pcap.value.packets.length, frames);
  // every frame's bytes travel to the page as their own transferable buffer
  assert.equal(reply.transfer.length, frames + 1);
  assert.match(r.hopTable, /VXLAN\s+60533\s+8472\s+64\s+vni 1/);
});

test("a device's tables at an instant are the texts its commands print", async () => {
  const run = expect((await handle({ id: 1, type: 'run', text: demo, file: 'x', run: PING })).msg, 'ran').result;
  const vx = run.events.find((e) => e.kind === 'frame' && e.device === 'agent' && e.frame.vni === 1)!;
  const r = expect(
    (await handle({ id: 2, type: 'tables', text: demo, file: 'x', run: PING, device: 'agent', time: vx.time })).msg,
    'tables',
  );
  const titles = r.tables.map((t) => t.title.replace(/ \(t=.*\)$/, ''));
  assert.deepEqual(titles, ['ip route', 'ip neigh', 'bridge fdb', 'iptables-save -c', 'conntrack -L']);
  assert.match(r.tables[0]!.text, /10\.42\.0\.0\/24 via 10\.42\.0\.0 dev flannel\.1 onlink/);
  // by then the agent has learned the server's MAC on the underlay
  assert.match(r.tables[1]!.text, /192\.168\.56\.11 dev eth0 lladdr 02:00:c0:a8:00:00/);
  const sw = expect(
    (await handle({ id: 3, type: 'tables', text: demo, file: 'x', run: PING, device: 'underlay', time: vx.time })).msg,
    'tables',
  );
  assert.match(sw.tables[0]!.text, /^VLAN\s+MAC\s+port\s+age/);
  assert.match(sw.tables[0]!.text, /02:00:c0:a8:00:01\s+p2/);
});

test('podnet ui: arguments', async () => {
  assert.deepEqual(parseUiArgs(['lab.yaml', '--port', '8080']), { file: 'lab.yaml', port: 8080 });
  assert.deepEqual(parseUiArgs(['--port=0']), { port: 0 });
  assert.throws(() => parseUiArgs(['--port', 'x']), UiUsageError);
  assert.throws(() => parseUiArgs(['a.yaml', 'b.yaml']), UiUsageError);
  const err: string[] = [];
  assert.equal(
    await main(
      ['ui', '--bogus'],
      () => undefined,
      (s) => err.push(s),
    ),
    2,
  );
  assert.match(
    err.join('\n'),
    /^podnet: ui: unknown option --bogus\n\nUsage:\n {2}podnet ui \[LAB\.yaml\|CLUSTER\.yaml\] \[--port N\]\n/,
  );
  assert.equal(
    await main(
      ['ui', 'no-such-file.yaml'],
      () => undefined,
      (s) => err.push(s),
    ),
    2,
  );
});

test("compare: Flannel's backends as `podnet demo --compare` measures them", async () => {
  const r = expect((await handle({ id: 1, type: 'compare', text: demo, file: 'x' })).msg, 'compared');
  // VXLAN adds 50 bytes (outer Ethernet 14, IPv4 20, UDP 8, VXLAN 8: RFC 7348) and flannel lowers the pod
  // MTU by as much; the udp backend adds an IPv4 and a UDP header (28) and its MTU is 1500 - 28
  assert.deepEqual(
    r.rows.map((x) => [x.backend, x.ok, x.wireBytes, x.wireBytes - x.innerBytes, x.mtu, x.routes, x.neighbours, x.fdb]),
    [
      ['vxlan', true, 148, 50, 1450, 1, 1, 1],
      ['host-gw', true, 98, 0, 1500, 1, 0, 0],
      ['udp', true, 126, 28, 1472, 1, 0, 0],
    ],
  );
});

test('BGP sessions against node count: mesh N(N-1)/2, two reflectors 2(N-2)+1, the 10-node clusters run agree', async () => {
  const r = (await handle({ id: 1, type: 'bgp-sessions' })).msg;
  assert.equal(r.type, 'bgp-sessions');
  if (r.type !== 'bgp-sessions') return;
  const row = (nodes: number, mode: 'mesh' | 'rr') => r.rows.find((x) => x.nodes === nodes && x.mode === mode)!;
  // a full mesh: every pair of nodes, each node peers with all others
  assert.deepEqual([row(10, 'mesh').total, row(100, 'mesh').total, row(1000, 'mesh').total], [45, 4950, 499_500]);
  assert.deepEqual([row(10, 'mesh').perNode, row(1000, 'mesh').perNode], [9, 999]);
  // two reflectors: each of the N-2 others peers with both, and the two with each other
  assert.deepEqual([row(10, 'rr').total, row(100, 'rr').total, row(1000, 'rr').total], [17, 197, 1997]);
  assert.deepEqual([row(1000, 'rr').perNode, row(1000, 'rr').perReflector], [2, 999]);
  // the 10-node clusters were built and run to convergence: their established sessions are the computed ones
  assert.deepEqual(row(10, 'mesh').measured, { total: 45, perNode: 9 });
  assert.deepEqual(row(10, 'rr').measured, { total: 17, perNode: 2, perReflector: 9 });
  assert.equal(row(100, 'mesh').measured, undefined);
});
