/**
 * The BGP decision process (RFC 4271 §9.1): among the candidate routes for one prefix, the one to use and
 * advertise. It owns only the ordering; rib.ts keeps the candidates and speaker.ts acts on the winner.
 *
 * The steps, as RFC 4271 §9.1.2 with RFC 4456 §9 folded in, each one eliminating candidates:
 * 0. a route this speaker originates wins (BIRD: a static or kernel route's preference 200 beats BGP's 100)
 * 1. highest LOCAL_PREF (§9.1.1; a route from an eBGP peer gets the default, its LOCAL_PREF is ignored, §5.1.5)
 * 2. shortest AS_PATH, an AS_SET counting 1 and confederation segments 0 (§9.1.2.2 a, RFC 5065 §5.3)
 * 3. lowest ORIGIN (IGP < EGP < INCOMPLETE) (b)
 * 4. lowest MULTI_EXIT_DISC among routes from the same neighbour AS, a missing MED counting 0 (c)
 * 5. eBGP-learned over iBGP-learned (d)
 * 6. lowest IGP cost to the NEXT_HOP, when known (e)
 * 7. lowest BGP Identifier of the advertising speaker, or ORIGINATOR_ID when present (f; RFC 4456 §9)
 * 8. shortest CLUSTER_LIST (RFC 4456 §9, between f and g)
 * 9. lowest peer address (g)
 * Step 4 is why this is elimination and not a sort: MED is compared only within one neighbour AS, so the
 * pairwise order is not transitive, and the RFC's procedure makes the result independent of input order.
 */
import type { Ipv4 } from '../../wire/addr.js';
import type { PathAttributes } from '../../wire/bgp.js';

/** Who a candidate came from, as the decision process sees it. */
export interface RouteSource {
  /** Originated by this speaker. */
  readonly local: boolean;
  /** Learned over an eBGP session. */
  readonly ebgp: boolean;
  /** The peer's address (0 for a local route). */
  readonly peerAddr: Ipv4;
  /** The peer's BGP Identifier from its OPEN (0 for a local route). */
  readonly peerBgpId: number;
}

/** One route for a prefix: its attributes as received (after import policy) and where it came from. */
export interface Candidate {
  readonly attrs: PathAttributes;
  readonly source: RouteSource;
  /** IGP cost to the NEXT_HOP when known (step 6). */
  readonly igpCost?: number;
}

/** RFC 4271 §5.1.5 / BIRD `default bgp_local_pref`: the LOCAL_PREF of a route that has none. */
export const DEFAULT_LOCAL_PREF = 100;

/** Step 1: the degree of preference. */
export function localPrefOf(c: Candidate, defaultLocalPref = DEFAULT_LOCAL_PREF): number {
  return c.source.ebgp ? defaultLocalPref : (c.attrs.localPref ?? defaultLocalPref);
}

/** Step 2: AS_PATH length as RFC 4271 §9.1.2.2 a counts it. */
export function asPathLength(a: PathAttributes): number {
  let n = 0;
  for (const s of a.asPath ?? []) {
    if (s.type === 'sequence') n += s.asns.length;
    else if (s.type === 'set') n += 1;
  }
  return n;
}

/** Step 3: IGP 0, EGP 1, INCOMPLETE 2 (a missing ORIGIN, never accepted on the wire, ranks last). */
export function originRank(a: PathAttributes): number {
  return a.origin === 'igp' ? 0 : a.origin === 'egp' ? 1 : 2;
}

/** Step 4: the neighbouring AS, the first AS of the path (0: a route from inside our own AS). */
export function neighbourAs(a: PathAttributes): number {
  const first = a.asPath?.[0];
  return first !== undefined && first.type === 'sequence' ? (first.asns[0] ?? 0) : 0;
}

/** Step 7: the BGP Identifier the route is compared by. */
export function routerIdOf(c: Candidate): number {
  return c.attrs.originatorId ?? c.source.peerBgpId;
}

/**
 * Pairwise comparison along the steps: negative when `a` is preferred, positive when `b` is, 0 when they
 * tie on every step. MED (step 4) is compared only when both come from the same neighbour AS.
 */
export function compareCandidates(a: Candidate, b: Candidate, defaultLocalPref = DEFAULT_LOCAL_PREF): number {
  if (a.source.local !== b.source.local) return a.source.local ? -1 : 1;
  const lp = localPrefOf(b, defaultLocalPref) - localPrefOf(a, defaultLocalPref);
  if (lp !== 0) return lp;
  const len = asPathLength(a.attrs) - asPathLength(b.attrs);
  if (len !== 0) return len;
  const org = originRank(a.attrs) - originRank(b.attrs);
  if (org !== 0) return org;
  if (neighbourAs(a.attrs) === neighbourAs(b.attrs)) {
    const med = (a.attrs.med ?? 0) - (b.attrs.med ?? 0);
    if (med !== 0) return med;
  }
  if (a.source.ebgp !== b.source.ebgp) return a.source.ebgp ? -1 : 1;
  const igp = (a.igpCost ?? 0) - (b.igpCost ?? 0);
  if (igp !== 0) return igp;
  const id = (routerIdOf(a) >>> 0) - (routerIdOf(b) >>> 0);
  if (id !== 0) return id;
  const cl = (a.attrs.clusterList?.length ?? 0) - (b.attrs.clusterList?.length ?? 0);
  if (cl !== 0) return cl;
  return (a.source.peerAddr >>> 0) - (b.source.peerAddr >>> 0);
}

// scratch space for the elimination: the decision runs once per changed prefix, and allocates nothing
let scratch: Candidate[] = [];
const beatenScratch: boolean[] = [];

/** Keeps the candidates in scratch[0, n) with the lowest `key`; returns how many remain. */
function keepLowest(n: number, key: (c: Candidate) => number): number {
  let min = Infinity;
  for (let i = 0; i < n; i++) min = Math.min(min, key(scratch[i]!));
  let k = 0;
  for (let i = 0; i < n; i++) if (key(scratch[i]!) === min) scratch[k++] = scratch[i]!;
  return k;
}

/** Step 4: drops a candidate when one from the same neighbour AS has a lower MED. */
function keepLowestMedPerAs(n: number): number {
  // decide for all first, then compact: compacting while deciding would compare against moved entries
  for (let i = 0; i < n; i++) {
    const c = scratch[i]!;
    const as = neighbourAs(c.attrs);
    const med = c.attrs.med ?? 0;
    let beaten = false;
    for (let j = 0; j < n && !beaten; j++) {
      const o = scratch[j]!;
      beaten = neighbourAs(o.attrs) === as && (o.attrs.med ?? 0) < med;
    }
    beatenScratch[i] = beaten;
  }
  let k = 0;
  for (let i = 0; i < n; i++) if (!beatenScratch[i]) scratch[k++] = scratch[i]!;
  return k;
}

// the elimination's keys, lowest preferred (byLocalPref reads the default of the selection under way)
let lpDefault = DEFAULT_LOCAL_PREF;
const byLocal = (c: Candidate): number => (c.source.local ? 0 : 1);
const byLocalPref = (c: Candidate): number => -localPrefOf(c, lpDefault);
const byAsPathLength = (c: Candidate): number => asPathLength(c.attrs);
const byOrigin = (c: Candidate): number => originRank(c.attrs);
const byEbgp = (c: Candidate): number => (c.source.ebgp ? 0 : 1);
const byIgpCost = (c: Candidate): number => c.igpCost ?? 0;
const byRouterId = (c: Candidate): number => routerIdOf(c) >>> 0;
const byClusterListLength = (c: Candidate): number => c.attrs.clusterList?.length ?? 0;
const byPeerAddr = (c: Candidate): number => c.source.peerAddr >>> 0;

/**
 * The better of two candidates, `a` arriving first: the one the pairwise comparison prefers, `a` on a full
 * tie, which is what the elimination keeps of two (a route from each of two reflectors, the common case).
 */
export function bestOfTwo(a: Candidate, b: Candidate, defaultLocalPref = DEFAULT_LOCAL_PREF): Candidate {
  return compareCandidates(a, b, defaultLocalPref) <= 0 ? a : b;
}

/** The best of `candidates` by the RFC 4271 §9.1 elimination (undefined when there are none). */
export function selectBest(
  candidates: readonly Candidate[],
  defaultLocalPref = DEFAULT_LOCAL_PREF,
): Candidate | undefined {
  const total = candidates.length;
  if (total <= 1) return candidates[0];
  if (total === 2) return bestOfTwo(candidates[0]!, candidates[1]!, defaultLocalPref);
  if (scratch.length < total) scratch = new Array<Candidate>(total);
  for (let i = 0; i < total; i++) scratch[i] = candidates[i]!;
  let n = total;
  // the steps' keys are module constants (a closure made per call is an allocation per step)
  n = keepLowest(n, byLocal);
  lpDefault = defaultLocalPref;
  n = keepLowest(n, byLocalPref);
  n = keepLowest(n, byAsPathLength);
  n = keepLowest(n, byOrigin);
  n = keepLowestMedPerAs(n);
  n = keepLowest(n, byEbgp);
  n = keepLowest(n, byIgpCost);
  n = keepLowest(n, byRouterId);
  n = keepLowest(n, byClusterListLength);
  keepLowest(n, byPeerAddr);
  const best = scratch[0];
  scratch.fill(undefined as unknown as Candidate, 0, total);
  return best;
}
