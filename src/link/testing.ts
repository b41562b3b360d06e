/**
 * Helpers for tests only: not re-exported by index.ts and not imported by any device.
 */
import { Device, type Port } from './device.js';

/** A raw-frame device for tests: records every frame that reaches it and puts any bytes on its wire. */
export class FrameProbe extends Device {
  readonly got: Uint8Array[] = [];
  get kind(): string {
    return 'probe';
  }
  receive(_port: Port, frame: Uint8Array): void {
    this.got.push(frame);
  }
  /** Sends `frame` out of the first port (add and connect one first). */
  send(frame: Uint8Array): void {
    this.transmit(this.ports[0]!, frame);
  }
}
