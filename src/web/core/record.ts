/**
 * Recording for the UI: every frame with a copy of its bytes and the cable it travels on, decisions and
 * drops, plus a pcapng of every link. Frames on a cable are the same bytes the pcapng holds, so what the
 * inspector shows and what Wireshark opens agree.
 */
import type { Network } from '../../link/device.js';
import type { DropReason, Tracer } from '../../link/trace.js';
import { summarizeFrame } from '../../observe/summary.js';
import { PcapngWriter } from '../../observe/pcapng.js';
import { captureLinksPcapng } from '../../observe/capture.js';
import type { WebEvent } from './protocol.js';

/** Events kept per run: past it events are counted, not kept (a run the page cannot show anyway). */
export const WEB_RECORDING_CAP = 50_000;

/** A tracer that keeps what the UI shows, and a pcapng of every link. */
export class WebRecorder implements Tracer {
  readonly events: WebEvent[] = [];
  omitted = 0;
  readonly pcap = new PcapngWriter();

  constructor(
    private readonly network: Network,
    private readonly edgeOfLink: ReadonlyMap<string, string>,
    private readonly boxOf: ReadonlyMap<string, string>,
  ) {
    captureLinksPcapng(network, this.pcap);
  }

  private room(): boolean {
    if (this.events.length < WEB_RECORDING_CAP) return true;
    this.omitted++;
    return false;
  }

  frame(time: number, device: string, inPort: string | undefined, outPort: string, frame: Uint8Array): void {
    if (!this.room()) return;
    const ev: WebEvent & { kind: 'frame' } = {
      kind: 'frame',
      time,
      device,
      outPort,
      frame: summarizeFrame(frame),
      bytes: frame.slice(),
    };
    if (inPort !== undefined) ev.inPort = inPort;
    const port = this.network.device(device)?.port(outPort);
    const link = port?.link;
    if (link !== undefined) {
      const edge = this.edgeOfLink.get(link.id);
      if (edge !== undefined) ev.edge = edge;
      const peer = port?.peer;
      if (peer !== undefined) {
        ev.to = peer.device.name;
        ev.boxes = [this.boxOf.get(device) ?? device, this.boxOf.get(ev.to) ?? ev.to];
      }
    }
    this.events.push(ev);
  }

  note(time: number, device: string, message: string): void {
    if (this.room()) this.events.push({ kind: 'note', time, device, message });
  }

  drop(
    time: number,
    device: string,
    port: string | undefined,
    reason: DropReason,
    detail: string,
    _frame: Uint8Array | undefined,
  ): void {
    if (!this.room()) return;
    const ev: WebEvent = { kind: 'drop', time, device, reason, detail };
    if (port !== undefined) ev.port = port;
    this.events.push(ev);
  }

  /** Stops capturing new links and the tracer. */
  detach(): void {
    this.network.tracer = undefined;
  }
}
