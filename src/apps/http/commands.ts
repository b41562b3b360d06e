/**
 * Adds the HTTP-era commands to a shell: `curl` (src/apps/curl.ts), `wget` (src/apps/wget.ts) and `nc`
 * (src/apps/nc.ts). They use the node's TCP stack, `ctx.tcp`, and resolve names with the shell's lookup.
 */
import type { Shell } from '../shell.js';
import { curlCommand } from '../curl.js';
import { ncCommand } from '../nc.js';
import { wgetCommand } from '../wget.js';

/** Registers `curl`, `wget` and `nc` on `shell`. */
export function registerHttpCommands(shell: Shell): void {
  shell.commands.set('curl', curlCommand);
  shell.commands.set('wget', wgetCommand);
  shell.commands.set('nc', ncCommand);
}
