/**
 * The tools' text through `podnet exec`, byte for byte as a terminal gets it, against the real tools run
 * in network namespaces (iputils-ping 20221126, netcat-openbsd 1.219):
 * - `ping -c1 -s 0 10.77.0.2` printed, exactly: "PING 10.77.0.2 (10.77.0.2) 0(28) bytes of data.\n8 bytes
 *   from 10.77.0.2: icmp_seq=1 ttl=64\n\n--- 10.77.0.2 ping statistics ---\n1 packets transmitted, 1
 *   received, 0% packet loss, time 0ms\n\n" (no rtt line, and finish's last newline leaves an empty line);
 * - `-c1` is read as getopt reads it, the same as `-c 1`;
 * - a DNS server over TCP closes its side after the client's FIN (CoreDNS / miekg/dns serveTCPConn);
 * - nc prints what came in and nothing more: agnhost serve-hostname --tcp writes the hostname with no
 *   newline (serve_hostname.go: conn.Write([]byte(hostname))), so `nc POD 80` ends without one, and
 *   `podnet exec` adds none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cli } from './support/cli.js';
import { EXAMPLES_DIR, loadExample } from './support/examples.js';
import { buildLab } from '../src/scenario/build.js';
import { execCommand } from '../src/scenario/run.js';
import type { CommandResult } from '../src/apps/shell.js';
import { SECOND } from '../src/sim/engine.js';

const SAME_SUBNET = join(EXAMPLES_DIR, 'same-subnet.yaml');

test("ping -c1 -s 0 through podnet exec: the real tool's bytes, the empty last line included", async () => {
  const r = await cli('exec', SAME_SUBNET, 'A', '--fresh', '--', 'ping', '-c1', '-s', '0', '10.0.0.4');
  assert.equal(r.code, 0);
  assert.equal(
    r.stdout,
    'PING 10.0.0.4 (10.0.0.4) 0(28) bytes of data.\n8 bytes from 10.0.0.4: icmp_seq=1 ttl=64\n\n' +
      '--- 10.0.0.4 ping statistics ---\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\n\n',
  );
});

test('ping reads -c1 and -c 1 alike, and clustered flags (-nc1)', async () => {
  const texts = await Promise.all(
    [['-c1'], ['-c', '1'], ['-nc1']].map((o) =>
      cli('exec', SAME_SUBNET, 'A', '--fresh', '--', 'ping', ...o, '10.0.0.4'),
    ),
  );
  for (const r of texts) {
    assert.equal(r.code, 0);
    assert.match(r.stdout, /\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\nrtt min\/avg\/max\/mdev = /);
  }
});

test('exec adds no newline after output that has none: nc from agnhost serve-hostname', async () => {
  const file = join(EXAMPLES_DIR, 'cluster-tenant-isolation.yaml');
  const r = await cli('exec', file, 'client-a', '--', 'nc', '10.42.0.2', '80');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, 'web-a');
});

test('dig +tcp to a lab DNS server: the server closes after dig does, leaving no CLOSE-WAIT', () => {
  const lab = buildLab(loadExample('dns.yaml'));
  let r: CommandResult | undefined;
  execCommand(lab, 'client', ['dig', '+tcp', '@10.0.0.53', 'web.example.test'], (x) => (r = x));
  lab.engine.run(lab.engine.now + 120 * SECOND);
  assert.equal(r?.status, 0);
  assert.match(r.stdout, /^web\.example\.test\.\s+\d+\s+IN\s+A\s+10\.0\.0\.80$/m);
  // both ends went through FIN: the server's socket is gone, the client's has finished TIME-WAIT
  assert.deepEqual(
    lab.tcp
      .get('ns')!
      .connections()
      .map((c) => c.state),
    [],
  );
  assert.deepEqual(
    lab.tcp
      .get('client')!
      .connections()
      .map((c) => c.state),
    [],
  );
});

test("nslookup in the demo's busybox client: BIND 9.18 nslookup's text, as the real one printed it", async () => {
  // the real nslookup's text for these two command lines (test/dns-tools-real.test.ts compares them live):
  // CoreDNS's own answers carry no RA, which nslookup notes for each answer it gets; `web` is found with
  // the first search domain, then asked for AAAA (no answer, nothing printed); `nosuch` walks all three
  // search domains (CoreDNS's own NXDOMAINs, no RA) and the name as it is (forwarded to the internet's
  // resolver, whose NXDOMAIN has RA), and exits 1
  const file = join(EXAMPLES_DIR, 'cluster-demo.yaml');
  const web = await cli('exec', file, 'client', '--', 'nslookup', 'web');
  assert.equal(web.code, 0);
  assert.equal(
    web.stdout,
    ';; Got recursion not available from 10.43.0.10\nServer:\t\t10.43.0.10\nAddress:\t10.43.0.10#53\n\n' +
      'Name:\tweb.default.svc.cluster.local\nAddress: 10.43.237.236\n' +
      ';; Got recursion not available from 10.43.0.10\n\n',
  );
  const nosuch = await cli('exec', file, 'client', '--', 'nslookup', 'nosuch');
  assert.equal(nosuch.code, 1);
  assert.equal(
    nosuch.stdout,
    ';; Got recursion not available from 10.43.0.10\n'.repeat(3) +
      "Server:\t\t10.43.0.10\nAddress:\t10.43.0.10#53\n\n** server can't find nosuch: NXDOMAIN\n\n",
  );
});

test('wget -qO- sends what GNU Wget 1.21.3 sends, and exits as it does', async () => {
  // the real wget's request (captured with nc in a namespace), as traefik/whoami echoes it back; an
  // unknown name is exit status 4, an error answer (nginx's 404) 8, both printing nothing with -q
  const file = join(EXAMPLES_DIR, 'cluster-demo.yaml');
  const ok = await cli('exec', file, 'client', '--', 'wget', '-qO-', 'http://whoami/');
  assert.equal(ok.code, 0);
  const request = ok.stdout.slice(ok.stdout.indexOf('GET ')).split(/\r?\n/);
  assert.deepEqual(request.slice(0, 6), [
    'GET / HTTP/1.1',
    'Host: whoami',
    'User-Agent: Wget/1.21.3',
    'Accept: */*',
    'Accept-Encoding: identity',
    'Connection: Keep-Alive',
  ]);
  const nosuch = await cli('exec', file, 'client', '--', 'wget', '-qO-', 'http://nosuch/');
  assert.deepEqual([nosuch.code, nosuch.stdout], [4, '']);
  const missing = await cli('exec', file, 'client', '--', 'wget', '-qO-', 'http://web/nope');
  assert.deepEqual([missing.code, missing.stdout], [8, '']);
});

test("getent's host databases in the demo's client pod, as glibc 2.36's getent printed them", async () => {
  // the real getent's text for the same keys with the pod's /etc/hosts and resolv.conf (compared live in
  // test/dns-tools-real.test.ts): a name through the search list, ::1 for localhost (AF_INET6 is asked
  // first), getaddrinfo's three socket types, and status 2 for a name nothing knows
  const file = join(EXAMPLES_DIR, 'cluster-demo.yaml');
  const run = (...args: string[]): ReturnType<typeof cli> => cli('exec', file, 'client', '--', 'getent', ...args);
  const hosts = await run('hosts', 'web', 'localhost');
  assert.deepEqual(
    [hosts.code, hosts.stdout],
    [0, '10.43.237.236   web.default.svc.cluster.local\n::1             localhost ip6-localhost ip6-loopback\n'],
  );
  const ahosts = await run('ahosts', 'web');
  assert.equal(
    ahosts.stdout,
    '10.43.237.236   STREAM web.default.svc.cluster.local\n10.43.237.236   DGRAM  \n10.43.237.236   RAW    \n',
  );
  assert.equal((await run('hosts', 'nosuch')).code, 2);
  // a key that is no name is found nowhere, as gethostbyname2 finds nothing for it
  assert.deepEqual([(await run('hosts', 'a..b')).code, (await run('ahosts', 'a..b')).code], [2, 2]);
});
