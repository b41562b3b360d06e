#!/usr/bin/env node
/**
 * The executable behind `npx podnet`: runs the CLI and sets the exit code. Bad input is main's to report
 * (exit 1 or 2); anything thrown past it is a bug in podnet, printed as one line without a stack trace
 * (PODNET_DEBUG=1 shows it), exit 70 (EX_SOFTWARE in BSD's sysexits.h).
 */
import { main } from './main.js';

/** Exit status for an internal error: sysexits.h EX_SOFTWARE. */
const EX_SOFTWARE = 70;

function internalError(e: unknown): void {
  const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  process.stderr.write(`podnet: internal error: ${detail} (please report this with the file)\n`);
  if (process.env['PODNET_DEBUG'] === '1' && e instanceof Error && e.stack !== undefined) {
    process.stderr.write(`${e.stack}\n`);
  }
  process.exitCode = EX_SOFTWARE;
}

// Errors thrown later from callbacks (timers, sockets of the realtime mode) are bugs too.
process.on('uncaughtException', internalError);
process.on('unhandledRejection', internalError);

/**
 * A reader that went away (`podnet run LAB 2>&1 | head`): what is left to print has nowhere to go, and the
 * command carries on without it, so its pcaps are written and its exit status is its own. Without these
 * listeners the failed write was an uncaught exception whose report, written to the same closed pipe,
 * failed in turn, for ever.
 */
function closedOutput(e: NodeJS.ErrnoException): void {
  if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
  internalError(e);
}
process.stdout.on('error', closedOutput);
// nothing can be reported where stderr itself fails
process.stderr.on('error', () => undefined);

try {
  // Only the tests set this: the one way to reach the path below without a bug to show it.
  if (process.env['PODNET_TEST_INTERNAL_ERROR'] === '1') throw new Error('provoked by PODNET_TEST_INTERNAL_ERROR');
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  internalError(e);
}
