/**
 * `podnet up LAB`, `podnet down LAB` and `podnet exec --real LAB NODE -- CMD`: the lab on the real kernel,
 * one network namespace per node (realtime/real-lab-plan.ts says what is made, real-lab-run.ts makes it).
 * `up --dry-run` prints the commands without running them (no root needed).
 */
import { readFileSync } from 'node:fs';
import { parseLab, type LabSpec } from '../scenario/lab.js';
import { formatSpecErrors } from '../scenario/source.js';
import { labPrefix, planUp } from '../realtime/real-lab-plan.js';
import { downTargets, execReal, realLabDown, realLabUp } from '../realtime/real-lab-run.js';

/** Usage lines for these commands, part of podnet's usage. */
export const UP_USAGE = `  podnet up LAB.yaml [--prefix P] [--dry-run]
                                             build the lab on the real kernel (root): a network namespace per
                                             node (pn-LAB-NODE), veth pairs, bridges, vxlan devices, addresses,
                                             routes, iptables, tc netem; --dry-run prints the commands
  podnet down LAB.yaml|LAB [--prefix P]      remove what up made (idempotent)
  podnet exec --real LAB.yaml|LAB NODE [--prefix P] -- COMMAND [ARGS...]
                                             run the real program in NODE's namespace; exits with its status`;

/** A command line these commands cannot run. */
export class UpUsageError extends Error {}

/** Reads and validates a lab file; a message naming every error when it does not validate. */
export function readLabFile(file: string): LabSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UpUsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const r = parseLab(file, text);
  if (!r.ok) throw new UpUsageError(formatSpecErrors(r.errors));
  return r.lab;
}

interface UpArgs {
  positional: string[];
  prefix?: string;
  dryRun: boolean;
  rest: string[];
}

function parseArgs(argv: string[]): UpArgs {
  const a: UpArgs = { positional: [], dryRun: false, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (x === '--') {
      a.rest = argv.slice(i + 1);
      break;
    }
    if (x === '--prefix') {
      const v = argv[++i];
      if (v === undefined || !/^[A-Za-z0-9_.-]+$/.test(v)) throw new UpUsageError('--prefix needs a name prefix');
      a.prefix = v;
    } else if (x === '--dry-run') a.dryRun = true;
    else if (x === '--real') continue;
    else if (x.startsWith('-')) throw new UpUsageError(`unknown flag ${x}`);
    else a.positional.push(x);
  }
  return a;
}

/** The lab name of `arg`: a lab file's metadata.name, or the name itself. */
function labName(arg: string): string {
  return /\.ya?ml$/i.test(arg) ? readLabFile(arg).name : arg;
}

function needRoot(err: (s: string) => void): boolean {
  if (process.getuid?.() === 0) return true;
  err('podnet: this needs root (network namespaces); try sudo');
  return false;
}

/** `podnet up|down|exec --real` with its arguments (argv[0] is the command); returns the exit status. */
export function cmdUp(argv: string[], out: (s: string) => void, err: (s: string) => void): number {
  const cmd = argv[0];
  const a = parseArgs(argv.slice(1));
  if (cmd === 'up') {
    if (a.positional.length !== 1) throw new UpUsageError('up takes one lab file');
    const spec = readLabFile(a.positional[0]!);
    const plan = planUp(spec, a.prefix ?? labPrefix(spec.name));
    if (a.dryRun) {
      for (const u of plan.unsupported) out(`# cannot build: ${u}`);
      for (const f of plan.files) out(`# write ${f.path}`);
      for (const c of plan.commands)
        out(c.stdin === undefined ? c.argv.join(' ') : `${c.argv.join(' ')} <<EOF\n${c.stdin}EOF`);
      return plan.unsupported.length > 0 ? 1 : 0;
    }
    if (!needRoot(err)) return 1;
    const r = realLabUp(plan);
    if (!r.ok) {
      err(`podnet: ${r.error}`);
      return 1;
    }
    for (const w of [...plan.warnings, ...r.warnings]) err(`podnet: warning: ${w}`);
    out(`lab ${spec.name} is up: ${plan.namespaces.map((x) => x.ns).join(' ')}`);
    out(
      `podnet exec --real ${a.positional[0]} NODE -- CMD runs a program there; podnet down ${a.positional[0]} removes it`,
    );
    return 0;
  }
  if (cmd === 'down') {
    if (a.positional.length !== 1) throw new UpUsageError('down takes one lab file or lab name');
    const name = labName(a.positional[0]!);
    if (!needRoot(err)) return 1;
    const removed = realLabDown(downTargets(name, a.prefix ?? labPrefix(name)));
    out(removed.length > 0 ? `removed ${removed.join(' ')}` : `lab ${name} was not up`);
    return 0;
  }
  // exec --real LAB NODE -- CMD
  if (a.positional.length !== 2 || a.rest.length === 0)
    throw new UpUsageError('exec --real takes a lab, a node and -- COMMAND');
  const name = labName(a.positional[0]!);
  return execReal((a.prefix ?? labPrefix(name)) + a.positional[1]!, a.rest);
}
