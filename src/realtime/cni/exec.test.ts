/**
 * podnet's CNI plugins as real processes: the compiled bin run with CNI_* variables and the configuration
 * on stdin, state kept between runs in PODNET_CNI_STATE, host-local's files on disk.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of a CNI result these tests read. */
interface CniResultJson {
  ips: { address: string }[];
  interfaces: { mac: string }[];
}

const BIN = join(dirname(fileURLToPath(import.meta.url)), 'bin.js');

function run(
  type: string,
  env: Record<string, string>,
  stdin: string,
): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(process.execPath, [BIN, type], {
    input: stdin,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

describe('podnet-cni executable', () => {
  it('ADD, ADD, DEL across processes: results, host-local files and the saved host', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'podnet-cni-exec-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const conf = JSON.stringify({
      cniVersion: '1.1.0',
      name: 'exec-net',
      type: 'bridge',
      isDefaultGateway: true,
      ipam: { type: 'host-local', subnet: '10.66.0.0/24', dataDir: join(dir, 'data') },
    });
    const env = (cmd: string, id: string) => ({
      CNI_COMMAND: cmd,
      CNI_CONTAINERID: id,
      CNI_NETNS: `/var/run/netns/${id}`,
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/opt/cni/bin',
      PODNET_CNI_STATE: join(dir, 'state'),
    });
    const a = run('bridge', env('ADD', 'a'), conf);
    assert.equal(a.status, 0, a.stdout + a.stderr);
    assert.deepEqual((JSON.parse(a.stdout) as CniResultJson).ips, [
      { address: '10.66.0.2/24', gateway: '10.66.0.1', interface: 2 },
    ]);
    assert.ok(a.stdout.startsWith('{\n    "cniVersion": "1.1.0",\n    "interfaces": [\n'), a.stdout);
    const b = run('bridge', env('ADD', 'b'), conf);
    assert.equal((JSON.parse(b.stdout) as CniResultJson).ips[0]?.address, '10.66.0.3/24');
    // the same bridge for both: state survived between processes
    assert.equal(
      (JSON.parse(b.stdout) as CniResultJson).interfaces[0]?.mac,
      (JSON.parse(a.stdout) as CniResultJson).interfaces[0]?.mac ?? 'no interface in the first result',
    );
    const d = run('bridge', env('DEL', 'a'), conf);
    assert.deepEqual([d.status, d.stdout], [0, '']);
    assert.deepEqual(readdirSync(join(dir, 'data', 'exec-net')).sort(), ['10.66.0.3', 'last_reserved_ip.0', 'lock']);
    assert.equal(readFileSync(join(dir, 'data', 'exec-net', '10.66.0.3'), 'utf8'), 'b\r\neth0');
    const state = JSON.parse(readFileSync(join(dir, 'state', 'host.json'), 'utf8')) as { netns: { path: string }[] };
    assert.deepEqual(
      state.netns.map((n) => n.path),
      ['/var/run/netns/b'],
    );
    const v = run('host-local', { CNI_COMMAND: 'VERSION' }, '');
    assert.equal(v.stdout, '{"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}\n');
    const unknown = run('macvlan', { CNI_COMMAND: 'VERSION' }, '');
    assert.equal(unknown.status, 1);
  });
});
