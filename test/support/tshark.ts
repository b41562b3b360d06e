/**
 * tshark as an independent oracle: runs the real Wireshark dissectors over a pcap we wrote and returns,
 * per frame, the protocol stack, every field value and the expert findings, so tests can assert both
 * "decodes to what we meant" and "decodes cleanly" (no malformed packet, no bad checksum, no error).
 * Whether tshark is installed is decided by peers.ts; writing the pcap belongs to src/observe/pcap.ts.
 *
 * Facts about tshark 4.0's `-T json` output this relies on (checked against 4.0.17):
 * - Objects may repeat a key (two `ip.addr`, or two `ip` layers inside a tunnel); `--no-duplicate-keys`
 *   merges repeats into one array, which JSON.parse can then keep.
 * - A field with children is printed twice: `"ip.flags": "0x02"` and `"ip.flags_tree": {...}`.
 * - `<proto>.checksum.status` is a number as text: 0 Bad, 1 Good, 2 Unverified, 3 Not present,
 *   4 Illegal (`tshark -G values`). IP/UDP/TCP are only verified with `-o <proto>.check_checksum:TRUE`;
 *   ICMP and IGMP always are.
 * - Expert info is an object under the key `_ws.expert`, nested in the tree next to the field it is
 *   about: `{ "ip.checksum_bad.expert": "", "_ws.expert.message": "Bad checksum [should be 0x26ca]",
 *   "_ws.expert.severity": "8388608", "_ws.expert.group": "16777216" }`. Severity and group are the
 *   PI_* constants of epan/proto.h printed in decimal (0x00800000 = error, 0x01000000 = Checksum).
 * - A dissector exception adds a top-level layer `_ws.malformed` (with an error-severity expert entry,
 *   group Malformed), but `frame.protocols` does not list it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One expert-info finding attached to a frame. */
export interface TsharkExpert {
  /** 'comment' | 'chat' | 'note' | 'warn' | 'error' (or the raw value if tshark prints something else). */
  severity: string;
  /** Wireshark's group name: 'Checksum', 'Malformed', 'Protocol', 'Sequence', ... */
  group: string;
  /** Human text, e.g. 'Bad checksum [should be 0x26ca]'. */
  message: string;
  /** The expert field that fired, e.g. 'ip.checksum_bad.expert' ('' if none was printed). */
  id: string;
}

/** What tshark made of one frame. */
export interface TsharkFrame {
  /** frame.number, 1-based. */
  number: number;
  /** frame.protocols split on ':', e.g. ['eth', 'ethertype', 'ip', 'udp', 'data']. */
  protocols: string[];
  /** Every field name found anywhere in the frame's tree → its values in tree order. */
  fields: Record<string, string[]>;
  /** All `_ws.expert` entries in the frame. */
  expert: TsharkExpert[];
}

/** Options for tsharkFrames. */
export interface TsharkOptions {
  /** `-d` arguments, e.g. 'udp.port==8472,vxlan'. */
  decodeAs?: string[];
  /** When given, `fields` keeps only these names (protocols and expert are always kept). */
  fields?: string[];
  /** Extra `-o name:value` preferences, applied after the checksum-validation ones. */
  prefs?: Record<string, string>;
}

/** Preferences that make tshark verify checksums it skips by default. */
export const TSHARK_CHECKSUM_PREFS: Readonly<Record<string, string>> = {
  'ip.check_checksum': 'TRUE',
  'udp.check_checksum': 'TRUE',
  'tcp.check_checksum': 'TRUE',
};

// epan/proto.h: PI_SEVERITY_MASK 0x00F00000, PI_GROUP_MASK 0xFF000000.
const SEVERITIES: Record<number, string> = {
  0x00100000: 'comment',
  0x00200000: 'chat',
  0x00400000: 'note',
  0x00600000: 'warn',
  0x00800000: 'error',
};
const GROUPS: Record<number, string> = {
  0x01000000: 'Checksum',
  0x02000000: 'Sequence',
  0x03000000: 'Response',
  0x04000000: 'Request',
  0x05000000: 'Undecoded',
  0x06000000: 'Reassemble',
  0x07000000: 'Malformed',
  0x08000000: 'Debug',
  0x09000000: 'Protocol',
  0x0a000000: 'Security',
  0x0b000000: 'Comment',
  0x0c000000: 'Decryption',
  0x0d000000: 'Assumption',
  0x0e000000: 'Deprecated',
  0x0f000000: 'Receive',
  0x10000000: 'Interface',
  0x11000000: 'Dissector bug',
};

function label(table: Record<number, string>, raw: string): string {
  return /^\d+$/.test(raw) ? (table[Number(raw)] ?? `0x${Number(raw).toString(16)}`) : raw;
}

/** Runs `tshark -r pcapPath -T json` with checksum validation on and returns one entry per frame. */
export function tsharkFrames(pcapPath: string, opts: TsharkOptions = {}): TsharkFrame[] {
  const args = ['-r', pcapPath, '-n', '-T', 'json', '--no-duplicate-keys'];
  for (const [name, value] of Object.entries({ ...TSHARK_CHECKSUM_PREFS, ...opts.prefs })) {
    args.push('-o', `${name}:${value}`);
  }
  for (const d of opts.decodeAs ?? []) args.push('-d', d);
  const run = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (run.error) throw new Error(`tshark could not be started: ${run.error.message}`);
  // tshark warns on stderr when run as root; only a non-zero exit means it failed.
  if (run.status !== 0) {
    throw new Error(`tshark ${args.join(' ')} exited with ${run.status ?? run.signal}:\n${run.stderr}`);
  }
  const packets: unknown = JSON.parse(run.stdout.trim() === '' ? '[]' : run.stdout);
  if (!Array.isArray(packets)) throw new Error('tshark -T json did not print an array');
  const keep = opts.fields ? new Set(opts.fields) : undefined;
  return packets.map((p) => toFrame(p, keep));
}

/** Writes `pcap` to a temporary file, runs tsharkFrames on it, and removes the file. */
export function tsharkFramesOf(pcap: Uint8Array, opts: TsharkOptions = {}): TsharkFrame[] {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-tshark-'));
  try {
    const file = join(dir, 'capture.pcap');
    writeFileSync(file, pcap);
    return tsharkFrames(file, opts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function toFrame(packet: unknown, keep: Set<string> | undefined): TsharkFrame {
  const layers = (packet as { _source?: { layers?: unknown } })?._source?.layers;
  const fields: Record<string, string[]> = {};
  const expert: TsharkExpert[] = [];
  walk(layers, fields, expert);
  const number = Number(fields['frame.number']?.[0] ?? NaN);
  const protocols = (fields['frame.protocols']?.[0] ?? '').split(':').filter((s) => s !== '');
  if (keep) {
    for (const name of Object.keys(fields)) if (!keep.has(name)) delete fields[name];
  }
  return { number, protocols, fields, expert };
}

function walk(node: unknown, fields: Record<string, string[]>, expert: TsharkExpert[]): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, fields, expert);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (key === '_ws.expert') {
      for (const e of Array.isArray(value) ? value : [value]) expert.push(toExpert(e));
    }
    if (typeof value === 'string') {
      (fields[key] ??= []).push(value);
    } else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
      (fields[key] ??= []).push(...value);
    } else {
      walk(value, fields, expert);
    }
  }
}

function toExpert(e: unknown): TsharkExpert {
  const o = (e ?? {}) as Record<string, unknown>;
  const text = (k: string): string => (typeof o[k] === 'string' ? o[k] : '');
  const id = Object.keys(o).find((k) => !k.startsWith('_ws.expert.')) ?? '';
  return {
    severity: label(SEVERITIES, text('_ws.expert.severity')),
    group: label(GROUPS, text('_ws.expert.group')),
    message: text('_ws.expert.message'),
    id,
  };
}

// proto.c proto_checksum_vals: 0 Bad, 1 Good, 2 Unverified, 3 Not present, 4 Illegal.
const CHECKSUM_BAD = new Set(['0', '4']);

/** Everything wrong with one frame's decode, as readable lines; empty when it decoded cleanly. */
export function decodeProblems(frame: TsharkFrame): string[] {
  const problems: string[] = [];
  if (frame.protocols.includes('_ws.malformed') || frame.fields['_ws.malformed']) {
    problems.push('malformed packet');
  }
  for (const [name, values] of Object.entries(frame.fields)) {
    const isStatus = name.endsWith('.checksum.status') || name === 'eth.fcs.status';
    for (const v of isStatus ? values : []) {
      if (CHECKSUM_BAD.has(v)) problems.push(`${name} = ${v} (${v === '0' ? 'Bad' : 'Illegal'})`);
    }
  }
  for (const e of frame.expert) {
    if (e.severity === 'error' || e.group === 'Checksum' || e.group === 'Malformed') {
      problems.push(`expert ${e.severity}/${e.group}: ${e.message}${e.id ? ` [${e.id}]` : ''}`);
    }
  }
  return problems;
}

/** Throws, naming each bad frame and its problems, unless every frame decoded cleanly. */
export function assertCleanDecode(frames: TsharkFrame[]): void {
  const report: string[] = [];
  for (const f of frames) {
    const problems = decodeProblems(f);
    if (problems.length > 0) {
      report.push(`frame ${f.number} (${f.protocols.join(':')}):\n    ${problems.join('\n    ')}`);
    }
  }
  if (report.length > 0) {
    assert.fail(`tshark found problems in ${report.length} of ${frames.length} frames:\n  ${report.join('\n  ')}`);
  }
}
