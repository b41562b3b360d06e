/// <reference lib="dom" />
/**
 * The topology as SVG: boxes placed by ELK, cables (underlay) and tunnels (overlay) as lines, VLANs and
 * VNIs coloured, pan (drag), zoom (wheel) and search. The drawing is rendered once per topology; stepping
 * the simulation moves one marker element and one highlight line, and rewrites a fixed set of decision
 * labels in place (no element is added or removed), so a 1,000-node cluster does not re-render on each
 * frame. A folded node (a big cluster's) opens on a click or Enter: its card is added in a layer over the
 * drawing (unfolded-node.tsx), and the drawing itself is not rendered again. The search (search.ts) finds
 * devices and the pods inside folded nodes: it pans to the match it shows, opening the node that holds a
 * pod, outlines the first matches, and Enter moves to the next; typing adds or removes only outlines.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Frozen } from './frozen.js';
import type { TopoNode, Topology } from '../core/protocol.js';
import type { Layout, Placed } from './box-size.js';
import { segmentColor } from './colors.js';
import { BoxFace, foldedGroups, unfold, UnfoldedNode, type Unfolded } from './unfolded-node.js';
import { looksLikeAddress, search, searchIndex, type Searchable } from './search.js';

/** Where the current frame is: the box it leaves and the box it goes to. */
export interface FramePos {
  from: string;
  to: string;
  color: string;
}

/** Props of the topology view. */
export interface TopologyProps {
  topology: Topology;
  layout: Layout;
  /** Decision labels by box id, for the current step. */
  labels: ReadonlyMap<string, string>;
  current: FramePos | undefined;
  selected: string | undefined;
  onSelect: (id: string) => void;
  /** Folded nodes shown open, with their pods. */
  unfolded: ReadonlySet<string>;
  /** Opens or folds a folded node: as `open` says (the search), or whichever it is not (a click). */
  onToggle: (node: string, open?: boolean) => void;
  /** The built cluster's node and pod boxes by id, once known (a cluster drawn from its plan). */
  built?: ReadonlyMap<string, TopoNode> | undefined;
  /** Asks for the built cluster's boxes (a search for an address, before the pods have theirs). */
  onNeedAddresses?: () => void;
  /** The worker could not build the cluster for its pods' addresses (its error is in the status line). */
  addressesFailed?: boolean;
}

/** Matches outlined at once (the count says how many there are). */
const OUTLINED = 20;

/** Decision labels shown at once (a step's decisions are a handful of devices). */
const SLOTS = Array.from({ length: 16 }, (_, i) => i);

/** Below this zoom an opened node's names cannot be read: opening one zooms in to it. */
const READABLE_ZOOM = 0.8;

/** Where cables meet a box: its middle, or the title of a box that holds others. */
const center = (b: Placed): [number, number] => [b.x + b.w / 2, b.compound === true ? b.y + 12 : b.y + b.h / 2];

const contains = (o: Placed, i: Placed): boolean =>
  o.compound === true && i.x >= o.x && i.y >= o.y && i.x + i.w <= o.x + o.w && i.y + i.h <= o.y + o.h;

/** The topology panel. */
export function TopologyView(p: TopologyProps) {
  const svg = useRef<SVGSVGElement>(null);
  const world = useRef<SVGGElement>(null);
  const overlay = useRef<SVGGElement>(null);
  const stage = useRef<HTMLDivElement>(null);
  const over = useRef<SVGSVGElement>(null);
  const marker = useRef<SVGCircleElement>(null);
  const trail = useRef<SVGLineElement>(null);
  const labelSlots = useRef<SVGGElement>(null);
  const view = useRef({ x: 20, y: 20, k: 1 });
  const [layers, setLayers] = useState({ underlay: true, overlay: true });
  const [query, setQuery] = useState('');
  // the match shown, once Enter has moved on from the first (for this query)
  const [pick, setPick] = useState<{ q: string; id: string; n: number } | undefined>(undefined);

  // folded nodes and, for those shown open, their cards; a box is looked up on a card first
  const groups = useMemo(() => foldedGroups(p.topology), [p.topology]);
  const cards = useMemo(() => {
    const m = new Map<string, Unfolded>();
    for (const id of p.unfolded) {
      const node = p.topology.nodes.find((n) => n.id === id);
      const group = groups.get(id);
      const u = node === undefined || group === undefined ? undefined : unfold(node, group, p.layout, p.built);
      if (u !== undefined) m.set(id, u);
    }
    return m;
  }, [p.unfolded, p.built, p.layout, groups]);
  const boxAt = (id: string): Placed | undefined => {
    for (const u of cards.values()) {
      const b = u.node.id === id ? u.box : u.podBoxes.get(id);
      if (b !== undefined) return b;
    }
    return p.layout.boxes.get(id);
  };
  // the drawing is rendered once per layout: its handlers reach the current props through this
  const latest = useRef(p);
  latest.current = p;
  const focusNext = useRef<string | undefined>(undefined);
  // what the search shows, to pan to once its box is drawn (a pod's, once its node's card is)
  const panTo = useRef<string | undefined>(undefined);
  // a press that dragged the drawing is a pan, not a click on the box it started on
  const press = useRef({ x: 0, y: 0, panned: false });
  const toggle = (node: string, byKey: boolean): void => {
    if (!byKey && press.current.panned) return;
    if (byKey) focusNext.current = node;
    latest.current.onToggle(node);
  };
  const select = (id: string): void => {
    if (!press.current.panned) latest.current.onSelect(id);
  };

  const apply = (): void => {
    const v = view.current;
    world.current?.setAttribute('transform', `translate(${v.x} ${v.y}) scale(${v.k})`);
    overlay.current?.setAttribute('transform', `translate(${v.x} ${v.y}) scale(${v.k})`);
  };

  // the drawings' sizes in pixels, from their box: an SVG sized in percent is laid out again, every element
  // of it, each time anything on the page is (a 1,000-node drawing: a fifth of a second per step)
  useEffect(() => {
    const el = stage.current;
    if (el === null) return;
    const fit = (): void => {
      const r = el.getBoundingClientRect();
      for (const s of [svg.current, over.current]) {
        s?.setAttribute('width', String(Math.floor(r.width)));
        s?.setAttribute('height', String(Math.floor(r.height)));
      }
    };
    fit();
    const ro = new ResizeObserver(fit);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // fit the drawing into the panel when a new topology arrives
  useEffect(() => {
    const el = svg.current;
    if (el === null) return;
    const r = el.getBoundingClientRect();
    const k = Math.min(
      1.2,
      (r.width - 40) / Math.max(p.layout.width, 1),
      (r.height - 40) / Math.max(p.layout.height, 1),
    );
    view.current = { k: Math.max(k, 0.05), x: 20, y: 20 };
    apply();
  }, [p.layout]);

  // the decision labels: a fixed set of text elements, moved and rewritten in place on each step
  useEffect(() => {
    const g = labelSlots.current;
    if (g === null) return;
    let i = 0;
    for (const [id, text] of p.labels) {
      const b = boxAt(id);
      const el = g.children[i];
      if (b === undefined || el === undefined) continue;
      i++;
      if (el.firstChild !== null) el.firstChild.nodeValue = text;
      el.setAttribute('x', String(b.x + b.w / 2));
      el.setAttribute('y', String(b.y - 6));
      el.setAttribute('data-label-for', id);
      el.setAttribute('visibility', 'visible');
    }
    for (; i < g.children.length; i++) {
      const el = g.children[i]!;
      el.setAttribute('visibility', 'hidden');
      el.removeAttribute('data-label-for');
    }
  }, [p.labels, p.layout, cards]);

  // move the marker along the current cable (one element, animated with requestAnimationFrame)
  useEffect(() => {
    const m = marker.current;
    const t = trail.current;
    if (m === null || t === null) return;
    const a = p.current === undefined ? undefined : boxAt(p.current.from);
    const b = p.current === undefined ? undefined : boxAt(p.current.to);
    if (a === undefined || b === undefined) {
      m.setAttribute('visibility', 'hidden');
      t.setAttribute('visibility', 'hidden');
      return;
    }
    const [x1, y1] = center(a);
    const [x2, y2] = center(b);
    for (const [k, v] of [
      ['x1', x1],
      ['y1', y1],
      ['x2', x2],
      ['y2', y2],
    ] as const)
      t.setAttribute(k, String(v));
    t.setAttribute('visibility', 'visible');
    t.setAttribute('stroke', p.current!.color);
    m.setAttribute('visibility', 'visible');
    m.setAttribute('fill', p.current!.color);
    const start = performance.now();
    let raf = 0;
    const frame = (now: number): void => {
      const s = Math.min(1, (now - start) / 350);
      const e = 0.15 + 0.7 * s;
      m.setAttribute('cx', String(x1 + (x2 - x1) * e));
      m.setAttribute('cy', String(y1 + (y2 - y1) * e));
      if (s < 1) raf = requestAnimationFrame(frame);
    };
    raf = requestAnimationFrame(frame);
    return () => cancelAnimationFrame(raf);
  }, [p.current, p.layout, cards]);

  // a node just opened gets the room it needs on screen (before it is painted); its folded box in the
  // drawing says it is open; Enter moves the focus between the folded box and the card, so Enter undoes it
  const shownOpen = useRef<ReadonlySet<string>>(new Set());
  useLayoutEffect(() => {
    const drawn = world.current;
    if (drawn === null) return;
    const folded = (id: string) => drawn.querySelector(`.box[data-node="${CSS.escape(id)}"][aria-expanded]`);
    for (const id of shownOpen.current) if (!cards.has(id)) folded(id)?.setAttribute('aria-expanded', 'false');
    for (const id of cards.keys()) if (!shownOpen.current.has(id)) folded(id)?.setAttribute('aria-expanded', 'true');
    const opened = [...cards.keys()].find((id) => !shownOpen.current.has(id));
    shownOpen.current = new Set(cards.keys());
    const card = opened === undefined ? undefined : cards.get(opened);
    if (!panToFound() && card !== undefined) reveal(card.box);
    const f = focusNext.current;
    focusNext.current = undefined;
    if (f === undefined) return;
    const target = cards.has(f) ? drawn.querySelector(`[data-unfolded="${CSS.escape(f)}"] .unfolded-node`) : folded(f);
    (target as SVGElement | null)?.focus({ preventScroll: true });
  }, [cards]);

  /** Pans (and zooms in, up to readable) so that `b` is on screen, when it is not already readable there. */
  function reveal(b: Placed): void {
    const el = svg.current;
    if (el === null) return;
    const r = el.getBoundingClientRect();
    const v = view.current;
    const inside =
      b.x * v.k + v.x >= 0 &&
      b.y * v.k + v.y >= 0 &&
      (b.x + b.w) * v.k + v.x <= r.width &&
      (b.y + b.h) * v.k + v.y <= r.height;
    if (inside && v.k >= READABLE_ZOOM) return;
    const fit = Math.min((r.width - 40) / b.w, (r.height - 40) / b.h);
    const k = Math.max(0.3, Math.min(Math.max(v.k, READABLE_ZOOM), fit));
    view.current = { k, x: r.width / 2 - (b.x + b.w / 2) * k, y: r.height / 2 - (b.y + b.h / 2) * k };
    apply();
  }

  /**
   * Pans to put what the search shows in the middle, zoomed in to readable, once its box is drawn (a pod's
   * once its node's card is). True when it did.
   */
  function panToFound(): boolean {
    const b = panTo.current === undefined ? undefined : boxAt(panTo.current);
    const el = svg.current;
    if (b === undefined || el === null) return false;
    panTo.current = undefined;
    const r = el.getBoundingClientRect();
    const k = Math.max(view.current.k, READABLE_ZOOM);
    const [cx, cy] = center(b);
    view.current = { k, x: r.width / 2 - cx * k, y: r.height / 2 - cy * k };
    apply();
    return true;
  }

  const drawing = (): ComponentChildren => {
    const { boxes } = p.layout;
    return (
      <>
        {p.topology.edges.map((e) => {
          const a = boxes.get(e.a);
          const b = boxes.get(e.b);
          if (a === undefined || b === undefined || contains(a, b) || contains(b, a)) return null;
          const [x1, y1] = center(a);
          const [x2, y2] = center(b);
          const color = e.segment === undefined ? '#868e96' : segmentColor(e.segment);
          return (
            <g class={`edge ${e.layer}`} key={e.id} data-edge={e.id}>
              <line x1={x1} y1={y1} x2={x2} y2={y2} stroke={color} stroke-width={e.layer === 'overlay' ? 2 : 1.5} />
              {e.label !== undefined && (
                <text x={(x1 + x2) / 2} y={(y1 + y2) / 2 - 4} class="edge-label" fill={color}>
                  {e.label}
                </text>
              )}
            </g>
          );
        })}
        {p.topology.nodes.map((n) => {
          const b = boxes.get(n.id);
          if (b === undefined) return null;
          // a folded node, or its pods' box, opens the node (and selects it); Enter on the node does too
          const opens = groups.has(n.id) ? n.id : n.kind === 'pods' && n.parent !== undefined ? n.parent : undefined;
          const count = opens === undefined ? 0 : (groups.get(opens)?.members?.length ?? 0);
          const folded = opens === n.id;
          return (
            <g
              class="box"
              key={n.id}
              data-node={n.id}
              transform={`translate(${b.x} ${b.y})`}
              onClick={() => {
                if (opens !== undefined) toggle(opens, false);
                select(opens ?? n.id);
              }}
              role={folded ? 'button' : undefined}
              tabindex={folded ? 0 : undefined}
              aria-expanded={folded ? 'false' : undefined}
              aria-label={folded ? `${n.id}: ${count} pods folded, Enter shows them` : undefined}
              onKeyDown={
                folded
                  ? (e) => {
                      if (e.key !== 'Enter') return;
                      e.preventDefault();
                      toggle(n.id, true);
                    }
                  : undefined
              }
            >
              <BoxFace node={n} w={b.w} h={b.h} suffix={folded ? '▸' : undefined} />
            </g>
          );
        })}
      </>
    );
  };

  // the search: an index of every device and folded pod, made once per topology (and again with the built
  // cluster's addresses); the match shown is the first, or the one Enter moved to
  const index = useMemo(() => searchIndex(p.topology, p.built), [p.topology, p.built]);
  const q = query.trim().toLowerCase();
  const found = useMemo(() => search(index, q), [index, q]);
  const at = useMemo(() => {
    const i = pick?.q === q ? found.findIndex((e) => e.id === pick.id) : -1;
    return Math.max(i, 0);
  }, [found, pick, q]);
  const shown: Searchable | undefined = found[at];
  // an address can be a pod's, and the pods have theirs once the worker has built the cluster: ask for it
  const wantsAddresses = looksLikeAddress(q) && index.addressesPending;
  useEffect(() => {
    if (wantsAddresses) latest.current.onNeedAddresses?.();
  }, [wantsAddresses]);
  // the node the search opened to show a pod: folded again when the search shows something else, kept
  // open when the search is cleared (what was looked for has been found). Opening and folding go through
  // the page's state, which may not have caught up with the last key yet: both are asked for as wanted
  // (not toggled), so they can be asked twice
  const searchOpened = useRef<string | undefined>(undefined);
  // a layout effect: the view pans in the same frame as the match's outline is drawn, never a frame after
  useLayoutEffect(() => {
    if (q === '') searchOpened.current = undefined;
    if (shown === undefined) return;
    const before = searchOpened.current;
    if (before !== undefined && before !== shown.node) {
      searchOpened.current = undefined;
      latest.current.onToggle(before, false);
    }
    if (shown.node !== undefined) {
      if (!cards.has(shown.node)) searchOpened.current = shown.node;
      latest.current.onToggle(shown.node, true);
    }
    // now, or once the card holding it is drawn (the cards' layout effect)
    panTo.current = shown.id;
    panToFound();
  }, [q, shown?.id, pick?.n]);
  // the matches outlined: the first ones and the one shown (on top); a pod of a folded node on its folded box
  const outlined = useMemo(() => {
    const boxOf = (e: Searchable): string => (e.node !== undefined && !cards.has(e.node) ? (e.group ?? e.id) : e.id);
    const current = shown === undefined ? undefined : boxOf(shown);
    const ids = new Set(found.slice(0, OUTLINED).map(boxOf));
    if (current !== undefined) ids.delete(current);
    return { others: [...ids], current };
  }, [found, shown, cards]);
  const searchNote =
    q === ''
      ? ''
      : found.length === 0
        ? wantsAddresses && p.addressesFailed !== true
          ? "looking among the pods' addresses: building the cluster…"
          : `nothing matches “${query.trim()}”`
        : `${found.length === 1 ? '1 found' : `${found.length} found, ${at + 1} shown (Enter: next)`}${
            wantsAddresses && p.addressesFailed !== true ? "; pods' addresses: building the cluster…" : ''
          }`;
  const outline = (id: string, current: boolean) => {
    const b = boxAt(id);
    return b === undefined ? null : (
      <rect
        key={id}
        class={current ? 'found current' : 'found'}
        data-found={id}
        x={b.x - 4}
        y={b.y - 4}
        width={b.w + 8}
        height={b.h + 8}
        rx={6}
      />
    );
  };

  const drag = useRef<{ x: number; y: number } | undefined>(undefined);
  const highlight = (id: string): string | undefined => {
    const b = boxAt(id);
    return b === undefined ? undefined : `${b.x - 3},${b.y - 3},${b.w + 6},${b.h + 6}`;
  };
  const sel = p.selected === undefined ? undefined : highlight(p.selected)?.split(',').map(Number);
  return (
    <div class={`topology ${layers.underlay ? '' : 'hide-underlay'} ${layers.overlay ? '' : 'hide-overlay'}`}>
      <div class="topo-tools">
        <input
          type="search"
          placeholder="search device or IP"
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
          onKeyDown={(e) => {
            // Enter shows the next match (Shift+Enter the one before), or the only one again
            if (e.key !== 'Enter' || found.length === 0) return;
            e.preventDefault();
            const next = found[(at + (e.shiftKey ? found.length - 1 : 1)) % found.length]!;
            setPick({ q, id: next.id, n: (pick?.n ?? 0) + 1 });
          }}
          aria-label="search"
        />
        <label>
          <input
            type="checkbox"
            checked={layers.underlay}
            onChange={(e) => setLayers({ ...layers, underlay: e.currentTarget.checked })}
          />{' '}
          underlay
        </label>
        <label>
          <input
            type="checkbox"
            checked={layers.overlay}
            onChange={(e) => setLayers({ ...layers, overlay: e.currentTarget.checked })}
          />{' '}
          overlay
        </label>
        <span class="muted">
          {p.topology.nodes.length} boxes
          {p.topology.collapsed ? `, pods folded (${p.topology.deviceCount} devices)` : ''}
        </span>
        <span class="muted search-note" role="status">
          {searchNote === '' ? '' : `· ${searchNote}`}
        </span>
      </div>
      <div class="topo-stage" ref={stage}>
        <svg
          ref={svg}
          class="topo-svg"
          onWheel={(e) => {
            e.preventDefault();
            const r = svg.current!.getBoundingClientRect();
            const v = view.current;
            const f = Math.exp(-e.deltaY * 0.0015);
            const k = Math.min(4, Math.max(0.03, v.k * f));
            const mx = e.clientX - r.left;
            const my = e.clientY - r.top;
            view.current = { k, x: mx - ((mx - v.x) * k) / v.k, y: my - ((my - v.y) * k) / v.k };
            apply();
          }}
          onPointerDown={(e) => {
            drag.current = { x: e.clientX, y: e.clientY };
            press.current = { x: e.clientX, y: e.clientY, panned: false };
          }}
          onPointerMove={(e) => {
            const d = drag.current;
            if (d === undefined || e.buttons === 0) return;
            view.current = {
              ...view.current,
              x: view.current.x + e.clientX - d.x,
              y: view.current.y + e.clientY - d.y,
            };
            drag.current = { x: e.clientX, y: e.clientY };
            if (Math.abs(e.clientX - press.current.x) + Math.abs(e.clientY - press.current.y) > 4)
              press.current.panned = true;
            apply();
          }}
          onPointerUp={() => (drag.current = undefined)}
        >
          <g ref={world}>
            <Frozen of={p.layout} draw={drawing} />
            {/* opened nodes, over the drawing (the last opened on top) */}
            <g class="unfolded-layer">
              {[...cards.values()].map((u) => (
                <UnfoldedNode key={u.node.id} u={u} onFold={toggle} onSelect={select} />
              ))}
            </g>
            {outlined.others.map((id) => outline(id, false))}
            {outlined.current !== undefined && outline(outlined.current, true)}
            {sel !== undefined && <rect class="selected" x={sel[0]} y={sel[1]} width={sel[2]} height={sel[3]} rx={5} />}
          </g>
        </svg>
        {/* what moves on each step lives in its own layer, so the drawing under it is not painted again */}
        <svg class="topo-overlay" aria-hidden="true" ref={over}>
          <g ref={overlay}>
            <line ref={trail} class="trail" visibility="hidden" />
            <circle ref={marker} class="marker" r={7} visibility="hidden" />
            <g class="labels" ref={labelSlots}>
              {SLOTS.map((i) => (
                <text key={i} class="decision" visibility="hidden">
                  {' '}
                </text>
              ))}
            </g>
          </g>
        </svg>
      </div>
    </div>
  );
}
