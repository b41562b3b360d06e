/**
 * Runs one example in a fresh worker thread and hands back its pcaps (per link) and its trace events as
 * JSON. A worker has its own copy of every module, so a run there cannot be influenced by module state
 * left behind by an earlier run in the same process; determinism tests compare two such runs.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { loadExample, runCaptured } from './examples.js';

/** What one run produced. */
export interface WorkerLabRun {
  ok: boolean;
  /** Link capture file name -> pcap bytes. */
  pcaps: Record<string, Uint8Array>;
  /** JSON.stringify of every step's trace events, in step order. */
  events: string;
}

/** Runs examples/`name` here, in this thread. */
export function runExampleHere(name: string, seed?: number): WorkerLabRun {
  const { result, captures } = runCaptured(loadExample(name), seed);
  const pcaps: Record<string, Uint8Array> = {};
  for (const c of captures) pcaps[c.fileName] = c.writer.bytes();
  return { ok: result.ok, pcaps, events: JSON.stringify(result.steps.map((s) => s.events)) };
}

/** Runs examples/`name` in a new worker thread. */
export function runExampleInWorker(name: string, seed?: number): Promise<WorkerLabRun> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { podnetLabWorker: true, name, seed } });
    w.once('message', (m: WorkerLabRun) => resolve(m));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`lab worker for ${name} exited with ${code}`));
    });
  });
}

const job = workerData as { podnetLabWorker?: boolean; name: string; seed?: number } | null;
if (!isMainThread && parentPort !== null && job?.podnetLabWorker === true) {
  parentPort.postMessage(runExampleHere(job.name, job.seed));
}
