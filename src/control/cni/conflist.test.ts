/** Configuration lists: what parses, and the field path and CNI error code of what does not. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConf, parseConfList } from './conflist.js';

function problem(text: string): [number, string[]] {
  const r = parseConfList(text);
  assert.equal(r.ok, false, text);
  if (r.ok) return [0, []];
  return [r.problem.error.code, r.problem.fields.map((f) => `${f.path}: ${f.message}`)];
}

describe('parseConfList', () => {
  it('reads the stock flannel conflist', () => {
    const r = parseConfList(
      '{"name":"cbr0","cniVersion":"0.3.1","plugins":[{"type":"flannel","delegate":{"hairpinMode":true,"isDefaultGateway":true}},{"type":"portmap","capabilities":{"portMappings":true}}]}',
    );
    assert.ok(r.ok);
    assert.equal(r.value.cniVersion, '0.3.1');
    assert.deepEqual(
      r.value.plugins.map((p) => p.type),
      ['flannel', 'portmap'],
    );
    assert.equal(r.value.disableCheck, false);
  });

  it('picks the highest supported of cniVersions (1.1.0)', () => {
    const r = parseConfList(
      '{"name":"n","cniVersions":["0.4.0","1.1.0","2.0.0"],"plugins":[{"type":"bridge"}],"disableCheck":"true"}',
    );
    assert.ok(r.ok);
    assert.equal(r.value.cniVersion, '1.1.0');
    assert.equal(r.value.disableCheck, true);
  });

  it('names every wrong field with its path (error 7)', () => {
    assert.deepEqual(
      problem(
        '{"name":"bad name!","plugins":[{"type":""},{"capabilities":{"portMappings":"yes"},"type":"portmap"},3,{"type":"bridge","ipam":[],"runtimeConfig":{}}],"disableGC":1}',
      ),
      [
        7,
        [
          'name: invalid characters in "bad name!": must start with a letter or digit, then letters, digits, "_", "." or "-"',
          'cniVersion: is required',
          'disableGC: must be true or false',
          'plugins[0].type: must be a non-empty string',
          'plugins[1].capabilities: must map capability names to true or false',
          'plugins[2]: must be an object',
          'plugins[3].ipam: must be an object with a string "type"',
          'plugins[3].runtimeConfig: is set by the runtime, not in the configuration file',
        ],
      ],
    );
    assert.deepEqual(problem('{"name":"n","cniVersion":"1.1.0","plugins":[]}'), [7, ['plugins: must not be empty']]);
    assert.deepEqual(problem('{"name":"n","cniVersion":"1.1.0"}'), [
      7,
      ['plugins: must be an array of plugin configurations'],
    ]);
  });

  it('an unsupported version is error 1, bad JSON error 6', () => {
    assert.deepEqual(problem('{"name":"n","cniVersion":"0.2.0","plugins":[{"type":"bridge"}]}'), [
      1,
      ['cniVersion: "0.2.0" is not supported (supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0)'],
    ]);
    assert.equal(problem('{"name":')[0], 6);
  });

  it('wraps a single .conf into a list', () => {
    const r = parseConf('{"cniVersion":"1.0.0","name":"mynet","type":"bridge","bridge":"cni0"}');
    assert.ok(r.ok);
    assert.deepEqual(r.value.plugins, [{ type: 'bridge', bridge: 'cni0' }]);
    assert.equal(r.value.name, 'mynet');
  });
});
