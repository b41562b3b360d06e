/**
 * Pods serve what their images serve, seen as a user sees it: `podnet exec examples/cluster-images.yaml
 * client -- curl ...` against pod IPs. The pod IPs come from building the same cluster (same seed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCluster } from '../src/scenario/manifests.js';
import { buildCluster } from '../src/cluster/runtime.js';
import { formatIpv4 } from '../src/wire/addr.js';
import { NGINX_INDEX_HTML } from '../src/apps/images/nginx.js';
import { EXAMPLES_DIR } from './support/examples.js';
import { cli } from './support/cli.js';

const FILE = join(EXAMPLES_DIR, 'cluster-images.yaml');

async function podIps(): Promise<Map<string, string>> {
  const r = loadCluster([{ file: FILE, text: readFileSync(FILE, 'utf8') }]);
  assert.ok(r.ok);
  const c = await buildCluster(r.cluster.plan);
  return new Map([...c.pods.values()].map((p) => [p.name, formatIpv4(p.ip)]));
}

test('exec client -- curl http://<nginx pod IP>/ prints the "Welcome to nginx!" page', async () => {
  const ips = await podIps();
  const web = [...ips.entries()].find(([n]) => n.startsWith('web-'))!;
  const r = await cli('exec', FILE, 'client', '--', 'curl', '-s', `http://${web[1]}/`);
  assert.equal(r.code, 0, r.err);
  // the shell prints the page as a terminal would, without its last newline
  assert.equal(r.out, NGINX_INDEX_HTML.trimEnd());
  assert.match(r.out, /<title>Welcome to nginx!<\/title>/);
});

test("exec client -- curl whoami shows the client pod's own IP; http-echo says its -text", async () => {
  const ips = await podIps();
  const who = await cli('exec', FILE, 'client', '--', 'curl', '-s', `http://${ips.get('whoami')}/`);
  assert.equal(who.code, 0, who.err);
  assert.match(who.out, new RegExp(`^RemoteAddr: ${ips.get('client')!.replace(/\./g, '\\.')}:\\d+$`, 'm'));
  assert.match(who.out, /^Hostname: whoami$/m);
  const echo = await cli('exec', FILE, 'client', '--', 'curl', '-s', `http://${ips.get('echo')}:5678/`);
  assert.equal(echo.code, 0, echo.err);
  assert.equal(echo.out, 'hello');
});

test('an unknown image accepts and says nothing (curl times out), and podnet warns that its behaviour is unknown', async () => {
  const ips = await podIps();
  const r = await cli('exec', FILE, 'client', '--', 'curl', '-sv', '-m', '2', `http://${ips.get('mystery')}:9000/`);
  assert.equal(r.code, 28);
  assert.match(r.out, /\* Connected to 10\.42\.\d+\.\d+ \(10\.42\.\d+\.\d+\) port 9000/);
  assert.match(r.out, /Operation timed out after \d+ milliseconds with 0 bytes received/);
  assert.match(
    r.err,
    /^ {2}Pod default\/mystery: container app: the behaviour of image registry\.example\.com\/acme\/mystery:3\.1 is unknown to podnet: its port 9000\/TCP accepts connections and answers nothing .*cluster-images\.yaml:\d+\)$/m,
  );
  // busybox runs nothing: the client's own port 80 refuses
  const refused = await cli('exec', FILE, 'echo', '--', 'curl', '-s', `http://${ips.get('client')}/`);
  assert.equal(refused.code, 7);
});
