/**
 * `--pcap` end to end through the installed entry point (dist/src/cli/bin.js), with tshark as the oracle:
 * traffic on a link plugged in by a `link` step is captured; `--pcap FILE.pcapng` is one file with one
 * interface per link, named like the per-link pcaps, with the same frames at the same nanoseconds; the
 * same lab gives the same bytes twice; and a destination that cannot be written is a usage error (exit 2,
 * the usage text, no stack trace) found before the run, leaving an existing file untouched.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePcap } from '../src/observe/pcap.js';
import { parsePcapng, PcapngWriter } from '../src/observe/pcapng.js';
import { hex } from '../src/wire/testing.js';
import { requirePeer } from './support/peers.js';
import { EXAMPLES_DIR } from './support/examples.js';
import { tempDir } from './support/cli.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../src/cli/bin.js');
const TSHARK = { bin: 'tshark', install: 'apt-get install -y tshark' };
const MIGRATION = join(EXAMPLES_DIR, 'vxlan-migration.yaml');
const SAME_SUBNET = join(EXAMPLES_DIR, 'same-subnet.yaml');

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function podnet(args: string[], opts: { cwd?: string; uid?: number; gid?: number } = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, ...opts });
  if (r.error) throw r.error;
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** tshark -T fields, one array of values per frame. */
function tsharkFields(file: string, fields: string[], filter?: string): string[][] {
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'separator=|'];
  for (const f of fields) args.push('-e', f);
  if (filter !== undefined) args.push('-Y', filter);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `tshark ${args.join(' ')}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('|'));
}

/** Integer ns as tshark prints frame.time_epoch for a nanosecond interface. */
function epoch(ns: number): string {
  return `${Math.floor(ns / 1e9)}.${String(ns % 1e9).padStart(9, '0')}`;
}

test('tshark reads the pcapng vector: interface name, nanosecond time above 2^32 units, lengths', (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  const w = new PcapngWriter();
  w.addInterface('A-eth0__sw1-p1').write(0x1_0000_0005, hex('deadbeef01'));
  const file = join(tempDir(t, 'podnet-capture-'), 'vector.pcapng');
  writeFileSync(file, w.bytes());
  assert.deepEqual(
    tsharkFields(file, ['frame.interface_id', 'frame.interface_name', 'frame.time_epoch', 'frame.len']),
    [['0', 'A-eth0__sw1-p1', '4.294967301', '5']],
  );
});

test('the link plugged in by a `link` step is captured: the pings through hv2 after the migration', (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  const dir = join(tempDir(t, 'podnet-capture-'), 'pcaps');
  const r = podnet(['run', MIGRATION, '--pcap', dir]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.deepEqual(readdirSync(dir).sort(), [
    'client-eth0__hv3-vnet0.pcap',
    'hv1-eth0__tor-p1.pcap',
    'hv2-eth0__tor-p2.pcap',
    'hv3-eth0__tor-p3.pcap',
    'vm-eth0__hv1-vnet0.pcap',
    'vm-eth0__hv2-vnet0.pcap',
  ]);
  // the last step pings three times through hv2: requests from client, replies from vm
  const icmp = tsharkFields(join(dir, 'vm-eth0__hv2-vnet0.pcap'), ['ip.src', 'ip.dst', 'icmp.type'], 'icmp');
  assert.deepEqual(icmp, [
    ['10.20.0.9', '10.20.0.5', '8'],
    ['10.20.0.5', '10.20.0.9', '0'],
    ['10.20.0.9', '10.20.0.5', '8'],
    ['10.20.0.5', '10.20.0.9', '0'],
    ['10.20.0.9', '10.20.0.5', '8'],
    ['10.20.0.5', '10.20.0.9', '0'],
  ]);
});

test('--pcap FILE.pcapng: one interface per link, named like the pcaps, same frames at the same ns', (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  const tmp = tempDir(t, 'podnet-capture-');
  const dir = join(tmp, 'pcaps');
  const file = join(tmp, 'migration.pcapng');
  assert.equal(podnet(['run', MIGRATION, '--pcap', dir]).code, 0);
  const r = podnet(['run', MIGRATION, '--pcap', file]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /^pcapng: .*migration\.pcapng \(6 interfaces, one per link\)$/m);
  // what the per-link pcaps hold, as "interface name|epoch|length"
  const expected: string[] = [];
  for (const f of readdirSync(dir)) {
    const p = parsePcap(readFileSync(join(dir, f)));
    assert.ok(p.ok);
    for (const x of p.value.records) expected.push(`${f.replace(/\.pcap$/, '')}|${epoch(x.timeNs)}|${x.origLen}`);
  }
  const got = tsharkFields(file, ['frame.interface_name', 'frame.time_epoch', 'frame.len']).map((f) => f.join('|'));
  assert.deepEqual([...got].sort(), [...expected].sort());
  assert.ok(got.length > 60, `${got.length} frames`);
  // Wireshark lists the interfaces with their names and nanosecond resolution
  const info = spawnSync('capinfos', ['-I', file], { encoding: 'utf8' });
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout, /Number of interfaces in file: 6/);
  assert.deepEqual(
    [...info.stdout.matchAll(/^\s*Name = (.*)$/gm)].map((m) => m[1]).sort(),
    readdirSync(dir)
      .map((f) => f.replace(/\.pcap$/, ''))
      .sort(),
  );
  assert.equal([...info.stdout.matchAll(/Time precision = nanoseconds \(9\)/g)].length, 6);
  const ng = parsePcapng(readFileSync(file));
  assert.ok(ng.ok);
  assert.equal(ng.value.packets.length, got.length);
});

test('the same lab gives the same bytes twice, pcapng and pcaps', (t) => {
  const tmp = tempDir(t, 'podnet-capture-');
  for (const out of ['a', 'b']) {
    assert.equal(podnet(['run', MIGRATION, '--pcap', join(tmp, `${out}.pcapng`)]).code, 0);
    assert.equal(podnet(['run', MIGRATION, '--pcap', join(tmp, out)]).code, 0);
  }
  assert.ok(readFileSync(join(tmp, 'a.pcapng')).equals(readFileSync(join(tmp, 'b.pcapng'))));
  for (const f of readdirSync(join(tmp, 'a')))
    assert.ok(readFileSync(join(tmp, 'a', f)).equals(readFileSync(join(tmp, 'b', f))), f);
});

test('trace, exec and demo write a pcapng; exec and trace --after-steps include the re-plugged link', (t) => {
  if (!requirePeer(t, 'tshark', TSHARK)) return;
  const tmp = tempDir(t, 'podnet-capture-');
  const names = (file: string): string[] => [
    ...new Set(tsharkFields(file, ['frame.interface_name']).map((f) => f[0]!)),
  ];
  const tr = podnet([
    'trace',
    MIGRATION,
    '--from',
    'client',
    '--to',
    'vm',
    '--icmp',
    '--after-steps',
    '--pcap',
    join(tmp, 'trace.pcapng'),
  ]);
  assert.equal(tr.code, 0, tr.out + tr.err);
  assert.ok(names(join(tmp, 'trace.pcapng')).includes('vm-eth0__hv2-vnet0'));
  const ex = podnet(['exec', MIGRATION, 'client', '--pcap', join(tmp, 'exec.pcapng'), '--', 'ping', '-c', '1', 'vm']);
  assert.equal(ex.code, 0, ex.out + ex.err);
  assert.ok(names(join(tmp, 'exec.pcapng')).includes('vm-eth0__hv2-vnet0'));
  const demo = podnet(['demo', '--pcap', join(tmp, 'demo.pcapng')]);
  assert.equal(demo.code, 0, demo.out + demo.err);
  // eleven pods' veths (coredns, traefik, an svclb-traefik per node, four web, client, two whoami), two
  // nodes' uplinks, the internet router's uplink and the laptop's
  assert.match(demo.out, /^pcapng: .*demo\.pcapng \(15 interfaces, one per link\)/m);
  assert.equal(names(join(tmp, 'demo.pcapng')).length, 15);
});

test('demo writes into its own directory again and again (its own files are replaced)', (t) => {
  const tmp = tempDir(t, 'podnet-capture-');
  for (let i = 0; i < 2; i++) {
    const r = podnet(['demo'], { cwd: tmp });
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /^pcaps: 15 files in .*podnet-demo-pcap/m);
  }
  assert.equal(readdirSync(join(tmp, 'podnet-demo-pcap')).length, 15);
});

/** A usage error: exit 2, the reason, the usage text, no stack trace. */
function assertUsageError(r: Run, reason: RegExp, what: string): void {
  assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.out}${r.err}`);
  assert.match(r.err, reason, what);
  assert.match(r.err, /^Usage:/m, what);
  assert.doesNotMatch(r.err, /^\s+at /m, `${what}: a stack trace`);
  assert.doesNotMatch(r.out, /passed|PASS/, `${what}: the run happened`);
}

test('--pcap that cannot be written is a usage error before the run; an existing file is left alone', (t) => {
  const tmp = tempDir(t, 'podnet-capture-');
  const existing = join(tmp, 'old.pcapng');
  writeFileSync(existing, 'precious');
  const aFile = join(tmp, 'plain-file');
  writeFileSync(aFile, 'x');
  const cases: [string[], RegExp][] = [
    [['run', SAME_SUBNET, '--pcap', existing], /old\.pcapng: already exists; podnet does not overwrite/],
    [['trace', SAME_SUBNET, '--from', 'A', '--to', 'C', '--pcap', existing], /already exists/],
    [['exec', SAME_SUBNET, 'A', '--pcap', existing, '--', 'ip', 'addr'], /already exists/],
    [['demo', '--pcap', existing], /already exists/],
    [['run', SAME_SUBNET, '--pcap', aFile], /plain-file: exists and is not a directory/],
    [['demo', '--pcap', aFile], /exists and is not a directory/],
    [['run', SAME_SUBNET, '--pcap', join(aFile, 'sub')], /plain-file is not a directory/],
    [['run', SAME_SUBNET, '--pcap', join(aFile, 'x.pcapng')], /plain-file is not a directory/],
    [['run', SAME_SUBNET, '--pcap', join(tmp, 'missing', 'x.pcapng')], /directory .*missing does not exist/],
    [['run', SAME_SUBNET, '--pcap', '/proc'], /is under \/proc/],
    [['run', SAME_SUBNET, '--pcap', '/proc/self/fd/1'], /is under \/proc/],
    [['run', SAME_SUBNET, '--pcap', '/proc/x.pcapng'], /is under \/proc/],
    [['run', SAME_SUBNET, '--pcap', '/sys/kernel/podnet'], /is under \/sys/],
    [['trace', SAME_SUBNET, '--from', 'A', '--to', 'C', '--pcap', '/sys'], /is under \/sys/],
  ];
  for (const [argv, reason] of cases) assertUsageError(podnet(argv), reason, argv.join(' '));
  assert.equal(readFileSync(existing, 'utf8'), 'precious');
  assert.deepEqual(readdirSync(tmp).sort(), ['old.pcapng', 'plain-file']);
});

test('--pcap in a directory the user cannot write is a usage error', (t) => {
  const tmp = tempDir(t, 'podnet-capture-');
  const ro = join(tmp, 'read-only');
  mkdirSync(ro);
  chmodSync(ro, 0o555);
  chmodSync(tmp, 0o755);
  // root writes anywhere: run as nobody then
  const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  for (const target of [join(ro, 'x.pcapng'), join(ro, 'pcaps'), ro]) {
    assertUsageError(
      podnet(['run', SAME_SUBNET, '--pcap', target], as),
      /cannot write in .*read-only \(EACCES\)/,
      `--pcap ${target}`,
    );
  }
  assert.deepEqual(readdirSync(ro), []);
});
