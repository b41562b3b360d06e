/**
 * `podnet serve --bgp-peer`: a malformed flag is a usage error (exit 2, with the usage text), a repeated
 * `--bgp-peer` is accepted, and a cluster whose nodes speak no BGP (flannel) is refused before it runs.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { cli } from './support/cli.js';
import { EXAMPLES_DIR } from './support/examples.js';

const DEMO = join(EXAMPLES_DIR, 'cluster-demo.yaml');

test('serve --bgp-peer: a bad value prints the usage and exits 2', async () => {
  for (const v of ['127.0.0.1:1791', 'router:179,as=65001', '127.0.0.1:70000,as=65001', '127.0.0.1,as=x']) {
    const r = await cli('serve', DEMO, '--bgp-peer', v);
    assert.equal(r.code, 2, v);
    assert.match(r.err, /^podnet: --bgp-peer takes ADDR\[:PORT\],as=N [^\n]+\n\nUsage:\n {2}podnet serve /, v);
    assert.match(r.err, /--bgp-peer ADDR\[:PORT\],as=N\]\.\.\./, 'the usage names the flag');
  }
  const r = await cli('serve', DEMO, '--bgp-peer');
  assert.equal(r.code, 2);
  assert.match(r.err, /^podnet: --bgp-peer needs a value/);
});

test('serve --bgp-peer on a flannel cluster: refused with the reason, exit 2, nothing served', async () => {
  const r = await cli('serve', DEMO, '--bgp-peer=127.0.0.1:1791,as=64512', '--bgp-peer', '127.0.0.2,as=65001');
  assert.equal(r.code, 2);
  assert.match(r.err, /podnet serve: --bgp-peer: cluster "[^"]+" runs no BGP speaker \(its CNI is flannel\)/);
  assert.doesNotMatch(r.out, /Press Ctrl-C/);
});
