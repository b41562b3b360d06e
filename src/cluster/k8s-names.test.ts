/** Tests for generated Kubernetes names: alphabet, encodings, lengths, determinism. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Prng, streamPrng } from '../sim/prng.js';
import { generateName, K8S_ALPHANUMS, objectPrng, podTemplateHash, randString, safeEncodeString } from './k8s-names.js';

test('rand.String uses only the 27-letter alphabet, every letter of it, at the asked length', () => {
  const prng = new Prng(1);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const s = randString(prng, 5);
    assert.match(s, /^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    for (const ch of s) seen.add(ch);
  }
  assert.equal(seen.size, K8S_ALPHANUMS.length);
});

test("SafeEncodeString maps decimal digits onto 4-9 and b, c, d, f, which is what Kubernetes' hashes look like", () => {
  assert.equal(safeEncodeString('0123456789'), '456789bcdf');
  // The Kubernetes docs' ReplicaSet nginx-deployment-66b6c48dd5: the FNV hash 2262704881, safe-encoded.
  assert.equal(safeEncodeString('2262704881'), '66b6c48dd5');
});

test('pod-template-hash: ten characters for a ten-digit hash, of the hash alphabet', () => {
  const prng = new Prng(7);
  for (let i = 0; i < 50; i++) {
    const h = podTemplateHash(prng);
    assert.match(h, /^[4-9bcdf]{1,10}$/);
  }
});

test('generateName keeps at most 58 characters of the base, then 5 random ones', () => {
  const long = `${'a'.repeat(70)}-`;
  const name = generateName(new Prng(1), long);
  assert.equal(name.length, 63);
  assert.ok(name.startsWith('a'.repeat(58)));
  assert.match(generateName(new Prng(1), 'web-5d4f8-'), /^web-5d4f8-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
});

test('object PRNGs depend on the seed and the object, and on nothing else', () => {
  const a1 = objectPrng(1, 'Deployment/default/web').nextU32();
  const a2 = objectPrng(1, 'Deployment/default/web').nextU32();
  const b = objectPrng(2, 'Deployment/default/web').nextU32();
  const c = objectPrng(1, 'Deployment/default/api').nextU32();
  assert.equal(a1, a2);
  assert.notEqual(a1, b);
  assert.notEqual(a1, c);
  assert.equal(a1, streamPrng(1, 'k8s:Deployment/default/web').nextU32(), "the engine stream 'k8s:<key>'");
});
