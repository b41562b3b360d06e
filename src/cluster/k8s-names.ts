/**
 * Names Kubernetes makes up, made the same way from podnet's seeded PRNG: ReplicaSet names
 * `<deployment>-<pod-template-hash>` and pod names `<replicaset>-<5 random chars>`, both over the
 * alphabet of k8s.io/apimachinery/pkg/util/rand (no vowels, no 0/1/3, so no words and no look-alikes).
 * The same seed always gives the same names.
 */
import { type Prng, streamPrng } from '../sim/prng.js';

/** rand.String's alphabet. */
export const K8S_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** generateName's random suffix length (names.SimpleNameGenerator). */
export const GENERATED_SUFFIX_LEN = 5;

/** The longest base generateName keeps: 63 - 5 (names.SimpleNameGenerator truncates longer ones). */
const MAX_GENERATED_BASE = 58;

/**
 * rand.String(n): 5-bit chunks of random words, a chunk used when it indexes the 27-letter alphabet and
 * skipped otherwise (so every letter is equally likely).
 */
export function randString(prng: Prng, n: number): string {
  let out = '';
  let word = 0;
  let left = 0;
  while (out.length < n) {
    if (left === 0) {
      word = prng.nextU32();
      left = 6; // six whole 5-bit chunks in 32 bits
    }
    const idx = word & 0x1f;
    if (idx < K8S_ALPHANUMS.length) out += K8S_ALPHANUMS[idx];
    word >>>= 5;
    left--;
  }
  return out;
}

/**
 * rand.SafeEncodeString: each character mapped to the alphabet by its code modulo 27. Kubernetes renders a
 * pod-template-hash as SafeEncodeString of the hash's decimal digits, which is why such hashes hold only
 * 4-9 and b, c, d, f (e.g. "66b6c48dd5").
 */
export function safeEncodeString(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += K8S_ALPHANUMS[s.charCodeAt(i) % K8S_ALPHANUMS.length];
  return out;
}

/**
 * A PRNG for one object, from the cluster seed and a key such as 'Deployment/default/web': the names of an
 * object do not change when other objects are added or reordered. It is the engine stream `k8s:<key>` of a
 * run with that seed (one derivation for all of podnet's randomness, see streamPrng).
 */
export function objectPrng(seed: number, key: string): Prng {
  return streamPrng(seed, `k8s:${key}`);
}

/**
 * A pod-template-hash: Kubernetes hashes the pod template to a uint32 (FNV-32a) and renders its decimal
 * digits with safeEncodeString; podnet draws the uint32 from `prng`. Ten characters for hashes of ten
 * digits (most of them), fewer otherwise, as in Kubernetes.
 */
export function podTemplateHash(prng: Prng): string {
  return safeEncodeString(String(prng.nextU32()));
}

/** names.SimpleNameGenerator: `base` (cut to 58 characters) followed by 5 random characters. */
export function generateName(prng: Prng, base: string): string {
  return base.slice(0, MAX_GENERATED_BASE) + randString(prng, GENERATED_SUFFIX_LEN);
}
