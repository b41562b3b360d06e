/**
 * The device inspector: the selected device's tables at the selected instant (MAC table, ip route, ip
 * neigh, bridge fdb, iptables-save -c, conntrack -L, calicoctl node status), as `podnet exec` prints them.
 */
import type { DeviceTable } from '../core/protocol.js';

/** Props: what is selected and the tables the worker computed (undefined while it works). */
export interface DeviceInspectorProps {
  device: string | undefined;
  at: string;
  tables: DeviceTable[] | undefined;
  /** Something has run: the tables are taken at an instant of a run (none is asked for before). */
  ran: boolean;
}

/** The inspector. */
export function DeviceInspector(p: DeviceInspectorProps) {
  if (p.device === undefined)
    return <div class="empty">Click a device in the topology to see its tables at the current step.</div>;
  return (
    <div class="device-inspector">
      <div class="frame-title">
        {p.device} at {p.at}
      </div>
      {!p.ran ? (
        <div class="muted">Run something first: its tables are taken at an instant of the run.</div>
      ) : p.tables === undefined ? (
        <div class="muted">re-running the scenario to that instant…</div>
      ) : (
        p.tables.map((t) => (
          <details key={t.title} open={!/iptables|conntrack -L/.test(t.title) || t.text.split('\n').length < 12}>
            <summary>{t.title}</summary>
            <pre>{t.text}</pre>
          </details>
        ))
      )}
    </div>
  );
}
