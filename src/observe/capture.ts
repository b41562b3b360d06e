/**
 * Packet capture on every link of a network, as if a tap sat on each cable: both directions, stamped with
 * the simulated transmit time. Either one pcap per link (captureLinks) or one pcapng file with one
 * interface per link (captureLinksPcapng). Captures follow the network: a link connected later (a lab's
 * `link` step, a cluster adding a pod) is tapped when it appears, announced by Network.onLink.
 *
 * Names: `<devA>-<portA>__<devB>-<portB>`, characters other than [A-Za-z0-9_.-] replaced by `_`. Two links
 * whose names would match, ignoring case (a case-insensitive file system would merge their files; a VM
 * unplugged and plugged back into the same port), get `~2`, `~3`... in the order the links appeared, so
 * the same lab always gives the same names and `~` never comes from a device or port name.
 */
import type { Link, Network } from '../link/device.js';
import { PcapWriter } from './pcap.js';
import type { ChunkSink } from './chunked.js';
import type { PcapngWriter } from './pcapng.js';

/** One capture per link. */
export interface LinkCapture {
  /** File name without directory, e.g. "A-eth0__sw1-p1.pcap". */
  fileName: string;
  /** The link's id, e.g. "A:eth0--sw1:p1". */
  linkId: string;
  writer: PcapWriter;
}

/** One link's interface in a pcapng capture. */
export interface LinkInterface {
  /** The interface's if_name, unique in the file, e.g. "A-eth0__sw1-p1". */
  name: string;
  /** The link's id, e.g. "A:eth0--sw1:p1". */
  linkId: string;
  /** Its interface id in the file. */
  interfaceId: number;
}

/**
 * Taps every link of `network`, now and connected later: the returned array grows as links appear. With
 * `sinkFor`, each link's pcap is streamed to the sink it returns for the file name (flush the writers at
 * the end).
 */
export function captureLinks(network: Network, sinkFor?: (fileName: string) => ChunkSink): LinkCapture[] {
  const caps: LinkCapture[] = [];
  followLinks(network, (l, name) => {
    const fileName = `${name}.pcap`;
    const writer = new PcapWriter(sinkFor === undefined ? {} : { sink: sinkFor(fileName) });
    l.ab.capture = writer;
    l.ba.capture = writer;
    caps.push({ fileName, linkId: l.id, writer });
  });
  return caps;
}

/** Taps every link of `network`, now and connected later, into `file`, one interface per link. */
export function captureLinksPcapng(network: Network, file: PcapngWriter): LinkInterface[] {
  const ifaces: LinkInterface[] = [];
  followLinks(network, (l, name) => {
    const iface = file.addInterface(name);
    l.ab.capture = iface;
    l.ba.capture = iface;
    ifaces.push({ name, linkId: l.id, interfaceId: iface.id });
  });
  return ifaces;
}

/** Calls `tap` with each link and its unique capture name: the current links, then every new one. */
function followLinks(network: Network, tap: (link: Link, name: string) => void): void {
  const names = new CaptureNames();
  for (const l of network.links) tap(l, names.next(l));
  network.onLink((l) => tap(l, names.next(l)));
}

/** Hands out capture names for links, unique ignoring case, deterministic in the order asked. */
export class CaptureNames {
  private readonly used = new Set<string>();

  /** The name for `link` (see the module comment). */
  next(link: Pick<Link, 'a' | 'b'>): string {
    const base = `${safe(link.a.device.name)}-${safe(link.a.name)}__${safe(link.b.device.name)}-${safe(link.b.name)}`;
    let name = base;
    for (let k = 2; this.used.has(name.toLowerCase()); k++) name = `${base}~${k}`;
    this.used.add(name.toLowerCase());
    return name;
  }
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, '_');
}
