/**
 * `podnet verify LAB.yaml`: runs the lab's steps in emulation and on the real kernel and prints, per link,
 * every frame and header field that differs (realtime/real-lab-verify.ts); exits 1 when anything differs.
 */
import { verifyLab, VerifyUpError, type VerifyResult } from '../realtime/real-lab-verify.js';
import { formatDiffTable } from '../realtime/real-lab-compare.js';
import { readLabFile, UpUsageError } from './up.js';

/** Usage lines of verify. */
export const VERIFY_USAGE = `  podnet verify LAB.yaml [--json]          run the lab's steps in emulation and on the real kernel (root),
                                             capture every link on both sides and print, per link, the
                                             frames and header fields that differ; exits 1 when any do`;

/** `podnet verify` with its arguments (after the command); returns the exit status. */
export async function cmdVerify(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const json = argv.includes('--json');
  const files = argv.filter((a) => a !== '--json');
  const bad = files.find((a) => a.startsWith('-'));
  if (bad !== undefined) throw new UpUsageError(`unknown flag ${bad}`);
  if (files.length !== 1) throw new UpUsageError('verify takes one lab file');
  const spec = readLabFile(files[0]!);
  if (process.getuid?.() !== 0) {
    err('podnet: verify needs root (network namespaces); try sudo');
    return 1;
  }
  let r: VerifyResult;
  try {
    r = await verifyLab(spec);
  } catch (e) {
    if (!(e instanceof VerifyUpError)) throw e;
    err(`podnet: verify: ${e.message}`);
    return 2;
  }
  const n = r.links.reduce((k, l) => k + l.diffs.length, 0);
  if (json) out(JSON.stringify(r, null, 2));
  else {
    for (const w of r.warnings) err(`podnet: warning: ${w}`);
    out(`real steps:\n${r.realSteps.map((s, i) => `  ${i + 1}. ${s}`).join('\n')}`);
    out(formatDiffTable(r.links));
    out(
      n === 0
        ? `lab ${spec.name}: the real kernel and podnet agree on every link`
        : `lab ${spec.name}: ${n} difference(s)`,
    );
  }
  return n === 0 ? 0 : 1;
}
