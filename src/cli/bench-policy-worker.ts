/**
 * The worker thread of `podnet bench policy --threads 2` (bench-policy-split.ts): probes its share of the
 * matrix in its own copy of the cluster and posts the outcomes back. Loaded only as a Worker's entry.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { probeShare, type SplitTask } from './bench-policy-split.js';

if (parentPort !== null) parentPort.postMessage(await probeShare(workerData as SplitTask));
