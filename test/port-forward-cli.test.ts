/**
 * `podnet port-forward` as a user runs it, with real clients: the podnet process is started from the test,
 * the test waits for kubectl's "Forwarding from" line, then real curl fetches nginx's page from an emulated
 * nginx pod through svc/web, and real `dig +tcp` asks the emulated coredns pod through svc/kube-dns. Bad
 * arguments print the usage and exit 2.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { EXAMPLES_DIR } from './support/examples.js';
import { requirePeer } from './support/peers.js';
import { cli, tempDir } from './support/cli.js';

const BIN = join(dirname(EXAMPLES_DIR), 'dist/src/cli/bin.js');
const DEMO = join(EXAMPLES_DIR, 'cluster-demo.yaml');
const CURL = { bin: 'curl', install: 'apt-get install -y curl' };
const TSHARK = { bin: 'tshark', install: 'apt-get install -y tshark' };
const DIG = { bin: 'dig', install: 'apt-get install -y bind9-dnsutils' };
const run = promisify(execFile);

interface Forward {
  child: ChildProcess;
  port: number;
  out: string[];
  err: string[];
  /** Sends `signal` and resolves with the exit code once the process is gone. */
  stop(signal: NodeJS.Signals): Promise<number | null>;
}

/** Starts `podnet port-forward ARGS...` and waits for its "Forwarding from" line (at most 30 s). */
function forward(t: TestContext, ...args: string[]): Promise<Forward> {
  return start(t, ['port-forward', ...args], /^Forwarding from 127\.0\.0\.1:(\d+) -> \d+$/);
}

/** Starts `podnet ARGV...` and waits for a stdout line matching `ready` (its group 1, if any, is a port). */
async function start(t: TestContext, argv: string[], ready: RegExp): Promise<Forward> {
  const child = spawn(process.execPath, [BIN, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const err: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => err.push(s));
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(
      () => reject(new Error(`no line like ${String(ready)} in 30 s; stderr: ${err.join('')}`)),
      30_000,
    );
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      buf += s;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) {
        out.push(l);
        const m = ready.exec(l);
        if (m !== null) {
          clearTimeout(timer);
          resolve(Number(m[1] ?? 0));
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`podnet exited with ${code} before forwarding; stderr: ${err.join('')}`));
    });
  });
  return {
    child,
    port,
    out,
    err,
    stop: (signal) => {
      child.kill(signal);
      return exited;
    },
  };
}

test('real curl through podnet port-forward svc/web gets the emulated nginx page', async (t) => {
  if (!requirePeer(t, 'curl', CURL)) return;
  const f = await forward(t, DEMO, 'svc/web', ':80');
  assert.equal(f.out[0], `Forwarding from 127.0.0.1:${f.port} -> 80`);
  const r = await run('curl', ['-sS', '-i', '--max-time', '20', `http://127.0.0.1:${f.port}/`]);
  assert.match(r.stdout, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(r.stdout, /^Server: nginx\/1\.27\.\d+\r$/m);
  assert.match(r.stdout, /<title>Welcome to nginx!<\/title>/);
  assert.equal(await f.stop('SIGINT'), 0);
  assert.ok(f.out.includes(`Handling connection for ${f.port}`), f.out.join('\n'));
  const last = f.out.at(-1) ?? '';
  assert.match(last, /^podnet port-forward: SIGINT: stopped after .* 1 connections to default\/web-/);
});

test('real dig +tcp through podnet port-forward svc/kube-dns gets the coredns pod answer', async (t) => {
  if (!requirePeer(t, 'dig', DIG)) return;
  const f = await forward(t, DEMO, '-n', 'kube-system', 'svc/kube-dns', ':53');
  const r = await run('dig', ['+tcp', '+time=10', '+tries=1', '@127.0.0.1', '-p', String(f.port), 'agent', 'A']);
  assert.match(r.stdout, /status: NOERROR/);
  // the NodeHosts entry k3s writes for the agent node (192.168.56.12 in the demo)
  assert.match(r.stdout, /^agent\.\s+\d+\s+IN\s+A\s+192\.168\.56\.12$/m);
  assert.match(r.stdout, new RegExp(`^;; SERVER: 127\\.0\\.0\\.1#${f.port}\\(127\\.0\\.0\\.1\\) \\(TCP\\)$`, 'm'));
  assert.equal(await f.stop('SIGTERM'), 0);
  assert.match(f.out.join('\n'), /to kube-system\/coredns-/);
});

test("exec's dig prints what the real dig prints: one line per answer with +short, one blank line after the full answer", async (t) => {
  if (!requirePeer(t, 'dig', DIG)) return;
  const f = await forward(t, DEMO, '-n', 'kube-system', 'svc/kube-dns', ':53');
  const name = 'web.default.svc.cluster.local';
  const opts = ['+tcp', '+time=10', '+tries=1'];
  const real = await run('dig', [...opts, '+short', '@127.0.0.1', '-p', String(f.port), name]);
  const ours = await cli('exec', DEMO, 'default/client', '--', 'dig', '+tcp', '+short', name);
  assert.match(real.stdout, /^10\.43\.\d+\.\d+\n$/);
  assert.equal(ours.stdout, real.stdout);
  const realFull = await run('dig', [...opts, '@127.0.0.1', '-p', String(f.port), name]);
  const oursFull = await cli('exec', DEMO, 'default/client', '--', 'dig', '+tcp', name);
  const end = /;; MSG SIZE {2}rcvd: \d+\n\n$/;
  assert.match(realFull.stdout, end);
  assert.match(oursFull.stdout, end);
  assert.equal(await f.stop('SIGTERM'), 0);
});

test("the forwarded connection runs from the node's cni0 address to the pod, as the pod's veth capture shows", async (t) => {
  if (!requirePeer(t, 'curl', CURL) || !requirePeer(t, 'tshark', TSHARK)) return;
  const dir = tempDir(t);
  const f = await forward(t, DEMO, 'svc/web', ':80', '--pcap', dir);
  await run('curl', ['-sS', '-o', '/dev/null', '--max-time', '20', `http://127.0.0.1:${f.port}/`]);
  assert.equal(await f.stop('SIGTERM'), 0);
  const pod = /1 connections to default\/(web-[a-z0-9-]+) /.exec(f.out.at(-1) ?? '')?.[1];
  assert.ok(pod !== undefined, f.out.join('\n'));
  const veth = readdirSync(dir).find(
    (n) => n.startsWith(`${pod}-eth0__server-veth`) || n.startsWith(`${pod}-eth0__agent-veth`),
  );
  assert.ok(veth !== undefined, readdirSync(dir).join(', '));
  const r = await run('tshark', [
    '-r',
    join(dir, veth),
    '-Y',
    'tcp.flags.syn == 1',
    '-T',
    'fields',
    '-e',
    'ip.src',
    '-e',
    'ip.dst',
    '-e',
    'tcp.dstport',
  ]);
  const [syn] = r.stdout.trim().split('\n');
  // the node's cni0 (10.42.0.1 on server, 10.42.1.1 on agent) to the pod's IP in the same /24, port 80
  assert.match(syn ?? '', /^10\.42\.([01])\.1\t10\.42\.\1\.\d+\t80$/);
});

test('podnet serve runs the cluster on the wall clock, lists what it serves, and stops cleanly on SIGTERM', async (t) => {
  const s = await start(t, ['serve', DEMO], /^Press Ctrl-C to stop\.$/);
  assert.match(
    s.out.join('\n'),
    /^ {2}pod default\/web-[a-z0-9-]+ on (server|agent): 10\.42\.\d+\.\d+; 80\/TCP nginx default page$/m,
  );
  assert.match(s.out.join('\n'), /^ {2}service kube-system\/kube-dns: 10\.43\.0\.10 53\/UDP, 53\/TCP, 9153\/TCP$/m);
  assert.equal(await s.stop('SIGTERM'), 0);
  assert.match(s.out.at(-1) ?? '', /^podnet serve: SIGTERM: stopped after \d+\.\d s on the wall clock/);
});

test('port-forward: bad arguments print the usage and exit 2; a port the Service lacks is an error, exit 1', async () => {
  for (const args of [
    ['port-forward', DEMO],
    ['port-forward', DEMO, 'svc/web'],
    ['port-forward', DEMO, 'svc/web', '1:2:3'],
    ['port-forward', DEMO, 'configmap/x', '80'],
    ['port-forward', DEMO, 'svc/web', '80', '--address', 'example.com'],
    ['port-forward', DEMO, 'svc/web', '80', '--max-connections', '0'],
  ]) {
    const r = await cli(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, /^podnet: [^\n]+\n\nUsage:\n {2}podnet port-forward /, args.join(' '));
  }
  const r = await cli('port-forward', DEMO, 'svc/web', '8081:81');
  assert.equal(r.code, 1);
  assert.match(r.err, /^error: Service web does not have a service port 81$/m);
});
