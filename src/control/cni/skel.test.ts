/**
 * The executable boundary (libcni skel), Go-compatible text (sha512, %q, encoding/json), and the
 * conformance suite every plugin runs: VERSION, the common errors, DEL without ADD, STATUS.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goJson, goQuote } from './go-format.js';
import { formatChainName } from './ipmasq.js';
import { ALL_PLUGINS, defaultRegistry } from './plugins.js';
import { runSkel } from './skel.js';
import { SUBNET_ENV, testHost } from './testing.js';
import { attachCalicoEnv } from './calico-env.js';
import { FakeCalicoIpam } from './calico-testing.js';
import type { IpNode } from '../../net/ip-node.js';

describe('Go-compatible text', () => {
  it('chain names match the reference plugins', () => {
    // both seen in iptables-save after the reference bridge and portmap ran for ("testnet", "abc123")
    assert.equal(formatChainName('testnet', 'abc123'), 'CNI-ac401170a6a418c7c78d298f');
    assert.equal(formatChainName('testnet', 'abc123', 'DN-'), 'CNI-DN-ac401170a6a418c7c78d2');
  });

  it('%q and encoding/json', () => {
    assert.equal(goQuote('a"b\\c\n'), '"a\\"b\\\\c\\n"');
    assert.equal(goJson({ b: [1, {}], a: '<&>' }), '{"a":"\\u003c\\u0026\\u003e","b":[1,{}]}');
    assert.equal(goJson({ b: 1, a: [] }, '  '), '{\n  "a": [],\n  "b": 1\n}');
  });
});

describe('runSkel (the plugin executable)', () => {
  const registry = defaultRegistry();
  const bridge = registry.get('bridge')!;
  const noHost = () => {
    throw new Error('no host needed');
  };

  it('VERSION prints compact JSON with a newline and needs no stdin or host', () => {
    assert.deepEqual(runSkel(bridge, { CNI_COMMAND: 'VERSION' }, '', noHost, registry), {
      stdout: '{"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}\n',
      stderr: '',
      exitCode: 0,
    });
  });

  it('no CNI_COMMAND: the about text on stderr, exit 0; missing variables: error 4', () => {
    const about = runSkel(bridge, {}, '', noHost, registry);
    assert.equal(about.exitCode, 0);
    assert.match(about.stderr, /CNI protocol versions supported: 0\.3\.0, 0\.3\.1, 0\.4\.0, 1\.0\.0, 1\.1\.0/);
    const missing = runSkel(bridge, { CNI_COMMAND: 'ADD' }, '', noHost, registry);
    assert.deepEqual(missing, {
      stdout:
        '{\n    "cniVersion": "1.1.0",\n    "code": 4,\n    "msg": "required env variables [CNI_CONTAINERID,CNI_NETNS,CNI_IFNAME,CNI_PATH] missing"\n}',
      stderr: '',
      exitCode: 1,
    });
  });

  it('decode errors (6), unknown commands (4), bad interface names (4)', () => {
    const env = {
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'c',
      CNI_NETNS: '/n',
      CNI_IFNAME: 'eth0',
      CNI_PATH: '/opt/cni/bin',
    };
    const t = testHost();
    assert.match(
      runSkel(bridge, env, '', () => t.host, registry).stdout,
      /"code": 6,\n {4}"msg": "error unmarshall network config: unexpected end of JSON input"/,
    );
    assert.match(
      runSkel(bridge, { ...env, CNI_COMMAND: 'FOO' }, '{"cniVersion":"1.0.0","name":"n"}', () => t.host, registry)
        .stdout,
      /"cniVersion": "1.0.0",\n {4}"code": 4,\n {4}"msg": "unknown CNI_COMMAND: FOO"/,
    );
    assert.match(
      runSkel(
        bridge,
        { ...env, CNI_IFNAME: 'a-very-long-name0' },
        '{"cniVersion":"1.0.0","name":"n"}',
        () => t.host,
        registry,
      ).stdout,
      /"msg": "interface name is too long",\n {4}"details": "interface name should be less than 16 characters"/,
    );
  });
});

/** What "ready" means for calico and calico-ipam: calico/node runs on the node (it has a name and IPAM). */
function calicoReady(node: IpNode): void {
  attachCalicoEnv(node, { nodeName: node.name, ipam: new FakeCalicoIpam(new Map()) });
}

describe('conformance: every plugin', () => {
  for (const plugin of ALL_PLUGINS) {
    describe(plugin.type, () => {
      const registry = defaultRegistry();
      const conf = (extra: Record<string, unknown> = {}) =>
        JSON.stringify({
          cniVersion: '1.1.0',
          name: 'conf-net',
          type: plugin.type,
          ipam: { type: 'host-local', subnet: '10.77.0.0/24' },
          ...extra,
        });
      const env = (cmd: string) => ({
        CNI_COMMAND: cmd,
        CNI_CONTAINERID: 'ctr',
        CNI_NETNS: '/var/run/netns/ctr',
        CNI_IFNAME: 'eth0',
        CNI_PATH: '/opt/cni/bin',
      });

      it('answers VERSION with 1.1.0 among its versions', () => {
        const out = runSkel(plugin, { CNI_COMMAND: 'VERSION' }, '', () => testHost().host, registry);
        const v = JSON.parse(out.stdout) as { cniVersion: string; supportedVersions: string[] };
        assert.equal(v.cniVersion, '1.1.0');
        assert.ok(v.supportedVersions.includes('1.1.0'));
      });

      it('rejects a configuration without a name (7) and an unknown version (1)', () => {
        const t = testHost();
        assert.match(
          runSkel(
            plugin,
            env('ADD'),
            JSON.stringify({ cniVersion: '1.1.0', type: plugin.type }),
            () => t.host,
            registry,
          ).stdout,
          /"code": 7,\n {4}"msg": "missing network name"/,
        );
        assert.match(
          runSkel(plugin, env('ADD'), conf({ cniVersion: '0.9.0' }), () => t.host, registry).stdout,
          /"code": 1,\n {4}"msg": "incompatible CNI versions"/,
        );
      });

      it('DEL without a prior ADD succeeds, twice', () => {
        const t = testHost();
        calicoReady(t.host.node);
        t.pod('ctr', 'ctr');
        for (let i = 0; i < 2; i++)
          assert.deepEqual(
            runSkel(plugin, env('DEL'), conf(), () => t.host, registry),
            { stdout: '', stderr: '', exitCode: 0 },
          );
      });

      it('STATUS succeeds when ready (GC succeeds too)', () => {
        const t = testHost();
        t.store.write('/run/flannel/subnet.env', SUBNET_ENV);
        calicoReady(t.host.node);
        assert.equal(
          runSkel(plugin, { CNI_COMMAND: 'STATUS', CNI_PATH: '/opt/cni/bin' }, conf(), () => t.host, registry).exitCode,
          0,
        );
        assert.equal(
          runSkel(
            plugin,
            { CNI_COMMAND: 'GC', CNI_PATH: '/opt/cni/bin' },
            conf({ 'cni.dev/valid-attachments': [] }),
            () => t.host,
            registry,
          ).exitCode,
          0,
        );
      });

      it('CHECK needs a 0.4.0+ configuration', () => {
        const t = testHost();
        assert.match(
          runSkel(plugin, env('CHECK'), conf({ cniVersion: '0.3.1' }), () => t.host, registry).stdout,
          /"code": 1,\n {4}"msg": "config version does not allow CHECK"/,
        );
      });
    });
  }
});
