/**
 * The emulator in a Web Worker: the page posts the YAML and what to do (protocol.ts); the worker parses,
 * validates, builds and runs it and posts the result back, frame bytes as transferable buffers. Every
 * request rebuilds from the text, so the page never waits on state kept here, and the page never freezes.
 */
import type { FromWorker, ToWorker } from './core/protocol.js';
import { handle } from './core/handle.js';

/** The part of a worker's global scope used here (the project's types are not the WebWorker lib's). */
interface WorkerScope {
  addEventListener(type: 'message', fn: (e: { data: ToWorker }) => void): void;
  postMessage(msg: FromWorker, transfer: ArrayBuffer[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let queue: Promise<void> = Promise.resolve();
scope.addEventListener('message', (e) => {
  // one request at a time, in order: a run must not interleave with the build of the next
  queue = queue.then(async () => {
    const { msg, transfer } = await handle(e.data);
    try {
      scope.postMessage(msg, transfer);
    } catch (x) {
      // a reply that cannot be cloned is a bug here: say so rather than leave the page waiting
      scope.postMessage({ id: msg.id, type: 'error', message: `worker: ${String(x)}`, problems: [] }, []);
    }
  });
});
