/**
 * `ip link`, `ip addr` and `ip route` against iproute2 6.1 and the kernel, in a network namespace the test
 * makes: gw1 of examples/vxlan-mtu.yaml (two NICs, then an L3 vxlan device, and its route to the far
 * subnet) is rebuilt with the same MACs, MTUs, addresses (added with `brd +`, as DHCP and the CNI plugins
 * add them) and routes. The real `ip route` (main and local tables, `get` of a remote, an on-link and a
 * local address) must print podnet's text to the byte, each line's final blank included; and for the vxlan
 * device so must `ip link` and `ip addr`: state UNKNOWN (a vxlan device has no carrier of its
 * own), no VNI line (that is `ip -d`), `mode DEFAULT` in `ip link`, no link line with -4, and the error
 * for a device that does not exist. The NICs are not compared: the namespace's are veths (`eth1@if3 ...
 * link-netns`), podnet's are cables.
 *
 * `ip route show`'s selectors (proto, dev, scope, type, via, src, metric, tables, root/match/exact
 * prefixes, and their errors) on the Calico example's master, its main table added to a namespace line by
 * line from podnet's own `ip route` (tunl0 a veth there: the kernel has no ipip module), IPv6 off so that
 * `table all` holds what podnet has.
 *
 * Then a pod's veth pair in the Calico example (the CNI plugin's cali veth on the master, eth0 in CoreDNS's
 * pod) against a real pair made the same way between two namespaces: each end names the other's index
 * (`@ifN`) and, on the link line (or, with -4, the first line), the other's namespace. The names of the
 * namespaces themselves differ (the test's are pn-...), and podnet's host is the unnamed root namespace
 * (`link-netnsid 0`, as iproute2 prints a peer in a namespace with no name): those are put in place
 * before comparing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { NetnsSet, requireNetns, run, waitFor } from './support/netns.js';
import { requirePeer } from './support/peers.js';
import { EXAMPLES_DIR } from './support/examples.js';
import { cli } from './support/cli.js';

const PYTHON = { bin: 'python3', install: 'apt-get install -y python3' };

const LAB = join(EXAMPLES_DIR, 'vxlan-mtu.yaml');
const CALICO = join(EXAMPLES_DIR, 'cluster-calico-ipip.yaml');

test('ip link and ip addr print a vxlan device as iproute2 and the kernel do', async (t) => {
  if (!requireNetns(t)) return;
  const ns = new NetnsSet();
  t.after(() => ns.destroy());
  ns.add('gw1');
  ns.add('peer');
  const gw1 = ns.full('gw1');
  const ip = (...args: string[]) => run('ip', ['-n', gw1, ...args]);
  ip('link', 'set', 'lo', 'up');
  // eth0 and eth1 first, so that vxlan0 has ifindex 4 as in podnet's `ip addr`
  for (const [dev, mac, addr] of [
    ['eth0', '02:00:00:00:03:01', '10.1.0.1/24'],
    ['eth1', '02:00:00:00:03:02', '192.168.0.1/24'],
  ] as const) {
    ip('link', 'add', dev, 'address', mac, 'type', 'veth', 'peer', 'name', `p-${dev}`, 'netns', ns.full('peer'));
    ip('addr', 'add', addr, 'brd', '+', 'dev', dev);
    ip('link', 'set', dev, 'up');
    // the far ends up too: a NIC without carrier would print `linkdown` on its routes
    run('ip', ['-n', ns.full('peer'), 'link', 'set', `p-${dev}`, 'up']);
  }
  ip(
    'link',
    'add',
    'vxlan0',
    'address',
    '02:00:00:00:03:41',
    'mtu',
    '1450',
    'type',
    'vxlan',
    'id',
    '1',
    'local',
    '192.168.0.1',
    'dstport',
    '8472',
  );
  ip('addr', 'add', '10.99.0.1/24', 'brd', '+', 'dev', 'vxlan0');
  ip('link', 'set', 'vxlan0', 'up');
  ip('route', 'add', '10.2.0.0/24', 'via', '10.99.0.2', 'dev', 'vxlan0');
  const forms = [
    ['route'],
    ['route', 'show', 'table', 'local'],
    ['r', 'get', '10.2.0.9'],
    ['route', 'get', '10.99.0.7'],
    ['route', 'get', '10.1.0.1'],
    ['link', 'show', 'vxlan0'],
    ['addr', 'show', 'dev', 'vxlan0'],
    ['-4', 'addr', 'show', 'dev', 'vxlan0'],
    ['a', 's', 'vxlan0'],
    ['link', 'show', 'dev', 'nope'],
    ['addr', 'show', 'nope'],
  ];
  for (const args of forms) {
    const real = spawnSync('ip', ['-n', gw1, ...args], { encoding: 'utf8' });
    const ours = await cli('exec', LAB, 'gw1', '--', 'ip', ...args);
    const what = `ip ${args.join(' ')}`;
    assert.equal(ours.code, real.status, `${what}: exit status`);
    // to the byte, the blank iproute2 ends each route line with included (errors go to stderr)
    if (real.status === 0) assert.equal(ours.stdout, real.stdout, what);
    else assert.equal(ours.out.trimEnd(), real.stderr.trimEnd(), what);
  }
  // a real vxlan device: the namespace has it, with the VNI asked for (-d shows it)
  const details = spawnSync('ip', ['-n', gw1, '-d', 'link', 'show', 'vxlan0'], { encoding: 'utf8' });
  assert.match(details.stdout, / vxlan id 1 local 192\.168\.0\.1 .*dstport 8472/);
});

test("a pod's veth pair names the other end's index and namespace, as iproute2 prints a real pair", async (t) => {
  if (!requireNetns(t)) return;
  const ns = new NetnsSet();
  t.after(() => ns.destroy());
  ns.add('host');
  ns.add('pod');
  ns.add('other');
  const [host, pod] = [ns.full('host'), ns.full('pod')];
  const ip = (...args: string[]) => run('ip', args);
  // the master's devices before the cali veth: eth0 and tunl0, so that it has ifindex 4
  for (const dev of ['eth0', 'tunl0'])
    ip('-n', host, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', `p-${dev}`, 'netns', ns.full('other'));
  const caliVeth = 'cali7684beb7319';
  ip(
    '-n',
    host,
    'link',
    'add',
    caliVeth,
    'address',
    'ee:ee:ee:ee:ee:ee',
    'mtu',
    '1480',
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'mtu',
    '1480',
    'netns',
    pod,
  );
  ip('-n', pod, 'link', 'set', 'lo', 'up');
  ip('-n', pod, 'link', 'set', 'eth0', 'up');
  ip('-n', host, 'link', 'set', caliVeth, 'up');
  ip('-n', pod, 'addr', 'add', '192.168.236.1/32', 'dev', 'eth0');
  const coredns = 'kube-system/coredns-6f7bbd4779-b7bzr';
  const podNetns = 'cni-kube-system-coredns-6f7bbd4779-b7bzr';
  const real = (netns: string, args: string[]) =>
    spawnSync('ip', ['-n', netns, ...args], { encoding: 'utf8' }).stdout.trimEnd();
  // the host's end: the pod's namespace by name
  const hostReal = real(host, ['link', 'show', caliVeth]).replace(`link-netns ${pod}`, `link-netns ${podNetns}`);
  const hostOurs = await cli('exec', CALICO, 'master', '--', 'ip', 'link', 'show', caliVeth);
  assert.equal(hostOurs.out.trimEnd(), hostReal);
  // the pod's end: the host's namespace, which podnet's has no name (the MAC is the pod's own, random)
  for (const args of [
    ['link', 'show', 'eth0'],
    ['-4', 'addr', 'show', 'dev', 'eth0'],
  ]) {
    const ours = (await cli('exec', CALICO, coredns, '--', 'ip', ...args)).out.trimEnd();
    const mac = /link\/ether (\S+)/.exec(ours)?.[1];
    let want = real(pod, args).replace(`link-netns ${host}`, 'link-netnsid 0');
    const realMac = /link\/ether (\S+)/.exec(want)?.[1];
    if (mac !== undefined && realMac !== undefined) want = want.replace(realMac, mac);
    assert.equal(ours, want, `ip ${args.join(' ')} in the pod`);
  }
});

test('ip route show with selectors prints what iproute2 prints for the same table', async (t) => {
  if (!requireNetns(t)) return;
  const ns = new NetnsSet();
  t.after(() => ns.destroy());
  ns.add('master');
  ns.add('far');
  const master = ns.full('master');
  // NetnsSet.add turned IPv6 off before any device exists: `table all` lists what podnet has, IPv4's two tables
  const ip = (...args: string[]) => run('ip', ['-n', master, ...args]);
  ip('link', 'set', 'lo', 'up');
  // the Calico master's devices; tunl0 is a veth here (the kernel has no ipip module): a route's text
  // does not depend on its device's kind
  for (const dev of ['eth0', 'tunl0', 'cali7684beb7319', 'calice0906292e2']) {
    ip('link', 'add', dev, 'type', 'veth', 'peer', 'name', `p-${dev.slice(0, 12)}`, 'netns', ns.full('far'));
    ip('link', 'set', dev, 'up');
    run('ip', ['-n', ns.full('far'), 'link', 'set', `p-${dev.slice(0, 12)}`, 'up']);
  }
  ip('addr', 'add', '172.171.5.95/24', 'brd', '+', 'dev', 'eth0');
  ip('addr', 'add', '192.168.236.0/32', 'dev', 'tunl0');
  // podnet's main table, added as its lines say (the kernel makes the connected route itself)
  const ours = await cli('exec', CALICO, 'master', '--', 'ip', 'route');
  const lines = ours.out.split('\n').filter((l) => !l.includes('proto kernel'));
  assert.ok(lines.some((l) => l.includes('proto bird onlink')) && lines.some((l) => l.startsWith('blackhole ')));
  for (const l of lines) ip('route', 'add', ...l.trim().split(' '));
  const forms = [
    [],
    ['show', 'proto', 'bird'],
    ['s', 'pro', 'bird', 'dev', 'tunl0'],
    ['list', 'proto', 'kernel'],
    ['show', 'proto', 'boot'],
    ['show', 'proto', '0x0c'],
    ['show', 'proto', 'all'],
    ['show', 'dev', 'eth0'],
    ['show', 'oif', 'cali7684beb7319'],
    ['show', 'scope', 'link'],
    ['show', 'scope', 'global'],
    ['show', 'type', 'blackhole'],
    ['show', 'type', 'unicast'],
    ['show', 'via', '172.171.5.96'],
    ['show', 'via', '172.171.5.0/24'],
    ['show', 'src', '172.171.5.95'],
    ['show', 'metric', '0'],
    ['show', '192.168.190.192/26'],
    ['show', '192.168.236.1'],
    ['show', '192.168.236.0'],
    ['show', 'to', '192.168.236.0/255.255.255.192'],
    ['show', 'root', '192.168.0.0/16'],
    ['show', 'match', '192.168.236.1'],
    ['show', 'exact', '192.168.236.0/26'],
    ['show', 'default'],
    ['show', 'all'],
    ['show', 'from', '0/0'],
    ['show', 'tos', '0'],
    ['show', 'mark', '1'],
    ['show', 'table', 'local'],
    ['show', 'table', 'local', 'type', 'broadcast'],
    ['show', 'table', 'local', 'dev', 'lo'],
    ['show', 'table', 'all'],
    ['show', 'table', '0', 'scope', 'host'],
    ['show', 'table', 'main', 'src', '172.171.5.95'],
    ['show', 'dev', 'nope'],
    ['show', 'proto', 'nope'],
    ['show', 'scope', 'nope'],
    ['show', 'type', 'nope'],
    ['show', 'table', 'nope'],
    ['show', 'table', '100'],
    ['show', 'metric', 'x'],
    ['show', 'dev'],
    ['show', '192.168.236.0/33'],
    ['show', 'via', 'nope'],
  ];
  // ip route get: the last address wins, a /len is warned about (on stderr, before the answer)
  for (const args of [
    ['get', '192.168.190.193'],
    ['g', 'to', '192.168.236.1'],
    ['get', '172.171.5.7/24'],
    ['get', '172.171'],
    ['get', 'default'],
    ['get', '1.2.3.4', '192.168.236.2'],
    ['get', 'nope'],
    ['get'],
  ]) {
    const what = `ip route ${args.join(' ')}`;
    const r = spawnSync('ip', ['-n', master, 'route', ...args], { encoding: 'utf8' });
    const mine = await cli('exec', CALICO, 'master', '--', 'ip', 'route', ...args);
    assert.equal(mine.code, r.status, `${what}: exit status`);
    assert.equal(mine.stdout, r.stderr + r.stdout, what);
  }
  // -4 makes `all`, `any` and `default` IPv4 prefixes of length 0: `all` then matches the default route only
  const withFamily = [
    ['-4', 'route', 'show', 'all'],
    ['-4', 'route', 'show', 'default'],
    ['-4', 'r', 'list', 'root', 'any'],
  ];
  for (const args of [...forms.map((f) => ['route', ...f]), ...withFamily]) {
    const what = `ip ${args.join(' ')}`;
    const real = spawnSync('ip', ['-n', master, ...args], { encoding: 'utf8' });
    const mine = await cli('exec', CALICO, 'master', '--', 'ip', ...args);
    assert.equal(mine.code, real.status, `${what}: exit status`);
    if (real.status === 0) assert.equal(mine.stdout, real.stdout, what);
    else assert.equal(mine.out.trimEnd(), real.stderr.trimEnd(), what);
  }
});

/** `ip` output with the underlay NIC as podnet shows it: a plain NIC (the namespace's is a veth, `eth0@ifN`, with a peer namespace). */
function asCable(text: string): string {
  return text
    .split('\n')
    .map((l, i, all) => {
      if (/^eth0@if\d+ /.test(l)) return `${'eth0'.padEnd(16)} ${l.replace(/^eth0@if\d+ +/, '')}`;
      if (/^\d+: eth0@if\d+:/.test(l)) return l.replace(/eth0@if\d+:/, 'eth0:').replace(/ link-netns \S+$/, '');
      if (i > 0 && /^\d+: eth0@if\d+:/.test(all[i - 1]!)) return l.replace(/ link-netns \S+$/, '');
      return l;
    })
    .join('\n');
}

test("ip addr and ip link with selectors and -brief, and bridge link and fdb, print what iproute2 prints for a flannel node's devices", async (t) => {
  if (!requireNetns(t) || !requirePeer(t, 'python3 (to send the frames the bridge learns from)', PYTHON)) return;
  const FLANNEL = join(EXAMPLES_DIR, 'cluster-demo.yaml');
  const ours = async (...args: string[]) => cli('exec', FLANNEL, 'server', '--', 'ip', ...args);
  // the node's devices as podnet has them: name, MAC, MTU, master, the pod namespace of a veth's peer
  const links = (await ours('link')).out.split('\n');
  const devs: { name: string; mac: string; mtu: string; master?: string; netns?: string }[] = [];
  for (let i = 0; i < links.length; i += 2) {
    const head = /^\d+: ([^:@]+)(?:@if\d+)?: <[^>]*> mtu (\d+) qdisc \S+(?: master (\S+))?/.exec(links[i]!);
    const ether = /link\/ether (\S+) .*?(?: link-netns (\S+))?$/.exec(links[i + 1] ?? '');
    if (head === null || ether === null) continue;
    devs.push({
      name: head[1]!,
      mac: ether[1]!,
      mtu: head[2]!,
      ...(head[3] !== undefined ? { master: head[3] } : {}),
      ...(ether[2] !== undefined ? { netns: ether[2] } : {}),
    });
  }
  assert.deepEqual(
    devs.map((d) => d.name).slice(0, 3),
    ['eth0', 'flannel.1', 'cni0'],
    'the example node has eth0, flannel.1 and cni0 first',
  );
  const ns = new NetnsSet();
  t.after(() => ns.destroy());
  ns.add('node');
  ns.add('far');
  const node = ns.full('node');
  const ip = (...args: string[]) => run('ip', ['-n', node, ...args]);
  ip('link', 'set', 'lo', 'up');
  const podNs = new Map<string, string>();
  // a cni0 port's name -> the namespace of its peer
  const portPod = new Map<string, string>();
  const addrs = (await ours('-4', 'addr')).out;
  for (const d of devs) {
    if (d.name === 'eth0') {
      ip(
        'link',
        'add',
        'eth0',
        'address',
        d.mac,
        'mtu',
        d.mtu,
        'type',
        'veth',
        'peer',
        'name',
        'u0',
        'netns',
        ns.full('far'),
      );
      run('ip', ['-n', ns.full('far'), 'link', 'set', 'u0', 'up']);
    } else if (d.name === 'flannel.1')
      ip(
        'link',
        'add',
        d.name,
        'address',
        d.mac,
        'mtu',
        d.mtu,
        'type',
        'vxlan',
        'id',
        '1',
        'dstport',
        '8472',
        'nolearning',
      );
    else if (d.name === 'cni0')
      // podnet's bridges do not snoop multicast (a snooping one joins 224.0.0.106, which bridge fdb lists)
      ip('link', 'add', d.name, 'address', d.mac, 'mtu', d.mtu, 'type', 'bridge', 'mcast_snooping', '0');
    else {
      assert.ok(d.netns !== undefined && d.master === 'cni0', `${d.name} is a pod's veth on cni0`);
      const pod = ns.add(`pod${podNs.size}`);
      podNs.set(pod, d.netns);
      portPod.set(d.name, pod);
      ip(
        'link',
        'add',
        d.name,
        'address',
        d.mac,
        'mtu',
        d.mtu,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'mtu',
        d.mtu,
        'netns',
        pod,
      );
      run('ip', ['-n', pod, 'link', 'set', 'eth0', 'up']);
      ip('link', 'set', d.name, 'master', 'cni0');
    }
    ip('link', 'set', d.name, 'up');
    for (const m of addrs.matchAll(
      new RegExp(`inet (\\S+)(?: brd \\S+)? scope global ${d.name.replace('.', '\\.')}$`, 'gm'),
    ))
      ip('addr', 'add', m[1]!, ...(m[1]!.endsWith('/32') ? [] : ['brd', '+']), 'dev', d.name);
  }
  // flannel's VTEP entries, as podnet's flanneld wrote them
  const vteps = (await cli('exec', FLANNEL, 'server', '--', 'bridge', 'fdb', 'show', 'dev', 'flannel.1')).out;
  for (const m of vteps.matchAll(/^(\S+) dst (\S+) self permanent$/gm))
    run('bridge', ['-n', node, 'fdb', 'append', m[1]!, 'dev', 'flannel.1', 'dst', m[2]!, 'self', 'permanent']);
  // a bridge reports its carrier a moment after its first port comes up
  await waitFor('cni0 up', () => /state UP/.test(run('ip', ['-n', node, 'link', 'show', 'cni0'])), 5_000);
  // what podnet's cni0 learned, learned by the kernel's too, port by port in the order podnet learned it
  // (its listing is newest first): one broadcast frame from each MAC out of the pod's end of the veth
  const learned = (await cli('exec', FLANNEL, 'server', '--', 'bridge', 'fdb', 'show', 'dynamic')).out;
  const toLearn = [...learned.matchAll(/^(\S+) dev (\S+) master cni0 $/gm)].reverse();
  assert.ok(toLearn.length > 0, `the example's cni0 has learned entries:\n${learned}`);
  for (const [, mac, port] of toLearn) {
    const send = `import socket; s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); s.bind(('eth0', 0)); s.send(bytes.fromhex('ffffffffffff${mac!.replaceAll(':', '')}88b5') + bytes(46))`;
    run('ip', ['netns', 'exec', portPod.get(port!)!, 'python3', '-c', send]);
  }
  const real = (args: string[]) => {
    const r = spawnSync('ip', ['-n', node, ...args], { encoding: 'utf8' });
    let out = asCable(r.status === 0 ? r.stdout : r.stderr);
    // the namespace's eth0 is a veth standing in for a NIC: `type veth` must not count it
    if (args.includes('veth')) out = out.replace(/^eth0 .*\n/m, '').replace(/^\d+: eth0: .*\n(?: {4}.*\n)*/m, '');
    for (const [pod, name] of podNs) out = out.replaceAll(`link-netns ${pod}`, `link-netns ${name}`);
    return { status: r.status, out };
  };
  const forms = [
    ['addr'],
    ['link'],
    ['-br', 'addr'],
    ['-brief', 'link'],
    ['-br', '-4', 'addr'],
    ['-4', 'a'],
    ['addr', 'show', 'up'],
    ['link', 'show', 'type', 'veth'],
    ['link', 'show', 'type', 'bridge'],
    ['link', 'show', 'type', 'bridge_slave'],
    ['-br', 'link', 'show', 'type', 'vxlan'],
    ['link', 'show', 'master', 'cni0'],
    ['addr', 'show', 'nomaster'],
    ['addr', 'show', 'scope', 'host'],
    ['addr', 'show', 'scope', 'global'],
    ['addr', 'show', 'to', '10.42.0.0/16'],
    ['addr', 'show', 'secondary'],
    ['addr', 'show', 'primary'],
    ['addr', 'show', 'permanent'],
    ['addr', 'show', 'dynamic'],
    ['addr', 'show', '-secondary'],
    ['addr', 'show', 'label', 'cni*'],
    ['link', 'show', 'label', 'eth0'],
    ['addr', 'show', 'group', 'default'],
    ['addr', 'show', 'group', '5'],
    ['-br', 'addr', 'show', 'type', 'veth'],
    ['a', 's', 'dev', 'cni0'],
    ['link', 'show', 'eth0', 'type', 'bridge'],
    ['addr', 'show', 'eth0', 'cni0'],
    ['addr', 'show', 'master', 'nope'],
    ['addr', 'show', 'scope', 'nope'],
    ['addr', 'show', 'to', 'nope'],
    ['addr', 'show', 'dev', 'nope'],
    ['addr', 'show', 'label'],
  ];
  // bridge link (the pod veths' peers are index 2 in their namespaces, which the bridge tool names by
  // this namespace's index 2: eth0) and the VXLAN device's entries
  for (const args of [
    ['link'],
    ['link', 'show', 'dev', devs[3]!.name],
    ['l', 'lst'],
    ['link', 'show', 'dev', 'nope'],
    ['fdb', 'show', 'dev', 'flannel.1'],
    ['fdb'],
    ['fdb', 'show', 'br', 'cni0'],
    ['fdb', 'show', 'dynamic'],
    ['fdb', 'show', 'dev', 'cni0'],
    ['fdb', 'show', 'dev', 'eth0'],
    ['fdb', 'show', 'dev', 'lo'],
    ['fdb', 'show', 'brport', devs[3]!.name],
    ['fdb', 'show', 'dev', devs[4]!.name, 'dynamic'],
    ['fdb', 'show', 'br', 'nope'],
    ['fdb', 'show', 'dev', 'nope'],
  ]) {
    const what = `bridge ${args.join(' ')}`;
    const r = spawnSync('bridge', ['-n', node, ...args], { encoding: 'utf8' });
    const mine = await cli('exec', FLANNEL, 'server', '--', 'bridge', ...args);
    assert.equal(mine.code, r.status, `${what}: exit status`);
    assert.equal(r.status === 0 ? mine.stdout : mine.out, r.status === 0 ? r.stdout : r.stderr.trimEnd(), what);
  }
  for (const args of forms) {
    const what = `ip ${args.join(' ')}`;
    const r = real(args);
    const mine = await ours(...args);
    assert.equal(mine.code, r.status, `${what}: exit status`);
    assert.equal(r.status === 0 ? mine.stdout : mine.out.trimEnd(), r.status === 0 ? r.out : r.out.trimEnd(), what);
  }
});
