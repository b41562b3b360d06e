/**
 * Real load generators through `podnet port-forward`, beside the same generator against a real server on
 * this machine, as a ratio (the machine is shared: compare within one run, not across runs):
 * - HTTP: `wrk` against the emulated nginx pod (svc/web of examples/cluster-demo.yaml) and against a real
 *   nginx (Debian nginx-light) serving the very bytes the emulated one sends;
 * - DNS: `dnsperf -m tcp` against the emulated coredns pod (svc/kube-dns, NodeHosts names) and against
 *   unbound answering the same names from local-data.
 * Needs wrk, dnsperf, unbound and nginx (apt-get install wrk dnsperf unbound nginx-light); not part of CI.
 * Run after `npm run build`: `node dist/bench/port-forward.js [--seconds N] [--connections N]`; prints one
 * JSON line per figure.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(root, 'dist/src/cli/bin.js');
const DEMO = join(root, 'examples/cluster-demo.yaml');
const run = promisify(execFile);

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  const v = i < 0 ? dflt : Number(args[i + 1]);
  if (!Number.isInteger(v) || v <= 0) {
    console.error('usage: node dist/bench/port-forward.js [--seconds N] [--connections N]');
    process.exit(2);
  }
  return v;
};
const seconds = opt('--seconds', 10);
const connections = opt('--connections', 8);

const children: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'podnet-bench-pf-'));

/** Starts a program and resolves once a line of its stdout or stderr matches `ready` (group 1 is returned). */
function startProgram(cmd: string, argv: string[], ready: RegExp): Promise<string> {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd}: not ready after 30 s`)), 30_000);
    const look = (s: Buffer): void => {
      const m = ready.exec(s.toString());
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1] ?? '');
      }
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.once('exit', (code) => reject(new Error(`${cmd} exited with ${code}`)));
  });
}

/** `podnet port-forward ARGS` on a free local port; resolves with that port. */
async function portForward(...argv: string[]): Promise<number> {
  return Number(
    await startProgram(process.execPath, [BIN, 'port-forward', ...argv], /Forwarding from 127\.0\.0\.1:(\d+) ->/),
  );
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(a !== null && typeof a === 'object' ? a.port : 0));
    });
  });
}

async function wrk(port: number): Promise<number> {
  const r = await run('wrk', [`-t1`, `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}/`]);
  const m = /Requests\/sec:\s+([0-9.]+)/.exec(r.stdout);
  if (m === null) throw new Error(`wrk printed no Requests/sec:\n${r.stdout}`);
  return Number(m[1]);
}

/** Queries per second, and dnsperf's "Response codes" line (what the answers said). */
async function dnsperf(port: number, queries: string): Promise<{ qps: number; responses: string }> {
  const r = await run('dnsperf', [
    '-m',
    'tcp',
    '-s',
    '127.0.0.1',
    '-p',
    String(port),
    '-d',
    queries,
    '-l',
    String(seconds),
    '-c',
    String(connections),
    '-q',
    String(connections * 4),
  ]);
  const m = /Queries per second:\s+([0-9.]+)/.exec(r.stdout);
  const lost = /Queries lost:\s+(\d+)/.exec(r.stdout);
  if (m === null) throw new Error(`dnsperf printed no Queries per second:\n${r.stdout}`);
  if (lost !== null && Number(lost[1]) > 0) console.error(`dnsperf on ${port}: ${lost[1]} queries lost`);
  return { qps: Number(m[1]), responses: /Response codes:\s+(.*)/.exec(r.stdout)?.[1] ?? '' };
}

async function http(): Promise<void> {
  const emulated = await portForward(DEMO, 'svc/web', ':80');
  // the real nginx serves the emulated one's page, so both send the same body
  const page = (await run('curl', ['-sS', `http://127.0.0.1:${emulated}/`])).stdout;
  const html = join(dir, 'html');
  rmSync(html, { recursive: true, force: true });
  await run('mkdir', ['-p', html]);
  writeFileSync(join(html, 'index.html'), page);
  const real = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log stderr notice;
events { worker_connections 1024; }
http { access_log off; server { listen 127.0.0.1:${real}; root ${html}; } }
`,
  );
  await startProgram(
    'nginx',
    ['-c', conf, '-p', dir, '-e', 'stderr'],
    /start worker process|using the "\w+" event method/,
  );
  const emu = await wrk(emulated);
  const ref = await wrk(real);
  console.log(
    JSON.stringify({
      bench: 'http-port-forward',
      tool: 'wrk',
      connections,
      seconds,
      emulatedRequestsPerSecond: emu,
      realNginxRequestsPerSecond: ref,
      ratio: +(emu / ref).toFixed(4),
    }),
  );
}

async function dns(): Promise<void> {
  const emulated = await portForward(DEMO, '-n', 'kube-system', 'svc/kube-dns', ':53');
  const queries = join(dir, 'queries.txt');
  writeFileSync(queries, 'agent A\nserver A\n');
  const real = await freePort();
  const conf = join(dir, 'unbound.conf');
  writeFileSync(
    conf,
    `server:
  interface: 127.0.0.1
  port: ${real}
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  use-syslog: no
  verbosity: 1
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  local-zone: "agent." static
  local-zone: "server." static
  local-data: "agent. 60 IN A 192.168.56.12"
  local-data: "server. 60 IN A 192.168.56.11"
remote-control:
  control-enable: no
`,
  );
  await startProgram('unbound', ['-d', '-c', conf], /start of service|service start/);
  const emu = await dnsperf(emulated, queries);
  const ref = await dnsperf(real, queries);
  console.log(
    JSON.stringify({
      bench: 'dns-port-forward',
      tool: 'dnsperf -m tcp',
      clients: connections,
      seconds,
      emulatedQueriesPerSecond: emu.qps,
      emulatedResponses: emu.responses,
      realUnboundQueriesPerSecond: ref.qps,
      realResponses: ref.responses,
      ratio: +(emu.qps / ref.qps).toFixed(4),
    }),
  );
}

try {
  await http();
  await dns();
} finally {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
