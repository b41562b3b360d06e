/**
 * A hub: a repeater with no memory. Every frame goes out of every other port, whoever it is for; the hosts'
 * NICs throw away what is not theirs. That waste is what the notes contrast with a switch.
 */
import { copyFrame } from '../wire/frame-alloc.js';
import { Device, type Port } from './device.js';

/** An Ethernet hub. */
export class Hub extends Device {
  get kind(): string {
    return 'hub';
  }

  receive(port: Port, frame: Uint8Array): void {
    this.note(() => `repeated to every other port`);
    const ports = this.ports;
    let last: Port | undefined;
    for (const p of ports) {
      if (p === port || p.tx === undefined) continue;
      if (last !== undefined) this.transmit(last, copyFrame(frame), port);
      last = p;
    }
    if (last !== undefined) this.transmit(last, frame, port);
  }
}
