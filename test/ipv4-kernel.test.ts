/**
 * The Linux kernel as the oracle for podnet's IPv4, ICMP, ARP and iproute2 views (issue 13, section 3).
 * Each test builds one small topology twice, from one description: in real network namespaces (veth pairs,
 * a Linux bridge as the switch) and in podnet; runs the same commands on both (iputils ping, iproute2's
 * `ip` and `bridge`) and compares what a person would read, or the fields of the captured ICMP errors.
 * The kernel's answers are taken live, never written down: the expected values in the asserts below are
 * only there to make a disagreement readable, and are what Linux 6.x printed when this was written.
 *
 * Normalized before comparing: round-trip times (`time=0.087 ms`, the rtt line), the `, time Nms` iputils
 * adds to its statistics (podnet does not print it yet: the tools' text is other work), and the seconds
 * left in `expires Nsec` (compared as a range). The blank iproute2 leaves at the end of every route and
 * neighbour line is compared, not trimmed: podnet's `ip` prints it too.
 */
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetnsSet, requireNetns, run, startCapture, waitFor } from './support/netns.js';
import { requirePeer } from './support/peers.js';
import { Engine } from '../src/sim/engine.js';
import { Network, type Port } from '../src/link/device.js';
import { Switch } from '../src/link/switch.js';
import { IpNode } from '../src/net/ip-node.js';
import { VxlanDev } from '../src/net/vxlan.js';
import { UdpStack } from '../src/transport/udp.js';
import { shellRun } from '../src/scenario/lab-shell.js';
import { parsePcap } from '../src/observe/pcap.js';
import { formatIpv4, formatMac, parseIpv4, parseMac, readIpv4, type Ipv4 } from '../src/wire/addr.js';
import { IPPROTO_ICMP } from '../src/wire/ipv4.js';
import { ICMP_ECHO_REQUEST, ICMP_REDIRECT, emitIcmp, icmpLength, type IcmpMessage } from '../src/wire/icmp.js';

const PING = { bin: 'ping', install: 'apt-get install -y iputils-ping' };
const TCPDUMP = { bin: 'tcpdump', install: 'apt-get install -y tcpdump' };
const ip = (s: string): Ipv4 => parseIpv4(s)!;

// ---- one description, two builds ----------------------------------------------------------------------

interface DevSpec {
  /** 'A.B.C.D/len', or '' for none. */
  addr: string;
  mtu?: number;
}

interface NodeSpec {
  router?: boolean;
  devs: Record<string, DevSpec>;
  /** `ip route add` arguments: 'default via 10.0.1.1', '10.0.5.0/24 via 10.0.1.3'. */
  routes?: string[];
}

interface Topology {
  nodes: Record<string, NodeSpec>;
  /** Point-to-point links 'A:eth0' <-> 'R:eth0', or a member list of a switch named by the key. */
  links?: [string, string][];
  switches?: Record<string, string[]>;
}

/** A stable MAC per (node, device), the same on both sides. */
function macOf(node: string, dev: string, spec: Topology): number {
  const names = Object.keys(spec.nodes);
  const n = names.indexOf(node);
  const d = Object.keys(spec.nodes[node]!.devs).indexOf(dev);
  return 0x02_00_00_00_00_00 + (n + 1) * 0x100 + d + 1;
}

function cidr(s: string): { addr: Ipv4; len: number } {
  const [a, l] = s.split('/');
  return { addr: ip(a!), len: Number(l) };
}

/** The kernel side: a namespace per node, a veth per link, a bridge namespace per switch. */
function buildKernel(ns: NetnsSet, spec: Topology): void {
  for (const name of Object.keys(spec.nodes)) {
    ns.add(name);
    ns.ip(name, ['link', 'set', 'lo', 'up']);
  }
  const veth = (a: string, b: string, bNs: string, bDev: string): void => {
    const [an, ad] = a.split(':') as [string, string];
    run('ip', ['link', 'add', ad, 'netns', ns.full(an), 'type', 'veth', 'peer', 'name', bDev, 'netns', ns.full(bNs)]);
  };
  for (const [a, b] of spec.links ?? []) {
    const [bn, bd] = b.split(':') as [string, string];
    veth(a, b, bn, bd);
  }
  for (const [sw, members] of Object.entries(spec.switches ?? {})) {
    ns.add(sw);
    ns.ip(sw, ['link', 'add', 'br0', 'type', 'bridge']);
    ns.ip(sw, ['link', 'set', 'br0', 'up']);
    members.forEach((m, i) => {
      veth(m, '', sw, `p${i}`);
      ns.ip(sw, ['link', 'set', `p${i}`, 'master', 'br0', 'up']);
    });
  }
  for (const [name, n] of Object.entries(spec.nodes)) {
    if (n.router === true) ns.exec(name, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    for (const [dev, d] of Object.entries(n.devs)) {
      ns.ip(name, ['link', 'set', dev, 'address', formatMac(macOf(name, dev, spec))]);
      if (d.mtu !== undefined) ns.ip(name, ['link', 'set', dev, 'mtu', String(d.mtu)]);
      if (d.addr !== '') ns.ip(name, ['addr', 'add', d.addr, 'dev', dev]);
      ns.ip(name, ['link', 'set', dev, 'up']);
    }
    for (const r of n.routes ?? []) ns.ip(name, ['route', 'add', ...r.split(' ')]);
  }
}

/**
 * Waits until every device is operational: a veth set up is UP only once linkwatch has run for it (until then
 * its queue is the noop qdisc, which drops what is sent), which on a busy machine takes a moment; a bridge
 * port must also be forwarding.
 */
async function waitOperational(ns: NetnsSet, spec: Topology): Promise<void> {
  const up = (name: string, dev: string): boolean => / state UP /.test(ns.ip(name, ['-o', 'link', 'show', 'dev', dev]));
  for (const [name, n] of Object.entries(spec.nodes))
    for (const dev of Object.keys(n.devs)) await waitFor(`${name}:${dev} up`, () => up(name, dev), 5_000);
  for (const [sw, members] of Object.entries(spec.switches ?? {}))
    for (let i = 0; i < members.length; i++)
      await waitFor(
        `${sw}:p${i} forwarding`,
        () => up(sw, `p${i}`) && /state forwarding/.test(ns.exec(sw, 'bridge', ['link', 'show', 'dev', `p${i}`])),
        5_000,
      );
}

/** The podnet side. */
interface Emulated {
  engine: Engine;
  net: Network;
  nodes: Map<string, IpNode>;
  /** Runs a command line on a node until it finishes. */
  sh(node: string, line: string): { status: number; stdout: string };
}

function buildPodnet(spec: Topology): Emulated {
  const engine = new Engine(1);
  const net = new Network(engine);
  const nodes = new Map<string, IpNode>();
  for (const [name, n] of Object.entries(spec.nodes)) {
    const node = new IpNode(net, name, { forwarding: n.router === true });
    for (const [dev, d] of Object.entries(n.devs)) {
      node.addNic(dev, macOf(name, dev, spec), d.mtu ?? 1500);
      if (d.addr !== '') node.addAddress(dev, cidr(d.addr));
    }
    nodes.set(name, node);
  }
  for (const [name, n] of Object.entries(spec.nodes)) {
    const node = nodes.get(name)!;
    for (const r of n.routes ?? []) {
      const w = r.split(' ');
      const via = ip(w[w.indexOf('via') + 1]!);
      const dst = w[0] === 'default' ? { addr: 0, len: 0 } : cidr(w[0]!.includes('/') ? w[0]! : `${w[0]!}/32`);
      const dev = node.devs.find((d) => d.addresses.some((a) => (a.addr ^ via) >>> (32 - a.len) === 0))!;
      node.routes.add({ dst: dst.addr, len: dst.len, via, dev: dev.name });
    }
  }
  const port = (end: string): Port => {
    const [n, d] = end.split(':') as [string, string];
    return nodes.get(n)!.port(d)!;
  };
  for (const [a, b] of spec.links ?? []) net.connect(port(a), port(b));
  for (const [sw, members] of Object.entries(spec.switches ?? {})) {
    const s = new Switch(net, sw);
    members.forEach((m, i) => net.connect(port(m), s.addSwitchPort(`p${i}`)));
  }
  const udp = new Map<string, UdpStack>();
  for (const [name, node] of nodes) udp.set(name, new UdpStack(node));
  return {
    engine,
    net,
    nodes,
    sh(name, line) {
      let out: { status: number; stdout: string } | undefined;
      shellRun({ node: nodes.get(name)!, udp: udp.get(name)!, resolve: () => undefined }, line.split(' '), (r) => {
        out = r;
        // the clock stops with the command, as a person's next command comes right after it
        engine.stop();
      });
      engine.run();
      assert.ok(out !== undefined, `${line} did not finish`);
      return out;
    },
  };
}

/** Runs a command line in a namespace; its output (stdout and stderr) and exit status. */
function ksh(ns: NetnsSet, name: string, line: string): { status: number; stdout: string } {
  const out = ns.exec(name, 'sh', ['-c', `${line} 2>&1; echo "status=$?"`], 15_000);
  const m = /status=(\d+)\n?$/.exec(out)!;
  return { status: Number(m[1]), stdout: out.slice(0, m.index).replace(/\n$/, '') };
}

/** What both print, minus times (see the module comment). */
function norm(text: string): string {
  return text
    .split('\n')
    .map((l) =>
      l
        .replace(/time=[\d.]+ ms/, 'time=T ms')
        .replace(/^rtt min\/avg\/max\/mdev = .*$/, 'rtt T')
        .replace(/, time \d+ms$/, '')
        .replace(/expires \d+sec/, 'expires Nsec'),
    )
    .filter((l) => l !== '')
    .join('\n');
}

function expiresOf(text: string): number {
  return Number(/expires (\d+)sec/.exec(text)?.[1] ?? -1);
}

async function withKernel(t: TestContext, spec: Topology, body: (ns: NetnsSet) => Promise<void> | void): Promise<void> {
  if (!requireNetns(t) || !requirePeer(t, 'iputils ping', PING)) return;
  const ns = new NetnsSet();
  try {
    buildKernel(ns, spec);
    await waitOperational(ns, spec);
    await body(ns);
  } finally {
    ns.destroy();
  }
}

/** A -- R -- B: two subnets, R routes; the link R:eth1 -- B:eth0 can get a smaller MTU. */
function routed(o: { mtu2?: number; bRoutes?: string[] } = {}): Topology {
  return {
    nodes: {
      A: { devs: { eth0: { addr: '10.0.1.2/24' } }, routes: ['default via 10.0.1.1'] },
      R: {
        router: true,
        devs: {
          eth0: { addr: '10.0.1.1/24' },
          eth1: { addr: '10.0.2.1/24', ...(o.mtu2 === undefined ? {} : { mtu: o.mtu2 }) },
        },
      },
      B: {
        devs: { eth0: { addr: '10.0.2.2/24', ...(o.mtu2 === undefined ? {} : { mtu: o.mtu2 }) } },
        routes: o.bRoutes ?? ['default via 10.0.2.1'],
      },
    },
    links: [
      ['A:eth0', 'R:eth0'],
      ['R:eth1', 'B:eth0'],
    ],
  };
}

/** The IPv4 header fields of the ICMP error in an Ethernet frame, and its quote's length. */
function icmpErrorFields(frame: Uint8Array): string | undefined {
  if (frame.length < 34 || frame[12] !== 0x08 || frame[13] !== 0x00 || frame[23] !== IPPROTO_ICMP) return undefined;
  const ihl = (frame[14]! & 0x0f) * 4;
  const type = frame[14 + ihl]!;
  if (type === 0 || type === 8) return undefined;
  const total = (frame[16]! << 8) | frame[17]!;
  return [
    `type ${type} code ${frame[15 + ihl]}`,
    `tos 0x${frame[15]!.toString(16)}`,
    `len ${total}`,
    `df ${(frame[20]! & 0x40) !== 0 ? 1 : 0}`,
    `ttl ${frame[22]}`,
    `src ${formatIpv4(readIpv4(frame, 26))}`,
    `quote ${total - ihl - 8}`,
  ].join(', ');
}

// ---- the tests ----------------------------------------------------------------------------------------

describe('IPv4 and ICMP as the Linux kernel does them (namespaces as the oracle)', () => {
  it('a router looks up the route before the TTL: ping -t 1 to an unroutable address gets Net Unreachable', async (t) => {
    await withKernel(t, routed(), (ns) => {
      const pn = buildPodnet(routed());
      for (const line of ['ping -c 1 -t 1 -W 1 10.9.9.9', 'ping -c 1 -t 1 -W 1 10.0.2.2']) {
        const k = ksh(ns, 'A', line);
        const p = pn.sh('A', line);
        assert.equal(norm(p.stdout), norm(k.stdout), line);
        assert.equal(p.status, k.status, `${line}: exit status`);
      }
      assert.match(
        ksh(ns, 'A', 'ping -c 1 -t 1 -W 1 10.9.9.9').stdout,
        /From 10\.0\.1\.1 icmp_seq=1 Destination Net Unreachable/,
      );
    });
  });

  it('ICMP errors: TOS 0xc0 plus the TOS bits, 576 bytes at most, no DF, TTL 64', async (t) => {
    if (!requirePeer(t, 'tcpdump', TCPDUMP)) return;
    await withKernel(t, routed(), async (ns) => {
      const dir = mkdtempSync(join(tmpdir(), 'podnet-icmp-'));
      try {
        const file = join(dir, 'a.pcap');
        const cap = await startCapture(ns, 'A', 'eth0', file);
        ksh(ns, 'A', 'ping -c 1 -t 1 -s 1000 -Q 0x14 -W 1 10.0.2.2');
        await cap.stop();
        const pcap = parsePcap(readFileSync(file));
        assert.ok(pcap.ok);
        const kernel = pcap.value.records.map((r) => icmpErrorFields(r.data)).filter((x) => x !== undefined);

        const pn = buildPodnet(routed());
        const a = pn.nodes.get('A')!;
        const seen: string[] = [];
        const receive = a.receive.bind(a);
        a.receive = (port, frame) => {
          const f = icmpErrorFields(frame);
          if (f !== undefined) seen.push(f);
          receive(port, frame);
        };
        const msg: IcmpMessage = {
          kind: 'echo',
          type: ICMP_ECHO_REQUEST,
          code: 0,
          id: 1,
          seq: 1,
          data: new Uint8Array(1000),
        };
        a.sendIp({ dst: ip('10.0.2.2'), protocol: IPPROTO_ICMP, ttl: 1, tos: 0x14 }, icmpLength(msg), (f, off) => {
          emitIcmp(msg, f, off);
        });
        pn.engine.run();
        assert.deepEqual(seen, kernel);
        assert.deepEqual(kernel, ['type 11 code 0, tos 0xd4, len 576, df 0, ttl 64, src 10.0.1.1, quote 548']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('an ICMP error comes from the address of the interface it leaves by, not the one the packet came in on', async (t) => {
    const spec = routed();
    spec.nodes.A!.devs.eth1 = { addr: '10.0.3.2/24' };
    spec.nodes.R!.devs.eth2 = { addr: '10.0.3.1/24' };
    spec.nodes.R!.routes = ['10.0.1.2 via 10.0.3.2'];
    spec.links!.push(['A:eth1', 'R:eth2']);
    await withKernel(t, spec, (ns) => {
      const line = 'ping -c 1 -t 1 -W 1 10.0.2.2';
      const k = ksh(ns, 'A', line);
      assert.match(k.stdout, /From 10\.0\.3\.1 icmp_seq=1 Time to live exceeded/);
      assert.equal(norm(buildPodnet(spec).sh('A', line).stdout), norm(k.stdout));
    });
  });

  it('ICMP rate limits: 6 time exceeded in a burst, 2 net unreachable (ip_error charges too), echo replies unlimited', async (t) => {
    await withKernel(t, routed(), (ns) => {
      const pn = buildPodnet(routed());
      const count = (text: string, what: RegExp): number => text.split('\n').filter((l) => what.test(l)).length;
      const cases: [string, string, RegExp][] = [
        ['B', 'ping -c 20 -i 0.002 -t 1 -W 1 10.0.1.2', /Time to live exceeded/],
        ['A', 'ping -c 20 -i 0.002 -W 1 10.9.9.9', /Net Unreachable/],
        ['A', 'ping -c 20 -i 0.002 -W 1 10.0.1.1', /bytes from/],
      ];
      const kernel = cases.map(([n, line, what]) => count(ksh(ns, n, line).stdout, what));
      const podnet = cases.map(([n, line, what]) => count(pn.sh(n, line).stdout, what));
      assert.deepEqual(podnet, [6, 2, 20]);
      // the kernel's buckets refill with real time: on a machine too busy to send 20 pings in 40 ms, a
      // second's worth of tokens may come back during the burst (one more answer), never fewer
      kernel.forEach((k, i) =>
        assert.ok(k === podnet[i] || k === podnet[i]! + 1, `${cases[i]![1]}: kernel ${k}, podnet ${podnet[i]!}`),
      );
    });
  });

  it('path MTU: ping -s 1600 fragments and gets a reply; a frag needed is remembered and shown by ip route get', async (t) => {
    const spec = routed({ mtu2: 1400 });
    await withKernel(t, spec, (ns) => {
      const pn = buildPodnet(spec);
      for (const line of ['ping -c 1 -s 1600 -W 1 10.0.2.2', 'ping -c 3 -i 0.2 -s 1450 -W 1 10.0.2.2']) {
        const k = ksh(ns, 'A', line);
        assert.equal(norm(pn.sh('A', line).stdout), norm(k.stdout), line);
      }
      const k = ksh(ns, 'A', 'ip route get 10.0.2.2').stdout;
      const p = pn.sh('A', 'ip route get 10.0.2.2').stdout;
      assert.equal(norm(p), norm(k));
      assert.equal(norm(k), '10.0.2.2 via 10.0.1.1 dev eth0 src 10.0.1.2 uid 0 \n    cache expires Nsec mtu 1400 ');
      for (const x of [expiresOf(k), expiresOf(p)]) assert.ok(x >= 590 && x <= 600, `expires ${x}`);
      assert.equal(norm(pn.sh('A', 'ip route show cache').stdout), norm(ksh(ns, 'A', 'ip route show cache').stdout));
    });
  });

  it('ICMP redirect: the router tells the host of a gateway on its subnet; the host uses it once it knows its MAC', async (t) => {
    const spec: Topology = {
      nodes: {
        H: { devs: { eth0: { addr: '10.0.1.2/24' } }, routes: ['default via 10.0.1.1'] },
        R: { router: true, devs: { eth0: { addr: '10.0.1.1/24' } }, routes: ['10.0.5.0/24 via 10.0.1.3'] },
        G: { router: true, devs: { eth0: { addr: '10.0.1.3/24' } }, routes: ['default via 10.0.1.1'] },
      },
      switches: { S: ['H:eth0', 'R:eth0', 'G:eth0'] },
    };
    await withKernel(t, spec, (ns) => {
      ns.ip('G', ['addr', 'add', '10.0.5.5/32', 'dev', 'lo']);
      const pn = buildPodnet(spec);
      pn.nodes.get('G')!.addLocalRoute({ addr: ip('10.0.5.5'), len: 32 });
      const redirects: string[] = [];
      pn.nodes.get('H')!.onIcmp((e) => {
        if (e.message.type === ICMP_REDIRECT && e.message.kind === 'other')
          redirects.push(`From ${formatIpv4(e.src)}: Redirect Host(New nexthop: ${formatIpv4(e.message.rest)})`);
      });
      const k = ksh(ns, 'H', 'ping -c 3 -i 0.5 -W 1 10.0.5.5').stdout;
      const p = pn.sh('H', 'ping -c 3 -i 0.5 -W 1 10.0.5.5').stdout;
      const kRedirects = k
        .split('\n')
        .filter((l) => l.includes('Redirect'))
        .map((l) => l.replace(/ icmp_seq=\d+/, ''));
      assert.deepEqual(
        redirects,
        kRedirects,
        'the second redirect is the one believed: the first only starts ARP for 10.0.1.3',
      );
      assert.equal(kRedirects.length, 2);
      assert.equal(/(\d) received/.exec(p)?.[1], /(\d) received/.exec(k)?.[1]);
      const kg = ksh(ns, 'H', 'ip route get 10.0.5.5').stdout;
      const pg = pn.sh('H', 'ip route get 10.0.5.5').stdout;
      assert.equal(norm(pg), norm(kg));
      assert.equal(
        norm(kg),
        '10.0.5.5 via 10.0.1.3 dev eth0 src 10.0.1.2 uid 0 \n    cache <redirected> expires Nsec ',
      );
      for (const x of [expiresOf(kg), expiresOf(pg)]) assert.ok(x >= 290 && x <= 300, `expires ${x}`);
    });
  });

  it('ARP: with two hosts on one address the first reply wins (locktime); an unanswered address is FAILED in ip neigh', async (t) => {
    if (!requirePeer(t, 'tcpdump', TCPDUMP)) return;
    const spec: Topology = {
      nodes: {
        H: { devs: { eth0: { addr: '10.0.1.2/24' } } },
        D1: { devs: { eth0: { addr: '10.0.1.7/24' } } },
        D2: { devs: { eth0: { addr: '10.0.1.7/24' } } },
      },
      switches: { S: ['H:eth0', 'D1:eth0', 'D2:eth0'] },
    };
    const replies = (frames: Uint8Array[]): string[] =>
      frames
        .filter((f) => f[12] === 0x08 && f[13] === 0x06 && f[21] === 2)
        .map((f) => formatMac(parseMac(formatMacBytes(f.subarray(22, 28)))!));
    await withKernel(t, spec, async (ns) => {
      const dir = mkdtempSync(join(tmpdir(), 'podnet-arp-'));
      try {
        const file = join(dir, 'h.pcap');
        const cap = await startCapture(ns, 'H', 'eth0', file);
        ksh(ns, 'H', 'ping -c 1 -W 1 10.0.1.7');
        await cap.stop();
        const pcap = parsePcap(readFileSync(file));
        assert.ok(pcap.ok);
        const kReplies = replies(pcap.value.records.map((r) => r.data));
        assert.equal(kReplies.length, 2, 'both hosts answer');
        const kNeigh = ksh(ns, 'H', 'ip neigh show 10.0.1.7').stdout;
        assert.ok(kNeigh.includes(`lladdr ${kReplies[0]!}`), `${kNeigh}: the first reply (${kReplies[0]!}) wins`);

        const pn = buildPodnet(spec);
        const h = pn.nodes.get('H')!;
        const seen: Uint8Array[] = [];
        const receive = h.receive.bind(h);
        h.receive = (port, frame) => {
          seen.push(frame.slice());
          receive(port, frame);
        };
        pn.sh('H', 'ping -c 1 -W 1 10.0.1.7');
        const pReplies = replies(seen);
        assert.equal(pReplies.length, 2, 'both hosts answer');
        assert.match(pn.sh('H', 'ip neigh show 10.0.1.7').stdout, new RegExp(`lladdr ${pReplies[0]!}`));

        ksh(ns, 'H', 'ping -c 1 -W 1 10.0.1.9; sleep 3');
        pn.sh('H', 'ping -c 1 -W 1 10.0.1.9');
        pn.engine.runFor(3_000_000_000);
        const kFailed = ksh(ns, 'H', 'ip neigh show dev eth0').stdout;
        assert.match(kFailed, /^10\.0\.1\.9 FAILED $/m);
        assert.match(pn.sh('H', 'ip neigh show dev eth0').stdout, /^10\.0\.1\.9 FAILED $/m);
        assert.match(pn.sh('H', 'ip neigh').stdout, /^10\.0\.1\.9 dev eth0 FAILED $/m);
        // ip neigh's selectors on the same two entries: the MACs are each side's own, and the kernel lists
        // its entries in the order of a hash with a random seed, so lines are compared as sets (`nud all`
        // is asked on eth0: the kernel also keeps lo's `0.0.0.0 lladdr 00:00:00:00:00:00 NOARP`, which
        // podnet has no entry for)
        const mac = (text: string): string =>
          text
            .replace(/lladdr \S+/g, 'lladdr M')
            .split('\n')
            .filter((l) => l !== '')
            .sort()
            .join('\n');
        for (const sel of [
          'nud all dev eth0',
          'nud reachable nud stale',
          'nud failed',
          '10.0.1.9',
          'to 10.0.1.8/31 dev eth0',
          'to 10.0.1.0/24',
          '10.0.1.100',
          'nomaster',
          'proxy',
          'nud bogus',
          'dev nope',
          'nud',
        ]) {
          const line = `ip neigh show ${sel}`;
          const k = ksh(ns, 'H', line);
          const p = pn.sh('H', line);
          assert.equal(p.status, k.status, `${line}: exit status`);
          assert.equal(mac(p.stdout), mac(k.stdout), line);
        }
        // -brief: the address, the device, the MAC in columns, no state (lo's NOARP entry left out)
        for (const line of ['ip -br neigh show dev eth0', 'ip -br neigh show to 10.0.1.0/24']) {
          const brief = (text: string): string => mac(text.replace(/([0-9a-f]{2}:){5}[0-9a-f]{2}/g, 'lladdr'));
          const k = ksh(ns, 'H', line);
          const p = pn.sh('H', line);
          assert.equal(p.status, k.status, `${line}: exit status`);
          assert.equal(brief(p.stdout), brief(k.stdout), line);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('loopback and the special addresses: 0.0.0.0 is this host, 255.255.255.255 a broadcast, ip route get as Linux', async (t) => {
    await withKernel(t, routed(), (ns) => {
      const pn = buildPodnet(routed());
      for (const line of [
        'ip route get 0.0.0.0',
        'ip route get 255.255.255.255',
        'ip route get 127.0.0.1',
        'ip route get 10.0.1.2',
        'ip route get 10.0.1.255',
        'ip route get 10.0.1.1',
        'ping -c 1 -W 1 0.0.0.0',
        'ping -c 1 -W 1 127.0.0.1',
        'ping -c 1 -W 1 255.255.255.255',
        'ping -c 1 -W 1 10.0.1.255',
      ]) {
        const k = ksh(ns, 'A', line);
        const p = pn.sh('A', line);
        assert.equal(norm(p.stdout), norm(k.stdout), line);
        assert.equal(p.status, k.status, `${line}: exit status`);
      }
    });
  });

  it('addresses and routes: a /32 address adds no route, and ip route prints host routes without /32', async (t) => {
    const spec = routed();
    spec.nodes.A!.devs.eth0!.addr = '10.0.1.2/24';
    spec.nodes.A!.routes = ['default via 10.0.1.1', '10.0.8.8/32 via 10.0.1.1'];
    spec.nodes.B!.devs.eth0!.addr = '10.0.2.2/32';
    spec.nodes.B!.routes = [];
    await withKernel(t, spec, (ns) => {
      const pn = buildPodnet(spec);
      for (const n of ['A', 'B'])
        assert.equal(norm(pn.sh(n, 'ip route').stdout), norm(ksh(ns, n, 'ip route').stdout), n);
      assert.equal(norm(ksh(ns, 'B', 'ip route').stdout), '');
    });
  });

  it('iproute2 views filtered by device leave out "dev DEV": bridge fdb show dev vx0, ip neigh show dev eth0', async (t) => {
    if (!requireNetns(t)) return;
    const ns = new NetnsSet();
    try {
      ns.add('A');
      run('ip', [
        'link',
        'add',
        'eth0',
        'netns',
        ns.full('A'),
        'type',
        'veth',
        'peer',
        'name',
        'peer0',
        'netns',
        ns.full('A'),
      ]);
      ns.ip('A', ['addr', 'add', '10.0.1.2/24', 'dev', 'eth0']);
      ns.ip('A', ['link', 'set', 'eth0', 'up']);
      ns.ip('A', [
        'link',
        'add',
        'vx0',
        'type',
        'vxlan',
        'id',
        '1',
        'local',
        '10.0.1.2',
        'dstport',
        '8472',
        'nolearning',
      ]);
      ns.ip('A', ['link', 'set', 'vx0', 'up']);
      ns.exec('A', 'bridge', ['fdb', 'append', '00:00:00:00:00:00', 'dev', 'vx0', 'dst', '10.0.1.5']);
      ns.exec('A', 'bridge', ['fdb', 'add', '02:00:00:00:00:01', 'dev', 'vx0', 'dst', '10.0.1.5']);
      ns.ip('A', ['neigh', 'add', '10.0.1.5', 'lladdr', '02:00:00:00:00:05', 'dev', 'eth0', 'nud', 'permanent']);

      const pn = buildPodnet({ nodes: { A: { devs: { eth0: { addr: '10.0.1.2/24' } } } } });
      const a = pn.nodes.get('A')!;
      const vx = new VxlanDev(a, {
        name: 'vx0',
        mac: 0x02_00_00_00_00_99,
        vni: 1,
        local: ip('10.0.1.2'),
        dstPort: 8472,
        learning: false,
      });
      vx.floodList.push(ip('10.0.1.5'));
      vx.setFdb(0x02_00_00_00_00_01, ip('10.0.1.5'));
      a.addPermanentNeighbor('eth0', ip('10.0.1.5'), 0x02_00_00_00_00_05);
      for (const line of ['bridge fdb show dev vx0', 'ip neigh show dev eth0']) {
        const words = line.split(' ');
        const k = ns.exec('A', words[0]!, words.slice(1));
        assert.equal(norm(pn.sh('A', line).stdout), norm(k), line);
      }
      assert.equal(
        norm(ns.exec('A', 'bridge', ['fdb', 'show', 'dev', 'vx0'])).split('\n')[0],
        '02:00:00:00:00:01 dst 10.0.1.5 self permanent',
      );
    } finally {
      ns.destroy();
    }
  });
});

function formatMacBytes(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}
