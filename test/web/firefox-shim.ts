/**
 * Debian's firefox-esr for playwright-core's WebDriver BiDi client (`firefox.launch({ channel:
 * 'moz-firefox' })`). Playwright 1.65 sends `emulation.setMediaFeaturesOverride` when it opens a
 * context, which firefox-esr 153 does not implement ("unknown command"), so no page can be opened. This
 * program stands in for the browser's executable: it starts firefox-esr with Playwright's arguments,
 * puts a WebSocket relay in front of its BiDi endpoint and announces the relay's address as Firefox
 * would ("WebDriver BiDi listening on ws://..."). The relay passes every message through, except that
 * one command, which it answers with an empty success (the page is not asked for any media feature).
 * Run as: node dist/test/web/firefox-shim.js [firefox arguments] (see test/web/firefox.test.ts).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';

/** The firefox to run. */
const FIREFOX = process.env['PODNET_FIREFOX'] ?? '/usr/bin/firefox-esr';
/** Commands firefox-esr does not know that Playwright sends when opening a context, answered here. */
const ANSWERED = new Set(['emulation.setMediaFeaturesOverride']);

interface Socket {
  send(data: string): void;
  close(): void;
  on(event: 'message', fn: (data: Buffer | string) => void): void;
  on(event: 'open' | 'close', fn: () => void): void;
  on(event: 'error', fn: (e: Error) => void): void;
}
type WsClientCtor = new (url: string) => Socket;
interface WsServerLike {
  on(event: 'connection', fn: (s: Socket, req: { url?: string }) => void): void;
  on(event: 'listening', fn: () => void): void;
  address(): { port: number };
}
type WsServerCtor = new (o: { host: string; port: number }) => WsServerLike;
// playwright-core's own copy of the ws package (an exported path of the package, untyped)
const { ws: WsClient, wsServer: WsServer } = createRequire(import.meta.url)('playwright-core/lib/utilsBundle') as {
  ws: WsClientCtor;
  wsServer: WsServerCtor;
};

const firefox = spawn(FIREFOX, process.argv.slice(2), { stdio: ['ignore', 'inherit', 'pipe'] });
firefox.on('exit', (code) => process.exit(code ?? 0));
for (const sig of ['SIGTERM', 'SIGINT'] as const)
  process.on(sig, () => {
    firefox.kill(sig);
  });

createInterface({ input: firefox.stderr }).on('line', (line) => {
  const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(line);
  if (m === null) {
    process.stderr.write(`${line}\n`);
    return;
  }
  const upstream = m[1]!;
  const server = new WsServer({ host: '127.0.0.1', port: 0 });
  server.on('listening', () =>
    process.stderr.write(`WebDriver BiDi listening on ws://127.0.0.1:${server.address().port}\n`),
  );
  server.on('connection', (client, req) => {
    const up = new WsClient(`${upstream}${req.url ?? ''}`);
    const waiting: string[] = [];
    let open = false;
    up.on('open', () => {
      open = true;
      for (const x of waiting.splice(0)) up.send(x);
    });
    up.on('message', (d) => client.send(d.toString()));
    up.on('close', () => client.close());
    up.on('error', () => client.close());
    client.on('close', () => up.close());
    client.on('message', (d) => {
      const text = d.toString();
      const msg = JSON.parse(text) as { id?: number; method?: string };
      if (msg.method !== undefined && ANSWERED.has(msg.method)) {
        client.send(JSON.stringify({ type: 'success', id: msg.id, result: {} }));
        return;
      }
      if (open) up.send(text);
      else waiting.push(text);
    });
  });
});
