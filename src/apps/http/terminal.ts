/**
 * What a person sees on a terminal when a program writes to stdout and stderr: stderr is unbuffered;
 * stdout to a terminal is line-buffered by the C library (glibc flushes through the last newline written,
 * or when its 1024-byte buffer for a tty fills, and at exit), so a body without a final newline shows up
 * after later stderr lines, as with the real curl. The screen applies carriage returns (curl's progress
 * meter redraws its line with "\r") and shows CRLF as a line end.
 */
import { concatBytes, utf8, utf8Text } from './message.js';

/** glibc's stdout buffer for a tty (st_blksize of a terminal). */
const TTY_BUFFER = 1024;

/** The two output streams of one command and their interleaving on a terminal. */
export class Terminal {
  private readonly screenBytes: Uint8Array[] = [];
  private readonly out: Uint8Array[] = [];
  private readonly err: Uint8Array[] = [];
  private pending: Uint8Array[] = [];
  private pendingLength = 0;

  /** Writes to stdout (line-buffered, as to a terminal). */
  stdout(data: Uint8Array | string): void {
    const b = typeof data === 'string' ? utf8(data) : data;
    if (b.length === 0) return;
    this.out.push(b);
    const lf = b.lastIndexOf(10);
    if (lf >= 0) {
      this.pending.push(b.subarray(0, lf + 1));
      this.flush();
      const rest = b.subarray(lf + 1);
      if (rest.length > 0) this.hold(rest);
    } else this.hold(b);
  }

  /** Writes to stderr (unbuffered). */
  stderr(data: Uint8Array | string): void {
    const b = typeof data === 'string' ? utf8(data) : data;
    if (b.length === 0) return;
    this.err.push(b);
    this.screenBytes.push(b);
  }

  /** Flushes stdout (the program exits). */
  flush(): void {
    if (this.pending.length === 0) return;
    this.screenBytes.push(...this.pending);
    this.pending = [];
    this.pendingLength = 0;
  }

  private hold(b: Uint8Array): void {
    this.pending.push(b);
    this.pendingLength += b.length;
    if (this.pendingLength >= TTY_BUFFER) this.flush();
  }

  /** Everything written to stdout, as text. */
  get stdoutText(): string {
    return utf8Text(concatBytes(this.out));
  }

  /** Everything written to stderr, as text. */
  get stderrText(): string {
    return utf8Text(concatBytes(this.err));
  }

  /** The bytes in the order they reached the terminal (flushed stdout and stderr). */
  get raw(): string {
    return utf8Text(concatBytes(this.screenBytes));
  }

  /** The screen: see renderScreen. */
  get screen(): string {
    return renderScreen(this.raw);
  }
}

/**
 * Renders terminal output as the lines a person sees: "\r" returns to the start of the line and later
 * characters overwrite (a shorter rewrite leaves the tail), "\n" ends the line. The text ends with a
 * newline if the output did.
 */
export function renderScreen(raw: string): string {
  const lines: string[] = [];
  let line: string[] = [];
  let col = 0;
  for (const ch of raw) {
    if (ch === '\n') {
      lines.push(line.join(''));
      line = [];
      col = 0;
    } else if (ch === '\r') {
      col = 0;
    } else {
      line[col++] = ch;
    }
  }
  const last = line.join('');
  return lines.join('\n') + (lines.length > 0 ? '\n' : '') + last;
}
