/// <reference lib="dom" />
/**
 * The frame inspector, as Wireshark's details and bytes panes: the layers tree on the left, the hex dump
 * on the right. Selecting a field highlights its bytes; clicking a byte selects the deepest field that
 * covers it.
 */
import { useMemo, useState } from 'preact/hooks';
import {
  dissectFrame,
  fieldAt,
  hexDump,
  type DissectedField,
  type DissectedLayer,
} from '../../observe/dissect/index.js';

/** A selected byte range. */
interface Range {
  offset: number;
  length: number;
  name: string;
}

/** Props: the frame's bytes and a title line. */
export interface FrameInspectorProps {
  bytes: Uint8Array | undefined;
  title: string;
}

/** The inspector. */
export function FrameInspector({ bytes, title }: FrameInspectorProps) {
  const layers = useMemo(() => (bytes === undefined ? [] : dissectFrame(bytes)), [bytes]);
  const [sel, setSel] = useState<Range | undefined>(undefined);
  const [open, setOpen] = useState<Record<string, boolean>>({});
  if (bytes === undefined)
    return <div class="empty">Run something, then step to a frame to see it layer by layer.</div>;
  const pick = (r: Range): void => setSel(r);
  const selected = (o: number): boolean => sel !== undefined && o >= sel.offset && o < sel.offset + sel.length;
  return (
    <div class="frame-inspector">
      <div class="tree" role="tree" aria-label="layers">
        <div class="frame-title">{title}</div>
        {layers.map((l, i) => (
          <LayerNode
            key={`${l.id}${i}`}
            layer={l}
            idx={i}
            open={open[`${l.id}${i}`] ?? true}
            toggle={() => setOpen({ ...open, [`${l.id}${i}`]: !(open[`${l.id}${i}`] ?? true) })}
            sel={sel}
            pick={pick}
          />
        ))}
      </div>
      <div class="hex" aria-label="bytes">
        {hexDump(bytes).map((r) => (
          <div class="hex-row" key={r.offset}>
            <span class="hex-off">{r.offsetText}</span>
            <span class="hex-bytes">
              {r.hex.map((h, i) => (
                <span
                  key={i}
                  class={`byte${selected(r.offset + i) ? ' hl' : ''}`}
                  data-offset={r.offset + i}
                  onClick={() => {
                    const hit = fieldAt(layers, r.offset + i);
                    if (hit !== undefined)
                      pick({ offset: hit.field.offset, length: hit.field.length, name: hit.field.name });
                  }}
                >
                  {h}
                </span>
              ))}
            </span>
            <span class="hex-ascii">
              {[...r.ascii].map((c, i) => (
                <span key={i} class={selected(r.offset + i) ? 'hl' : ''}>
                  {c}
                </span>
              ))}
            </span>
          </div>
        ))}
      </div>
    </div>
  );
}

function LayerNode(p: {
  layer: DissectedLayer;
  idx: number;
  open: boolean;
  toggle: () => void;
  sel: Range | undefined;
  pick: (r: Range) => void;
}) {
  const l = p.layer;
  return (
    <div class="layer" data-layer={l.id}>
      <div class="layer-title" onClick={p.toggle}>
        <span class="twisty">{p.open ? '▾' : '▸'}</span> {l.title}
        {l.error !== undefined && <span class="err"> [{l.error}]</span>}
      </div>
      {p.open && <Fields fields={l.fields} sel={p.sel} pick={p.pick} />}
    </div>
  );
}

function Fields(p: { fields: readonly DissectedField[]; sel: Range | undefined; pick: (r: Range) => void }) {
  return (
    <div class="fields">
      {p.fields.map((f, i) => (
        <div key={`${f.name}${i}`}>
          <div
            class={`field${p.sel?.name === f.name && p.sel.offset === f.offset ? ' hl' : ''}`}
            data-field={f.name}
            data-offset={f.offset}
            data-length={f.length}
            onClick={() => p.pick({ offset: f.offset, length: f.length, name: f.name })}
          >
            {f.label}
          </div>
          {f.children !== undefined && <Fields fields={f.children} sel={p.sel} pick={p.pick} />}
        </div>
      ))}
    </div>
  );
}
