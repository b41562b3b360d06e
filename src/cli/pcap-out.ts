/**
 * Where `--pcap` writes, checked before anything runs: a path ending in `.pcapng` is one pcapng file with
 * one interface per link (it must not exist yet: podnet never overwrites a capture file); any other path
 * is a directory of one pcap per link (it may exist, as a directory; files of the same names in it are
 * replaced, so a second `demo` run overwrites its own pcaps). Paths under /proc or /sys are refused:
 * there a write reaches the kernel, not a file. Node-only; what goes into the files is observe/'s.
 */
import {
  accessSync,
  closeSync,
  constants,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import type { Network } from '../link/device.js';
import { captureLinks, captureLinksPcapng, type LinkCapture } from '../observe/capture.js';
import { PcapngWriter } from '../observe/pcapng.js';
import { parsePcap } from '../observe/pcap.js';
import type { ChunkSink } from '../observe/chunked.js';

/** A checked --pcap destination. */
export type PcapTarget = { kind: 'dir'; path: string } | { kind: 'pcapng'; path: string };

/** What checkPcapTarget found: a target, or the usage error to print. */
export type PcapTargetResult = { ok: true; target: PcapTarget } | { ok: false; error: string };

const KERNEL_FS = ['/proc', '/sys'];

function errnoOf(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

/** The nearest existing ancestor of `abs` (itself if it exists; a dangling symlink counts as a file). */
function nearestExisting(abs: string): { path: string; isDir: boolean } {
  for (let p = abs; ; p = dirname(p)) {
    try {
      return { path: p, isDir: statSync(p).isDirectory() };
    } catch (e) {
      const code = errnoOf(e);
      if (code === 'ENOENT' && lstatOk(p)) return { path: p, isDir: false };
      // ENOTDIR: a file stands where a directory is expected; go up to it
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(p) === p) throw e;
    }
  }
}

function lstatOk(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** /proc or /sys when `p`, as written or with its symlinks resolved, is under it. */
function underKernelFs(p: string): string | undefined {
  let real = p;
  try {
    real = realpathSync(p);
  } catch {
    // a dangling symlink: judge the path as written
  }
  return KERNEL_FS.find((k) => [p, real].some((x) => x === k || x.startsWith(k + sep)));
}

/** Checks `arg` (the value of --pcap) without creating anything. */
export function checkPcapTarget(arg: string): PcapTargetResult {
  const abs = resolve(arg);
  const bad = (why: string): PcapTargetResult => ({ ok: false, error: `--pcap ${arg}: ${why}` });
  const pcapng = /\.pcapng$/i.test(abs);
  let near: { path: string; isDir: boolean };
  try {
    near = nearestExisting(abs);
  } catch (e) {
    return bad(`cannot look at it (${errnoOf(e)})`);
  }
  const kernel = underKernelFs(abs) ?? underKernelFs(near.path);
  if (kernel !== undefined) return bad(`is under ${kernel}, the kernel's interface, not a place for files`);
  if (near.path === abs && (pcapng || !near.isDir))
    return bad(
      pcapng
        ? 'already exists; podnet does not overwrite a capture file (remove it or pick another name)'
        : 'exists and is not a directory (pcaps go into a directory, one per link; a name ending in .pcapng is one file)',
    );
  if (!near.isDir) return bad(`${near.path} is not a directory`);
  if (pcapng && near.path !== dirname(abs)) return bad(`directory ${dirname(abs)} does not exist`);
  // the directory that will hold the file, or the deepest existing part of the directory to create
  const holder = near.path;
  try {
    accessSync(holder, constants.W_OK | constants.X_OK);
  } catch (e) {
    return bad(`cannot write in ${holder} (${errnoOf(e)})`);
  }
  return { ok: true, target: pcapng ? { kind: 'pcapng', path: abs } : { kind: 'dir', path: abs } };
}

/** Capture output opened on a checked target: tap a network (streamed) or hand over finished captures. */
export class PcapOutput {
  private readonly files: string[] = [];
  private readonly fds: number[] = [];
  private readonly flushers: (() => void)[] = [];
  private pcapng: PcapngWriter | undefined;

  private constructor(readonly target: PcapTarget) {}

  /** Creates the directory or the file (exclusively). Fails only if the file system changed since the check. */
  static open(target: PcapTarget): { ok: true; value: PcapOutput } | { ok: false; error: string } {
    const o = new PcapOutput(target);
    try {
      if (target.kind === 'dir') mkdirSync(target.path, { recursive: true });
      else {
        const fd = openSync(target.path, 'wx');
        o.fds.push(fd);
        o.files.push(target.path);
        const w = new PcapngWriter({ sink: sinkTo(fd) });
        o.pcapng = w;
        o.flushers.push(() => w.flush());
      }
    } catch (e) {
      return { ok: false, error: `--pcap ${target.path}: ${errnoOf(e)}` };
    }
    return { ok: true, value: o };
  }

  /** Taps every link of `network`, now and later, streaming to disk as the run goes. */
  attach(network: Network): void {
    const w = this.pcapng;
    if (w !== undefined) {
      captureLinksPcapng(network, w);
      return;
    }
    const caps = captureLinks(network, (fileName) => {
      const p = join(this.target.path, fileName);
      const fd = openSync(p, 'w');
      this.fds.push(fd);
      this.files.push(p);
      return sinkTo(fd);
    });
    // flush each writer at the end, including those of links that appear later
    this.flushers.push(() => caps.forEach((c) => c.writer.flush()));
  }

  /** Writes captures that were kept in memory (trace, demo): as files, or merged into the pcapng file. */
  add(caps: LinkCapture[]): void {
    const w = this.pcapng;
    if (w === undefined) {
      for (const c of caps) {
        const p = join(this.target.path, c.fileName);
        const fd = openSync(p, 'w');
        this.fds.push(fd);
        this.files.push(p);
        sinkTo(fd)(c.writer.bytes());
      }
      return;
    }
    // one pcapng: every link's records, in time order (stable: a tie keeps link order)
    const records: { iface: number; timeNs: number; data: Uint8Array }[] = [];
    for (const c of caps) {
      const iface = w.addInterface(c.fileName.replace(/\.pcap$/, ''));
      const r = parsePcap(c.writer.bytes());
      if (!r.ok) throw new Error(`internal: capture ${c.fileName} does not parse: ${r.error.reason}`);
      for (const x of r.value.records) records.push({ iface: iface.id, timeNs: x.timeNs, data: x.data });
    }
    records.sort((a, b) => a.timeNs - b.timeNs);
    for (const x of records) w.writePacket(x.iface, x.timeNs, x.data);
  }

  /** Flushes and closes everything; returns the files written. */
  finish(): string[] {
    for (const f of this.flushers) f();
    for (const fd of this.fds) closeSync(fd);
    this.fds.length = 0;
    return [...this.files];
  }

  /** Closes and removes a pcapng file this run created (the run did not happen). */
  discard(): void {
    for (const fd of this.fds) closeSync(fd);
    this.fds.length = 0;
    if (this.target.kind === 'pcapng') unlinkSync(this.target.path);
  }

  /** One line for humans: where the captures went. */
  describe(): string {
    return this.pcapng !== undefined
      ? `pcapng: ${this.target.path} (${this.pcapng.interfaceCount} interfaces, one per link)`
      : `pcaps: ${this.files.length} files in ${this.target.path}`;
  }
}

function sinkTo(fd: number): ChunkSink {
  return (chunk) => {
    for (let at = 0; at < chunk.length;) at += writeSync(fd, chunk, at, chunk.length - at);
  };
}
