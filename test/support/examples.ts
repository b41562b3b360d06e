/**
 * The lab files under examples/, for tests that run every example: listing, loading (a file that does not
 * validate throws with file:line:col messages), running with a pcap tap on every link, and a readable
 * report of failed steps. Running and capturing belong to src/scenario and src/observe; this only wires
 * them together the way the CLI does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLab, type LabSpec } from '../../src/scenario/lab.js';
import { formatSpecError } from '../../src/scenario/source.js';
import { runLab, type LabRunResult } from '../../src/scenario/run.js';
import { captureLinks, type LinkCapture } from '../../src/observe/capture.js';

/** The repository's examples/ directory (this file runs from dist/test/support/). */
export const EXAMPLES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples');

/** File names of every example lab, sorted (cluster-*.yaml are Cluster inputs, not labs). */
export function exampleNames(): string[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.yaml') && !f.startsWith('cluster-'))
    .sort();
}

/**
 * Examples that fail on purpose (they show a failure a person should recognize): a test asserting that an
 * example passes skips these; test/examples.test.ts checks their failure message instead.
 */
export const FAILING_EXAMPLES: ReadonlySet<string> = new Set(['switch-loop.yaml']);

/** Reads and validates examples/`name`; throws with every validation error. */
export function loadExample(name: string): LabSpec {
  const r = parseLab(`examples/${name}`, readFileSync(join(EXAMPLES_DIR, name), 'utf8'));
  if (!r.ok) throw new Error(`examples/${name} does not validate:\n${r.errors.map(formatSpecError).join('\n')}`);
  return r.lab;
}

/** A lab run with every link tapped. */
export interface CapturedLabRun {
  result: LabRunResult;
  captures: LinkCapture[];
}

/** Runs `spec` (optionally with another seed) with a pcap tap on every link, as `podnet run --pcap` does. */
export function runCaptured(spec: LabSpec, seed?: number): CapturedLabRun {
  let captures: LinkCapture[] = [];
  const result = runLab(spec, {
    ...(seed !== undefined ? { seed } : {}),
    prepare: (lab) => (captures = captureLinks(lab.network)),
  });
  return { result, captures };
}

/** One line per failed expectation, with the step's name and place, or '' when every step passed. */
export function failureReport(r: LabRunResult): string {
  return r.steps
    .filter((s) => !s.ok)
    .map(
      (s) =>
        `step "${s.name}" (${s.where}):\n${s.failures.map((f) => `  - ${f}`).join('\n')}\n${s.output.replace(/^/gm, '    | ')}`,
    )
    .join('\n');
}
