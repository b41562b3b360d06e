/**
 * Packet capture on every link of a network: one pcap per link holding both directions, stamped with the
 * simulated transmit time, as if a tap sat on the cable. Files are named after the link's two ends.
 */
import type { Network } from '../link/device.js';
import { PcapWriter } from './pcap.js';

/** One capture per link. */
export interface LinkCapture {
  /** File name without directory, e.g. "A-eth0__sw1-p1.pcap". */
  fileName: string;
  linkId: string;
  writer: PcapWriter;
}

/**
 * Taps every link of `network` (links added later are not tapped). With `sinkFor`, each link's pcap is
 * streamed to the sink it returns for the file name (flush the writers at the end).
 */
export function captureLinks(
  network: Network,
  sinkFor?: (fileName: string) => (chunk: Uint8Array) => void,
): LinkCapture[] {
  return network.links.map((l) => {
    const fileName = `${safe(l.a.device.name)}-${safe(l.a.name)}__${safe(l.b.device.name)}-${safe(l.b.name)}.pcap`;
    const writer = new PcapWriter(sinkFor === undefined ? {} : { sink: sinkFor(fileName) });
    l.ab.capture = writer;
    l.ba.capture = writer;
    return { fileName, linkId: l.id, writer };
  });
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_');
}
