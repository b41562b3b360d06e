/**
 * The step runners: one function per step kind, in one table. The lab runner (run.ts) looks a step's
 * kind up here; adding a step kind is adding its validator (lab-steps.ts) and one entry below.
 */
import { formatIpv4, formatMac } from '../wire/addr.js';
import { Switch } from '../link/switch.js';
import type { Port } from '../link/device.js';
import { VxlanDev } from '../net/vxlan.js';
import type { CommandResult } from '../apps/shell.js';
import type { LabNetwork } from './build.js';
import type { StepExpect } from './lab-types.js';
import { execCommand, show } from './lab-shell.js';
import type { StepRunner, StepRunners } from './step-context.js';
import { runPing, runUdp } from './step-traffic.js';

const wait: StepRunner<'wait'> = (ctx, a) => {
  if (!ctx.advance(a.duration)) return;
  ctx.result.output = `waited ${a.duration / 1e9}s (now ${ctx.lab.engine.now / 1e9}s)`;
};

const showStep: StepRunner<'show'> = (ctx, a) => {
  const { lab, fail } = ctx;
  const e = ctx.step.expect;
  ctx.result.output = show(lab, a.what, a.node);
  if (a.what !== 'mac-table') return;
  const rows = lab.switches.get(a.node)!.macTable();
  if (e.macTableSize !== undefined && rows.length !== e.macTableSize)
    fail(`MAC table of ${a.node} has ${rows.length} entries, expected ${e.macTableSize}`);
  for (const want of e.macTable ?? []) {
    const row = rows.find((x) => x.mac === want.mac && (want.vlan === undefined || x.vlan === want.vlan));
    if (row === undefined)
      fail(`MAC table of ${a.node} has no entry for ${formatMac(want.mac)}${want.vlan ? ` in VLAN ${want.vlan}` : ''}`);
    else if (want.port !== undefined && row.port !== want.port)
      fail(`MAC table of ${a.node}: ${formatMac(want.mac)} is on ${row.port}, expected ${want.port}`);
  }
};

const unlink: StepRunner<'unlink'> = (ctx, a) => {
  const port = ctx.lab.network.device(a.node)!.port(a.port);
  const peer = port?.peer;
  if (port === undefined || peer === undefined) {
    ctx.fail(`${a.node}:${a.port} is not linked`);
    return;
  }
  ctx.lab.network.disconnect(port);
  ctx.result.output = `unplugged ${port.id} from ${peer.id}`;
};

const link: StepRunner<'link'> = (ctx, a) => {
  const { lab } = ctx;
  const pa = portFor(lab, a.a.node, a.a.port);
  const pb = portFor(lab, a.b.node, a.b.port);
  if (pa.link !== undefined || pb.link !== undefined) {
    ctx.fail(`${pa.link ? pa.id : pb.id} is already linked`);
    return;
  }
  lab.network.connect(pa, pb, lab.spec.linkDefaults);
  ctx.result.output = `plugged ${pa.id} into ${pb.id}`;
};

const fdb: StepRunner<'fdb'> = (ctx, a) => {
  const dev = ctx.lab.ipNodes.get(a.node)!.dev(a.dev);
  if (!(dev instanceof VxlanDev)) {
    ctx.fail(`${a.node} has no vxlan device ${a.dev}`);
    return;
  }
  dev.setFdb(a.mac, a.remote);
  ctx.result.output = `bridge fdb replace ${formatMac(a.mac)} dev ${a.dev} dst ${formatIpv4(a.remote)} (on ${a.node})`;
};

const exec: StepRunner<'exec'> = (ctx, a) => {
  const e = ctx.step.expect;
  const { fail } = ctx;
  let result: CommandResult | undefined;
  execCommand(ctx.lab, a.node, a.argv, (x) => {
    result = x;
  });
  if (!ctx.settle()) return;
  if (result === undefined) {
    fail(`${a.argv.join(' ')} did not finish (the network went quiet without an answer)`);
    return;
  }
  ctx.result.output = `${a.node}$ ${a.argv.join(' ')}\n${result.stdout}`;
  checkCommandOutput(e, result, fail);
};

/** Checks an exec's expectations (status, contains, matches) against what the command did. */
export function checkCommandOutput(
  e: Pick<StepExpect, 'status' | 'contains' | 'notContains' | 'matches'>,
  result: CommandResult,
  fail: (message: string) => void,
): void {
  if (e.status !== undefined && result.status !== e.status) fail(`exit status ${result.status}, expected ${e.status}`);
  for (const t of e.contains ?? [])
    if (!result.stdout.includes(t)) fail(`output does not contain ${JSON.stringify(t)}`);
  for (const t of e.notContains ?? []) if (result.stdout.includes(t)) fail(`output contains ${JSON.stringify(t)}`);
  for (const re of e.matches ?? []) if (!re.test(result.stdout)) fail(`output does not match /${re.source}/`);
}

function portFor(lab: LabNetwork, node: string, name: string): Port {
  const d = lab.network.device(node)!;
  return d.port(name) ?? (d instanceof Switch ? d.addSwitchPort(name) : d.addPort(name));
}

/** Every step kind's runner. */
export const STEP_RUNNERS: StepRunners = {
  wait,
  show: showStep,
  unlink,
  link,
  fdb,
  exec,
  ping: runPing,
  udp: runUdp,
};
