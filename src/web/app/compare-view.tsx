/**
 * Flannel's backends side by side as small SVG bar charts: bytes on the wire per echo request (against
 * the pod's own frame), the pod MTU, and the routes, permanent neighbours and FDB entries flanneld
 * programmed on a node.
 */
import type { CompareRow } from '../core/protocol.js';

const METRICS: [keyof CompareRow, string][] = [
  ['wireBytes', 'bytes on the wire (echo request)'],
  ['mtu', 'pod MTU'],
  ['routes', 'flannel routes per node'],
  ['neighbours', 'permanent neighbours per node'],
  ['fdb', 'FDB entries per node'],
];

/** The charts for `rows`. */
export function CompareView({ rows }: { rows: readonly CompareRow[] }) {
  return (
    <div class="compare">
      {METRICS.map(([key, title]) => {
        const max = Math.max(1, ...rows.map((r) => Number(r[key])));
        return (
          <figure class="chart" key={key} data-metric={key}>
            <figcaption>{title}</figcaption>
            <svg width="270" height={rows.length * 22 + 4}>
              {rows.map((r, i) => {
                const v = Number(r[key]);
                const w = Math.round((v / max) * 120);
                return (
                  <g key={r.backend} transform={`translate(0 ${i * 22})`}>
                    <text x="0" y="15" class="bar-name">
                      {r.backend}
                    </text>
                    <rect x="62" y="4" width={w} height="14" class={`bar ${r.backend}`} />
                    <text x={66 + w} y="15" class="bar-value">
                      {v}
                      {key === 'wireBytes' && r.innerBytes > 0 ? ` (+${v - r.innerBytes})` : ''}
                    </text>
                  </g>
                );
              })}
            </svg>
          </figure>
        );
      })}
      <p class="muted">
        Pod to pod across nodes, one ping each. Bytes on the wire: the frame leaving the first node's eth0; (+N): what
        the backend adds to the pod's own frame.{' '}
        {rows.some((r) => !r.ok)
          ? `No reply with: ${rows
              .filter((r) => !r.ok)
              .map((r) => r.backend)
              .join(', ')}.`
          : 'Every backend answered.'}
      </p>
    </div>
  );
}
