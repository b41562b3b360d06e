#!/usr/bin/env node
// Records what the real curl prints, for src/apps/http/curl-golden.test.ts (README.md beside this file).
// Needs root (a network namespace), curl, script (util-linux), iptables, and a built tree (npx tsc).
// Run from the repository root: node src/apps/http/golden/make-golden.mjs
//
// Inside a fresh network namespace, 10.43.0.1 is put on lo, TCP port 8081 is made a black hole with
// iptables, and podnet's own HttpServer (dist/) serves the golden handler on 10.43.0.1:80 over real
// sockets, its clock frozen at engine time 0 (Date: Thu, 01 Jan 2026 00:00:00 GMT). Each case runs the
// real curl under `script`, so curl writes to a terminal as it does for a person; the screen (carriage
// returns applied) is saved as <name>.txt and the exit status in cases.json.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../../..');

if (process.env.PODNET_GOLDEN_NETNS !== '1') {
  const r = spawnSync('unshare', ['-n', process.execPath, fileURLToPath(import.meta.url)], { stdio: 'inherit', env: { ...process.env, PODNET_GOLDEN_NETNS: '1' } });
  process.exit(r.status ?? 1);
}

const { HttpServer } = await import(join(root, 'dist/src/apps/http/server.js'));
const { goldenHandler } = await import(join(root, 'dist/src/apps/http/testing.js'));
const { renderScreen } = await import(join(root, 'dist/src/apps/http/terminal.js'));

for (const cmd of [['ip', 'link', 'set', 'lo', 'up'], ['ip', 'addr', 'add', '10.43.0.1/32', 'dev', 'lo'], ['iptables', '-A', 'INPUT', '-p', 'tcp', '--dport', '8081', '-j', 'DROP']]) {
  const r = spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed`);
}

const clock = { now: 0, timer: (ns, fn) => { const t = setTimeout(fn, ns / 1e6); return { cancel: () => clearTimeout(t) }; } };
const server = new HttpServer(goldenHandler);
const srv = net.createServer((s) => {
  const t = {
    remoteAddress: s.remoteAddress, remotePort: s.remotePort, localAddress: s.localAddress, localPort: s.localPort,
    write: (b) => { if (!s.destroyed) s.write(b); },
    end: () => s.end(),
    destroy: () => s.destroy(),
    onData: (fn) => s.on('data', (d) => fn(new Uint8Array(d))),
    onEnd: (fn) => s.on('end', fn),
    onClose: (fn) => s.on('close', fn),
  };
  s.allowHalfOpen = true;
  server.serve(t, clock);
});
srv.allowHalfOpen = true;
await new Promise((ok) => srv.listen(80, '10.43.0.1', ok));

const { CASES } = await import(join(here, 'cases.mjs'));
const quote = (a) => `'${a.replace(/'/g, `'\\''`)}'`;
const recorded = [];
for (const c of CASES) {
  const line = ['curl', ...c.argv].map(quote).join(' ');
  const child = spawn('script', ['-qec', line, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const status = await new Promise((ok) => child.on('close', ok));
  writeFileSync(join(here, `${c.name}.txt`), renderScreen(out));
  recorded.push({ name: c.name, argv: c.argv, status });
  console.log(`${c.name}: exit ${status}`);
}
const version = spawnSync('curl', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
writeFileSync(join(here, 'cases.json'), JSON.stringify({ curl: version, cases: recorded }, null, 2) + '\n');
srv.close();
process.exit(0);
