/**
 * What the topology's search box finds, and in which order. A device matches when its id contains the
 * query (case aside) or one of its addresses starts with it ("10.42.1" finds 10.42.1.5/24). A big
 * cluster's pods are folded into one box per node, so they are not boxes of the drawing: the index holds
 * them too, each with the node that holds it and the folded box that stands for it, so the view can open
 * that node to show the pod. The index is made once per topology (and once more when the built cluster's
 * addresses arrive); a query is then one pass over flat arrays, a few milliseconds for 30,000 pods. Where
 * the view pans to and what it opens is topology-view.tsx's business.
 */
import type { TopoNode, Topology } from '../core/protocol.js';

/** A device the search can find. */
export interface Searchable {
  /** Its box's id (a folded pod's: the id its box has once its node is opened). */
  id: string;
  /** Its addresses as drawn ("10.42.0.3/24"); none yet for a pod of a cluster drawn from its plan. */
  addresses: readonly string[];
  /** A pod of a folded node: the node, opened to show it. */
  node?: string;
  /** A pod of a folded node: the folded box that stands for it while its node is folded. */
  group?: string;
}

/** Every device the search can find, in the drawing's order (a node's pods right after it). */
export interface SearchIndex {
  entries: readonly Searchable[];
  /** The entries' ids in lower case, matched against the query (same order). */
  keys: readonly string[];
  /** True while some pods' addresses are unknown (a cluster drawn from its plan, not built yet). */
  addressesPending: boolean;
}

function indexOf(entries: Searchable[]): SearchIndex {
  return {
    entries,
    keys: entries.map((e) => e.id.toLowerCase()),
    addressesPending: entries.some((e) => e.node !== undefined && e.addresses.length === 0),
  };
}

/**
 * The index of `t`: its boxes, except a folded group of pods, which is no device: its pods stand in its
 * place, with their node. `built` gives the built cluster's boxes by id (pods' and nodes' addresses).
 */
export function searchIndex(t: Topology, built?: ReadonlyMap<string, TopoNode>): SearchIndex {
  const entries: Searchable[] = [];
  const addresses = (n: TopoNode): readonly string[] => built?.get(n.id)?.addresses ?? n.addresses;
  for (const n of t.nodes) {
    if (n.kind === 'pods' && n.parent !== undefined && n.members !== undefined) {
      for (const m of n.members) entries.push({ id: m.id, addresses: addresses(m), node: n.parent, group: n.id });
      continue;
    }
    entries.push({ id: n.id, addresses: addresses(n) });
  }
  return indexOf(entries);
}

/** The devices `query` finds, in the index's order; none for an empty query. */
export function search(index: SearchIndex, query: string): Searchable[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [];
  const out: Searchable[] = [];
  const { entries, keys } = index;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (keys[i]!.includes(q) || e.addresses.some((a) => a.startsWith(q))) out.push(e);
  }
  return out;
}

/**
 * True when `query` can only be the start of an IPv4 address ("10.", "10.42.1.5", "10.42.1.0/2"): what a
 * pod's address must be known to answer. Digits alone ("10") may be part of a name, and are not.
 */
export function looksLikeAddress(query: string): boolean {
  return /^\d{1,3}\.(\d{1,3}\.?){0,3}(\/\d{0,2})?$/.test(query.trim());
}
