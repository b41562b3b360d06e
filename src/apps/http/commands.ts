/**
 * Adds the HTTP-era commands to a shell: `curl` (src/apps/curl.ts) and `nc` (src/apps/nc.ts). Both use
 * the node's TCP stack, `ctx.tcp`, and resolve names with `ctx.resolve`.
 */
import type { Shell } from '../shell.js';
import { curlCommand } from '../curl.js';
import { ncCommand } from '../nc.js';

/** Registers `curl` and `nc` on `shell`. */
export function registerHttpCommands(shell: Shell): void {
  shell.commands.set('curl', curlCommand);
  shell.commands.set('nc', ncCommand);
}
