/**
 * A device's tables at an instant, as its commands print them (the same texts as `podnet exec` and a
 * lab's `show` step): MAC table of a switch; ip route, ip neigh, bridge fdb, iptables-save -c and
 * conntrack -L of an IP node; BGP sessions of a Calico node (calicoctl node status).
 */
import { formatMac } from '../../wire/addr.js';
import { Switch } from '../../link/switch.js';
import { IpNode } from '../../net/ip-node.js';
import { renderTable } from '../../observe/table.js';
import { showIpNode } from '../../scenario/lab-shell.js';
import type { DeviceTable } from './protocol.js';
import type { World } from './world.js';

/** The tables of `device` in `w` as it is now. */
export function deviceTables(w: World, device: string): DeviceTable[] {
  const d = w.network.device(device);
  const at = `t=${(w.engine.now / 1e9).toFixed(6)}s`;
  if (d instanceof Switch) {
    const rows = d.macTable().map((x) => [String(x.vlan), formatMac(x.mac), x.port, `${x.age.toFixed(3)}s`]);
    return [{ title: `MAC table (${at})`, text: renderTable(['VLAN', 'MAC', 'port', 'age'], rows) }];
  }
  if (!(d instanceof IpNode))
    return [{ title: device, text: `${device}: a ${d?.kind ?? 'missing device'}, no tables` }];
  const out: DeviceTable[] = [
    { title: 'ip route', text: showIpNode(d, 'routes', device) },
    { title: 'ip neigh', text: showIpNode(d, 'arp', device) },
    { title: 'bridge fdb', text: showIpNode(d, 'fdb', device) },
    { title: 'iptables-save -c', text: showIpNode(d, 'iptables', device) },
    { title: 'conntrack -L', text: showIpNode(d, 'conntrack', device) },
  ];
  const rt = w.cluster;
  if (rt?.calico !== undefined && rt.nodes.has(device)) {
    const r = w.command(device, ['calicoctl', 'node', 'status']);
    if (r !== undefined) out.push({ title: 'calicoctl node status', text: r.stdout });
  }
  return out.map((t) => ({ ...t, title: `${t.title} (${at})` }));
}
