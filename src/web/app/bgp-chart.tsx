/**
 * BGP sessions against node count: Calico's full mesh against two route reflectors at 10, 100 and 1,000
 * nodes, per node and in total, as bars on a log scale (a 1,000-node mesh has 499,500 sessions, the
 * reflectors 1,997). The figures are computed from the configuration; where a size was also run, the
 * established sessions counted are shown beside them.
 */
import type { BgpSessionsRow } from '../core/protocol.js';

const MODES = { mesh: 'full mesh', rr: '2 route reflectors' } as const;
const BAR = 150;

type Metric = 'perNode' | 'total';

function label(r: BgpSessionsRow, key: Metric): string {
  const v = r[key].toLocaleString('en');
  const refl =
    key === 'perNode' && r.perReflector !== undefined ? ` (a reflector: ${r.perReflector.toLocaleString('en')})` : '';
  const m = r.measured === undefined ? '' : ` · run: ${r.measured[key].toLocaleString('en')}`;
  return `${v}${refl}${m}`;
}

function Chart({ rows, metric, title }: { rows: readonly BgpSessionsRow[]; metric: Metric; title: string }) {
  const max = Math.max(2, ...rows.map((r) => r[metric]));
  const w = (v: number) => Math.max(2, Math.round((Math.log10(Math.max(v, 1)) / Math.log10(max)) * BAR));
  const sizes = [...new Set(rows.map((r) => r.nodes))];
  return (
    <figure class="chart" data-metric={metric}>
      <figcaption>{title}</figcaption>
      <svg width={BAR + 250} height={sizes.length * 44 + 4}>
        {sizes.map((n, i) => (
          <g key={n} transform={`translate(0 ${i * 44})`}>
            <text x="0" y="24" class="bar-name">
              {n.toLocaleString('en')} nodes
            </text>
            {rows
              .filter((r) => r.nodes === n)
              .map((r, j) => (
                <g key={r.mode} transform={`translate(0 ${j * 19})`} data-nodes={n} data-mode={r.mode}>
                  <rect x="74" y="4" width={w(r[metric])} height="15" class={`bar ${r.mode}`}>
                    <title>{MODES[r.mode]}</title>
                  </rect>
                  <text x={78 + w(r[metric])} y="15" class="bar-value">
                    {label(r, metric)}
                  </text>
                </g>
              ))}
          </g>
        ))}
      </svg>
    </figure>
  );
}

/** The two charts and their legend. */
export function BgpChart({ rows }: { rows: readonly BgpSessionsRow[] }) {
  return (
    <div class="bgp-chart">
      <div class="compare">
        <Chart rows={rows} metric="perNode" title="BGP sessions per node" />
        <Chart rows={rows} metric="total" title="BGP sessions in the cluster" />
      </div>
      <p class="muted">
        <span class="swatch mesh" /> {MODES.mesh} <span class="swatch rr" /> {MODES.rr} (log scale). Computed from the
        configuration: N(N−1)/2 sessions in a mesh; with two reflectors each other node peers with both and the
        reflectors with each other, 2(N−2)+1.{' '}
        {rows.some((r) => r.measured !== undefined)
          ? `"run": sessions established in a cluster of that size run to convergence (${[
              ...new Set(rows.filter((r) => r.measured !== undefined).map((r) => r.nodes)),
            ].join(', ')} nodes, as podnet bench bgp).`
          : ''}
      </p>
    </div>
  );
}
