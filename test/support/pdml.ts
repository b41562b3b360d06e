/**
 * tshark's PDML (`tshark -T pdml`) read into plain records: per packet, every protocol and field element
 * with its name, byte position, size, `show` value and `showname`, in tree order. PDML is the one tshark
 * output that gives each field's byte range, which the frame inspector's dissector is checked against.
 * Facts relied on (tshark 4.0.17): attribute values are XML-escaped (`&#x27;`, `&lt;`, `&quot;`), so no raw
 * `>` appears inside a tag; a `show` value may hold raw newlines (HTTP lines); text-only items have
 * `name=""`; fields tshark hides by default carry `hide="yes"` and are still real fields.
 */
import { spawnSync } from 'node:child_process';

/** One `<proto>` or `<field>` element. */
export interface PdmlItem {
  kind: 'proto' | 'field';
  name: string;
  pos: number;
  size: number;
  show: string;
  showname: string;
}

function unescape(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replaceAll('&quot;', '"')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
}

/** Parses PDML text into one item list per packet. */
export function parsePdml(xml: string): PdmlItem[][] {
  const packets: PdmlItem[][] = [];
  for (const chunk of xml.split('<packet>').slice(1)) {
    const items: PdmlItem[] = [];
    for (const m of chunk.matchAll(/<(proto|field)\s([^>]*?)\/?>/gs)) {
      const attrs: Record<string, string> = {};
      for (const a of m[2]!.matchAll(/([\w.]+)="([^"]*)"/gs)) attrs[a[1]!] = unescape(a[2]!);
      items.push({
        kind: m[1] as 'proto' | 'field',
        name: attrs.name ?? '',
        pos: Number(attrs.pos ?? -1),
        size: Number(attrs.size ?? -1),
        show: attrs.show ?? '',
        showname: attrs.showname ?? '',
      });
    }
    packets.push(items);
  }
  return packets;
}

/** Runs `tshark -r file -T pdml` with the given extra arguments and parses the output. */
export function tsharkPdml(file: string, args: string[] = []): PdmlItem[][] {
  const run = spawnSync('tshark', ['-r', file, '-n', '-T', 'pdml', ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (run.error) throw new Error(`tshark could not be started: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`tshark exited with ${run.status ?? run.signal}:\n${run.stderr}`);
  return parsePdml(run.stdout);
}
