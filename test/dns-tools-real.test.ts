/**
 * nslookup, host and dig against the real ones (BIND 9.18's, Debian's bind9-dnsutils and bind9-host), both
 * asking the same emulated CoreDNS: examples/cluster-demo.yaml (with example.com known to the internet's
 * resolver), whose `client` pod runs podnet's tools, while a network namespace with the pod's own
 * /etc/resolv.conf (`ip netns exec` binds /etc/netns/NS/resolv.conf over /etc/resolv.conf) runs the real
 * ones. Its queries to
 * 10.43.0.10 reach a relay (test/support/dns-relay.ts) that sends them from the same pod in a second copy
 * of the cluster and hands back the emulated answers' bytes. Each command line must print the same text
 * with the same exit status: the search list walk, CoreDNS's own answers without RA (";; Got recursion not
 * available") and forwarded ones with it ("Non-authoritative answer:"), NXDOMAIN and no-answer cases,
 * reverse lookups, SRV, SOA and NS records, options, TCP, and the failures: a pod that refuses UDP 53 (its
 * address is on the namespace's lo, where nothing listens either), a ClusterIP with no UDP 53 rule (silent
 * in the cluster; in the namespace a route into a veth whose far end drops it), and resolv.conf files with
 * two servers; host's the same way. dig's command lines (the search list with +search and +ndots, reverse, SRV, TCP, an explicit
 * server) must print the same text but for what differs between any two runs: the query ID, the client
 * cookie, the query time, the date, and TTLs (CoreDNS's cache counts them down in each copy of the cluster).
 * getent's hosts, ahosts and ahostsv4 print what glibc finds with the pod's /etc/hosts and resolv.conf.
 * wget -q fetches from traefik/whoami (scripts/whoami.py in the namespace), whose echo of the request must
 * be the same, and exits with the same status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetnsSet, requireNetns, run, waitFor } from './support/netns.js';
import { requirePeer } from './support/peers.js';
import { EXAMPLES_DIR } from './support/examples.js';
import { CASE_GAP } from './support/dns-relay.js';
import { loadCluster } from '../src/scenario/manifests.js';
import { buildCluster, bringUp } from '../src/cluster/runtime.js';
import { clusterMachine, runOnMachine, type ClusterMachine } from '../src/scenario/cluster-shell.js';
import type { CommandResult } from '../src/apps/shell.js';
import { SECOND } from '../src/sim/engine.js';
import { formatIpv4 } from '../src/wire/addr.js';
import { peekDnsQuestion } from '../src/wire/dns.js';

const NSLOOKUP = { bin: 'nslookup', install: 'apt-get install -y bind9-dnsutils' };
const DIG = { bin: 'dig', install: 'apt-get install -y bind9-dnsutils' };
const HOST = { bin: 'host', install: 'apt-get install -y bind9-host' };
const WGET = { bin: 'wget', install: 'apt-get install -y wget' };
const PYTHON = { bin: 'python3', install: 'apt-get install -y python3' };
const DEMO = join(EXAMPLES_DIR, 'cluster-demo.yaml');
/** web's ClusterIP: kube-proxy DNATs TCP 80 only, so a query to it goes nowhere. */
const SILENT = '10.43.237.236';

test('nslookup, host and dig print what BIND 9.18 nslookup, host and dig print, asking the same emulated CoreDNS', async (t) => {
  if (
    !requireNetns(t) ||
    !requirePeer(t, 'nslookup', NSLOOKUP) ||
    !requirePeer(t, 'dig', DIG) ||
    !requirePeer(t, 'host', HOST) ||
    !requirePeer(t, 'wget', WGET) ||
    !requirePeer(t, 'python3', PYTHON)
  )
    return;
  const dir = mkdtempSync(join(tmpdir(), 'podnet-nslookup-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // the demo, with a name the internet's resolver knows (CoreDNS forwards it there: RA set, AA clear)
  const file = join(dir, 'cluster.yaml');
  writeFileSync(
    file,
    readFileSync(DEMO, 'utf8').replace(
      /^ {2}underlay:$/m,
      '  internet: { dns: { example.com: 93.184.215.14 } }\n  underlay:',
    ),
  );
  const loaded = loadCluster([{ file, text: readFileSync(file, 'utf8') }]);
  assert.ok(loaded.ok);
  const c = await buildCluster(loaded.cluster.plan);
  bringUp(c);
  const client = clusterMachine(c, 'client')!;
  const web = [...c.pods.entries()].find(([id]) => id.startsWith('default/web-'))![1];
  const refusing = formatIpv4(web.ip);
  const podConf = client.resolvConf!;
  assert.match(podConf, /^nameserver 10\.43\.0\.10$/m);
  const twoServers = (first: string, second: string): string =>
    podConf.replace(/^nameserver .*$/m, `nameserver ${first}\nnameserver ${second}`) + 'options timeout:1 attempts:2\n';

  const ns = new NetnsSet();
  const full = ns.add('c');
  const etc = join('/etc/netns', full);
  try {
    ns.ip('c', ['link', 'set', 'lo', 'up']);
    ns.ip('c', ['addr', 'add', '10.43.0.10/32', 'dev', 'lo']);
    ns.ip('c', ['addr', 'add', `${refusing}/32`, 'dev', 'lo']);
    // the silent address: out through v0, whose far end v1 has no such address and drops the query
    ns.ip('c', ['link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1']);
    ns.ip('c', ['link', 'set', 'v0', 'up']);
    ns.ip('c', ['link', 'set', 'v1', 'up']);
    ns.ip('c', ['addr', 'add', '10.250.0.1/24', 'dev', 'v0']);
    ns.ip('c', ['route', 'add', `${SILENT}/32`, 'via', '10.250.0.2', 'dev', 'v0']);
    ns.ip('c', ['neigh', 'add', '10.250.0.2', 'lladdr', '02:00:00:00:00:02', 'dev', 'v0']);
    mkdirSync(etc, { recursive: true });
    // the pod's /etc/hosts, and glibc's lookup order in a container image (files, then dns), whatever the
    // machine's own nsswitch.conf says
    writeFileSync(join(etc, 'hosts'), client.hostsFile ?? '');
    writeFileSync(join(etc, 'nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files dns\n');
    const ready = join(dir, 'ready');
    // each command line starts with both clusters' CoreDNS caches empty (the relay runs CASE_GAP when
    // this file changes; the test's copy runs it before each command line)
    const caseFile = join(dir, 'case');
    let caseNo = 0;
    const relay = ns.spawn('c', process.execPath, [
      join(import.meta.dirname, 'support', 'dns-relay.js'),
      file,
      'client',
      '10.43.0.10',
      ready,
      caseFile,
    ]);
    let relayErr = '';
    relay.stderr?.on('data', (d: Buffer) => (relayErr += d.toString()));
    await waitFor(`the DNS relay (${relayErr})`, () => existsSync(ready) || relay.exitCode !== null, 60_000);
    assert.ok(existsSync(ready), `dns-relay failed: ${relayErr}`);

    const real = (conf: string, args: readonly string[], program = 'nslookup'): CommandResult => {
      writeFileSync(join(etc, 'resolv.conf'), conf);
      writeFileSync(caseFile, String(++caseNo));
      const quoted = args.map((a) => `'${a}'`).join(' ');
      const out = run('ip', ['netns', 'exec', full, 'sh', '-c', `${program} ${quoted} 2>&1; echo "rc=$?"`], 30_000);
      const m = /rc=(\d+)\n$/.exec(out)!;
      const text = out.slice(0, m.index);
      return { status: Number(m[1]), stdout: text.endsWith('\n') ? text.slice(0, -1) : text };
    };
    const emulated = (conf: string, args: readonly string[], program = 'nslookup'): CommandResult => {
      const where: ClusterMachine = { ...client, resolvConf: conf };
      // as the relay's copy does: CoreDNS's cache empties (a cached answer has AA set), and the web pod's
      // node, which answers UDP to a closed port with ICMP at most 6 at once to one host and then one a
      // second (Linux's icmp_ratelimit; the namespace's own lo is never limited), refills its bucket
      c.engine.runFor(CASE_GAP);
      let r: CommandResult | undefined;
      runOnMachine(where, [program, ...args], (x) => (r = x));
      for (let i = 0; i < 600 && r === undefined; i++) c.engine.runFor(SECOND / 10);
      assert.ok(r !== undefined, `${program} ${args.join(' ')} did not finish`);
      return { status: r.status, stdout: r.stdout };
    };
    /** `program args` with resolv.conf `conf` prints the real one's text and exits with its status. */
    const sameAsReal = (program: string, conf: string, args: string[]): void => {
      const want = real(conf, args, program);
      const got = emulated(conf, args, program);
      const servers = conf === podConf ? '' : ` with ${conf.match(/^nameserver .*$/gm)!.join(', ')}`;
      const label = `${program} ${args.join(' ')}${servers}`;
      assert.equal(got.stdout, want.stdout, `${label}: text`);
      assert.equal(got.status, want.status, `${label}: exit status`);
    };
    const cases: [string, string[]][] = [
      [podConf, ['web']],
      [podConf, ['kubernetes.default']],
      [podConf, ['kube-dns.kube-system']],
      [podConf, ['nosuch']],
      [podConf, ['-nosearch', 'web']],
      [podConf, ['-ndots=1', 'web.default']],
      [podConf, ['web.default.svc.cluster.local.']],
      [podConf, ['10.43.0.10']],
      [podConf, ['10.99.0.1']],
      [podConf, ['-type=a', '10.43.0.10']],
      [podConf, ['-type=srv', '_http._tcp.web']],
      [podConf, ['-type=AAAA', 'web']],
      [podConf, ['-query=mx', 'web']],
      [podConf, ['-type=soa', 'cluster.local']],
      [podConf, ['-type=ns', 'cluster.local']],
      [podConf, ['example.com']],
      [podConf, ['nosuch.example.com']],
      [podConf, ['-type=mx', 'example.com']],
      [podConf, ['web', '10.43.0.10']],
      [podConf, ['-vc', 'kubernetes.default']],
      [podConf, ['-bogus', 'web']],
      [podConf, ['-type=junk', 'web']],
      [podConf, ['-port=x', 'web']],
      [podConf, ['a..b']],
      [podConf, ['-domain=bad..x', 'web']],
      [podConf, ['a', 'b', 'c']],
      [podConf, ['-retry=2', 'web', refusing]],
      [podConf, ['-timeout=1', '-retry=2', 'web', SILENT]],
      [podConf, ['-timeout=1', '-retry=0', 'web', SILENT]],
      [twoServers(refusing, '10.43.0.10'), ['kubernetes.default']],
      [twoServers('10.43.0.10', refusing), ['web']],
      [twoServers(SILENT, '10.43.0.10'), ['web']],
      [twoServers(SILENT, refusing), ['web']],
    ];
    for (const [conf, args] of cases) sameAsReal('nslookup', conf, args);
    const hostCases: [string, string[]][] = [
      [podConf, ['web']],
      [podConf, ['kubernetes.default']],
      [podConf, ['nosuch']],
      [podConf, ['example.com']],
      [podConf, ['-t', 'mx', 'web']],
      [podConf, ['-tmx', 'web']],
      [podConf, ['-t', 'a', 'nosuch']],
      [podConf, ['-t', 'srv', '_http._tcp.web']],
      [podConf, ['-t', 'soa', 'cluster.local']],
      [podConf, ['-t', 'ns', 'cluster.local']],
      [podConf, ['-t', 'junk', 'web']],
      [podConf, ['-N', '1', 'web.default']],
      [podConf, ['10.43.0.10']],
      [podConf, ['10.99.0.1']],
      [podConf, ['web', '10.43.0.10']],
      [podConf, ['-r', 'web']],
      [podConf, ['-T', 'kubernetes.default']],
      [podConf, ['-x', 'web']],
      [podConf, []],
      [podConf, ['-W', '1', 'web', SILENT]],
      [podConf, ['-R', '0', 'web', refusing]],
      // six refusals at most: the web pod's node answers no more at once (icmp_ratelimit's burst), while
      // the namespace's lo has no limit
      [twoServers(refusing, '10.43.0.10'), ['-N', '1', 'kubernetes.default.svc.cluster.local']],
      [twoServers('10.43.0.10', refusing), ['web']],
    ];
    for (const [conf, args] of hostCases) sameAsReal('host', conf, args);
    const getentCases: string[][] = [
      ['hosts', 'web'],
      ['hosts', 'nosuch'],
      ['hosts', 'web', 'nosuch', 'client'],
      ['hosts', 'localhost'],
      ['hosts', 'client'],
      ['hosts', '10.43.0.10'],
      ['hosts', '10.99.0.1'],
      ['hosts', '10.42.1.5'],
      ['hosts'],
      ['ahosts', 'web'],
      ['ahosts', 'kubernetes.default'],
      ['ahosts', '10.43.0.10'],
      ['ahostsv4', 'client'],
      ['foo', 'x'],
    ];
    for (const args of getentCases) sameAsReal('getent', podConf, args);
    // getaddrinfo's queries: which names and types each tool asks, from which of its sockets, in order
    const sentQueries: string[] = [];
    const udpSend = client.udp.send.bind(client.udp);
    client.udp.send = (port, dst, dstPort, payload, opts) => {
      const q = dstPort === 53 ? peekDnsQuestion(payload) : undefined;
      if (q !== undefined) sentQueries.push(`${port} ${q.name} ${q.type}`);
      return udpSend(port, dst, dstPort, payload, opts);
    };
    /** `port name type` lines with each port replaced by its socket's number in order of first use. */
    const bySocket = (lines: readonly string[]): string[] => {
      const ports = new Map<string, number>();
      return lines.map((l) => {
        const [port, ...rest] = l.split(' ');
        if (!ports.has(port!)) ports.set(port!, ports.size + 1);
        return `socket ${ports.get(port!)}: ${rest.join(' ')}`;
      });
    };
    const toolCases: string[][] = [
      ['curl', '-s', '-m', '1', '-o', '/dev/null', 'http://web/'],
      ['curl', '-s', '-m', '1', '-o', '/dev/null', 'http://nosuch/'],
      ['ping', '-c', '1', '-W', '1', 'web'],
      ['nc', '-z', '-w', '1', 'web', '80'],
      ['nc', '-4', '-z', '-w', '1', 'web', '80'],
      ['traceroute', '-n', '-m', '1', '-q', '1', '-w', '1', 'web'],
      ['getent', 'hosts', 'web'],
      ['getent', 'ahosts', 'web'],
      ['getent', 'hosts', 'client'],
    ];
    for (const [program, ...args] of toolCases) {
      rmSync(`${caseFile}.queries`, { force: true });
      const realOut = real(podConf, args, program);
      const want = existsSync(`${caseFile}.queries`)
        ? readFileSync(`${caseFile}.queries`, 'utf8').trim().split('\n')
        : [];
      sentQueries.length = 0;
      const out = emulated(podConf, args, program);
      assert.deepEqual(bySocket(sentQueries), bySocket(want), `${program} ${args.join(' ')}: the DNS queries`);
      // how they name what they found: ping by the canonical name (the FQDN), traceroute by the name given
      // (what follows differs: the namespace's route to the ClusterIP goes nowhere)
      if (program === 'ping' || program === 'traceroute')
        assert.equal(
          out.stdout.split('\n')[0],
          realOut.stdout.split('\n')[0],
          `${program} ${args.join(' ')}: first line`,
        );
    }
    // wget -q against whoami: scripts/whoami.py on the whoami Service's address in the namespace, the
    // emulated traefik/whoami pod in the cluster; both echo the request, which must be the same from its
    // request line on (the hostname, addresses and RemoteAddr before it differ)
    const whoamiIp = formatIpv4(c.plan.services.find((x) => x.name === 'whoami')!.clusterIP!);
    ns.ip('c', ['addr', 'add', `${whoamiIp}/32`, 'dev', 'lo']);
    ns.spawn('c', 'python3', [join(import.meta.dirname, '..', '..', 'scripts', 'whoami.py'), '80', 'whoami']);
    await waitFor('whoami.py listening', () => /:80 /.test(run('ip', ['netns', 'exec', full, 'ss', '-Hltn'])), 10_000);
    const fromRequest = (text: string): string => text.slice(text.search(/^(GET|HEAD|POST) /m));
    const wgetCases: string[][] = [
      ['-qO-', 'http://whoami/'],
      ['-q', '-O', '-', '--header', 'X-Test: 1', 'http://whoami/path?x=1'],
      ['-qO-', '-U', 'probe/1.0', 'whoami/a'],
      ['-qO-', 'http://nosuch/'],
      ['-qO-', `http://${refusing}:81/`],
    ];
    for (const args of wgetCases) {
      const want = real(podConf, args, 'wget');
      const got = emulated(podConf, args, 'wget');
      assert.equal(fromRequest(got.stdout), fromRequest(want.stdout), `wget ${args.join(' ')}: the request echoed`);
      assert.equal(got.status, want.status, `wget ${args.join(' ')}: exit status`);
    }
    const digCases: string[][] = [
      ['web'],
      ['+search', 'web'],
      ['+search', 'kubernetes.default'],
      ['+search', '+ndots=1', 'web.default'],
      ['+search', '+ndots=1', 'web.default.svc.cluster.local'],
      ['+search', 'nosuch'],
      ['+search', 'nosuch.'],
      ['+short', 'web.default.svc.cluster.local'],
      ['-x', '10.43.0.10'],
      ['-t', 'SRV', '_http._tcp.web.default.svc.cluster.local'],
      ['+tcp', 'kubernetes.default.svc.cluster.local'],
      ['example.com'],
      ['@10.43.0.10', 'nosuch.default.svc.cluster.local'],
    ];
    for (const args of digCases) {
      const want = real(podConf, args, 'dig');
      const got = emulated(podConf, args, 'dig');
      assert.equal(normaliseDig(got.stdout), normaliseDig(want.stdout), `dig ${args.join(' ')}: text`);
      assert.equal(got.status, want.status, `dig ${args.join(' ')}: exit status`);
    }
  } finally {
    rmSync(etc, { recursive: true, force: true });
    ns.destroy();
  }
});

/** Blanks what differs between any two runs of dig: ID, client cookie, query time, date, and TTLs. */
function normaliseDig(text: string): string {
  return text
    .replace(/, id: \d+$/m, ', id: ID')
    .replace(/^; COOKIE: [0-9a-f]+/m, '; COOKIE: C')
    .replace(/^;; Query time: \d+ msec$/gm, ';; Query time: T msec')
    .replace(/^;; WHEN: .*$/gm, ';; WHEN: W')
    .replace(/^(\S+\.)\s+\d+\s+IN\s+/gm, '$1 TTL IN ');
}
