/// <reference lib="dom" />
/**
 * The page's side of the worker protocol: one request, one promised reply, matched by id.
 */
import type { FromWorker, ToWorker } from '../core/protocol.js';

/** A request without its id (the client numbers them). */
export type Request = ToWorker extends infer T ? (T extends ToWorker ? Omit<T, 'id'> : never) : never;

/** Talks to the emulator's worker. */
export class WorkerClient {
  private next = 1;
  private readonly waiting = new Map<number, (m: FromWorker) => void>();
  private readonly worker: Worker;

  /** Starts the worker from `url`. */
  constructor(url: string) {
    this.worker = new Worker(url);
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const done = this.waiting.get(e.data.id);
      this.waiting.delete(e.data.id);
      done?.(e.data);
    };
  }

  /** Sends `req` and resolves with the worker's reply. */
  ask(req: Request): Promise<FromWorker> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      const msg: ToWorker = { ...req, id };
      this.worker.postMessage(msg);
    });
  }
}
