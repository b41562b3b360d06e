/**
 * What a person types or reads on a lab's nodes: the `show` views (MAC table, ip route, ip neigh, bridge fdb,
 * conntrack -L, iptables-save -c, spanning tree) and the shell that runs commands for `exec` steps and `podnet exec`.
 * Driving the engine until a command finishes is the caller's job.
 */
import { formatIpv4, formatMac } from '../wire/addr.js';
import { IpNode } from '../net/ip-node.js';
import { Switch } from '../link/switch.js';
import { bridgeFdb, ipNeigh, ipRoute } from '../net/views.js';
import { formatIptablesSave } from '../net/netfilter/iptables-restore.js';
import { formatConn } from '../net/netfilter/conntrack.js';
import { Shell, literalOr, type CommandResult, type ShellContext } from '../apps/shell.js';
import { registerHttpCommands } from '../apps/http/commands.js';
import { renderTable } from '../observe/table.js';
import type { Device } from '../link/device.js';
import type { StpBridge } from '../link/stp.js';
import { formatShowStp, stpPortRows } from '../link/stp-view.js';
import { BridgeDev } from '../net/bridge.js';
import { formatBridgeId } from '../wire/stp.js';
import type { LabNetwork } from './build.js';

/** Renders `show` views: MAC table, routes (ip route), ARP cache (ip neigh), FDBs (bridge fdb), conntrack -L, iptables-save -c. */
export function show(
  lab: LabNetwork,
  what: 'mac-table' | 'routes' | 'arp' | 'fdb' | 'conntrack' | 'iptables' | 'stp',
  node: string,
): string {
  const d = lab.network.device(node);
  if (d instanceof IpNode && what !== 'mac-table' && what !== 'stp') return showIpNode(d, what, node);
  if (what === 'mac-table' && d instanceof Switch) {
    return (
      `MAC table of ${node}:\n` +
      renderTable(
        ['VLAN', 'MAC', 'port', 'age'],
        d.macTable().map((x) => [String(x.vlan), formatMac(x.mac), x.port, `${x.age.toFixed(3)}s`]),
      )
    );
  }
  if (what === 'stp') return showStp(d, node);
  return `${node}: nothing to show for ${what}`;
}

/** The tables of an IP stack, as its commands print them: ip route, ip neigh, bridge fdb, iptables-save -c, conntrack -L. */
export function showIpNode(d: IpNode, what: 'routes' | 'arp' | 'fdb' | 'conntrack' | 'iptables', node: string): string {
  if (what === 'routes') return `ip route (${node}):\n${ipRoute(d)}`;
  if (what === 'arp') return `ip neigh (${node}):\n${ipNeigh(d)}`;
  if (what === 'fdb') return `bridge fdb (${node}):\n${bridgeFdb(d)}`;
  const nf = d.netfilter;
  if (nf === undefined) return `${node}: netfilter is not enabled (no iptables rules)`;
  if (what === 'iptables') return `iptables-save -c (${node}):\n${formatIptablesSave(nf.ruleset)}`;
  const now = d.engine.now;
  const conns = nf.conntrack.entries(now);
  return `conntrack -L (${node}):\n${conns.map((c) => formatConn(c, now)).join('\n')}\nconntrack v1.4.7 (conntrack-tools): ${conns.length} flow entries have been shown.`;
}

/** Port roles and states of a switch's or a node's bridges' spanning tree, then `brctl showstp`. */
function showStp(d: Device | undefined, node: string): string {
  const trees: [string, StpBridge, number][] = [];
  if (d instanceof Switch && d.stp !== undefined) trees.push([node, d.stp, d.agingNs]);
  if (d instanceof IpNode)
    for (const dev of d.devs)
      if (dev instanceof BridgeDev && dev.stp !== undefined) trees.push([dev.name, dev.stp, dev.ageingNs]);
  if (trees.length === 0) return `${node}: STP is not enabled (stp: true)`;
  return trees
    .map(([name, stp, ageing]) => {
      const head = `STP of ${node}${name === node ? '' : ` ${name}`}: ${stp.isRootBridge() ? 'root bridge' : `root ${formatBridgeId(stp.designatedRoot)} cost ${stp.rootPathCost}`}`;
      const table = renderTable(['port', 'role', 'state', 'cost', 'designated bridge', 'dport'], stpPortRows(stp));
      return `${head}\n${table}\n\nbrctl showstp ${name}:\n${formatShowStp(name, stp, ageing)}`;
    })
    .join('\n');
}

const shell = new Shell();
registerHttpCommands(shell);

/** Runs a command line in `ctx` with the lab shell's commands (ping, dig, curl, ...); drive the engine to finish it. */
export function shellRun(ctx: ShellContext, argv: string[], done: (r: CommandResult) => void): void {
  shell.run(ctx, argv, done);
}

/** Runs a command line on a node of the lab (`podnet exec`, `exec` steps); drive the engine to finish it. */
export function execCommand(lab: LabNetwork, node: string, argv: string[], done: (r: CommandResult) => void): void {
  const n = lab.ipNodes.get(node);
  if (n === undefined) {
    done({ status: 2, stdout: `no host or router named ${node}` });
    return;
  }
  const ctx: ShellContext = {
    node: n,
    udp: lab.udp.get(node)!,
    resolve: literalOr((name) => lab.ipNodes.get(name)?.primaryAddress),
  };
  const tcp = lab.tcp.get(node);
  if (tcp !== undefined) ctx.tcp = tcp;
  // node names resolve through generated /etc/hosts entries, which `cat /etc/hosts` shows
  ctx.hostsFile = labHostsFile(lab);
  const rc = lab.resolvConf.get(node);
  if (rc !== undefined) ctx.resolvConf = rc;
  shell.run(ctx, argv, done);
}

/** The /etc/hosts of a lab's machines: localhost, then each host and router on its primary address. */
export function labHostsFile(lab: LabNetwork): string {
  const lines = ['127.0.0.1\tlocalhost'];
  for (const [name, n] of lab.ipNodes) {
    const ip = n.primaryAddress;
    if (ip !== undefined) lines.push(`${formatIpv4(ip)}\t${name}`);
  }
  return `${lines.join('\n')}\n`;
}
