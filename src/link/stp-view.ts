/**
 * People's views of a spanning tree: `brctl showstp BR` (bridge-utils, its tab layout and number widths
 * copied from a real run against a Linux 6.x bridge) and a one-line-per-port role table.
 */
import { formatBridgeId } from '../wire/stp.js';
import { SECOND } from '../sim/engine.js';
import type { StpBridge } from './stp.js';

const secs = (ns: number): string => (ns / SECOND).toFixed(2).padStart(7);
const num4 = (n: number): string => String(n).padStart(4);
const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** Seconds until `at`, or 0 when the timer is not running (as brctl prints idle timers). */
function left(running: boolean, at: number, now: number): string {
  return secs(running ? Math.max(0, at - now) : 0);
}

/** `brctl showstp NAME` output for `stp`, whose device ages MACs after `ageingNs` normally. */
export function formatShowStp(name: string, stp: StpBridge, ageingNs: number): string {
  const now = stp.engine.now;
  const flags = `${stp.topologyChange ? 'TOPOLOGY_CHANGE ' : ''}${stp.topologyChangeDetected ? 'TOPOLOGY_CHANGE_DETECTED ' : ''}`;
  const lines = [
    name,
    ` bridge id\t\t${formatBridgeId(stp.bridgeId)}`,
    ` designated root\t${formatBridgeId(stp.designatedRoot)}`,
    ` root port\t\t${num4(stp.rootPort)}\t\t\tpath cost\t\t${num4(stp.rootPathCost)}`,
    ` max age\t\t${secs(stp.maxAgeNs)}\t\t\tbridge max age\t\t${secs(stp.bridgeMaxAgeNs)}`,
    ` hello time\t\t${secs(stp.helloNs)}\t\t\tbridge hello time\t${secs(stp.bridgeHelloNs)}`,
    ` forward delay\t\t${secs(stp.forwardDelayNs)}\t\t\tbridge forward delay\t${secs(stp.bridgeForwardDelayNs)}`,
    ` ageing time\t\t${secs(stp.ageingNs(ageingNs))}`,
    ` hello timer\t\t${left(stp.isRootBridge(), stp.helloAt, now)}\t\t\ttcn timer\t\t${left(stp.topologyChangeDetected && !stp.isRootBridge(), stp.tcnAt, now)}`,
    ` topology change timer\t${left(stp.topologyChange && stp.isRootBridge(), stp.topologyChangeAt, now)}\t\t\tgc timer\t\t${secs(0)}`,
    ` flags\t\t\t${flags}`,
    '',
    '',
  ];
  for (const p of stp.ports) {
    const pflags = `${p.configPending ? 'CONFIG_PENDING ' : ''}${p.topologyChangeAck ? 'TOPOLOGY_CHANGE_ACK ' : ''}`;
    lines.push(
      `${p.io.name} (${p.portNo})`,
      ` port id\t\t${hex4(p.portId)}\t\t\tstate\t\t${p.state.padStart(15)}`,
      ` designated root\t${formatBridgeId(p.designatedRoot)}\tpath cost\t\t${num4(p.pathCost)}`,
      ` designated bridge\t${formatBridgeId(p.designatedBridge)}\tmessage age timer\t${left(p.messageAgeTimer?.pending === true, p.messageAgeAt, now)}`,
      ` designated port\t${hex4(p.designatedPort)}\t\t\tforward delay timer\t${left(p.forwardDelayTimer?.pending === true, p.forwardDelayAt, now)}`,
      ` designated cost\t${num4(p.designatedCost)}\t\t\thold timer\t\t${left(p.holdTimer?.pending === true, p.holdAt, now)}`,
      ` flags\t\t\t${pflags}`,
      '',
    );
  }
  return lines.join('\n');
}

/** One row per port: name, role, state, path cost, designated bridge; for the `show stp` step. */
export function stpPortRows(stp: StpBridge): string[][] {
  return stp.ports.map((p) => [
    p.io.name,
    stp.role(p),
    p.state,
    String(p.pathCost),
    formatBridgeId(p.designatedBridge),
    hex4(p.designatedPort),
  ]);
}
