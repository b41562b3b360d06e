/**
 * `podnet ui [FILE] [--port N]`: serves the browser UI (the static site `npm run build:web` writes to
 * dist/web) on 127.0.0.1, with FILE preloaded. The emulator runs in the page's Web Worker; this server
 * only hands out files: the site, `api/file` (FILE's name and text) and `api/events` (server-sent events:
 * FILE again each time it changes on disk, so the page reloads it).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

/** The usage lines of `podnet ui`, for the CLI's help. */
export const UI_USAGE = `  podnet ui [LAB.yaml|CLUSTER.yaml] [--port N]
                                             serve the browser UI on 127.0.0.1 (a free port unless --port),
                                             with the file preloaded and reloaded when it changes; prints the
                                             URL; runs until Ctrl-C (npm run build:web builds the site)`;

/** Bad arguments to `podnet ui`: usage, exit 2. */
export class UiUsageError extends Error {}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
};

/** What the server serves. */
export interface UiServerOptions {
  /** The built site (default: dist/web next to this file's dist/src). */
  root?: string;
  /** The file to preload, if any. */
  file?: string;
  /** 0 (or absent): a free port. */
  port?: number;
}

/** A running UI server. */
export interface UiServer {
  url: string;
  close(): Promise<void>;
}

/** The built site: dist/web beside dist/src. */
export function defaultSiteRoot(): string {
  // dist/src/cli/ui.js -> dist/web
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
}

/** Starts the server. */
export async function startUiServer(o: UiServerOptions): Promise<UiServer> {
  const root = o.root ?? defaultSiteRoot();
  const listeners = new Set<ServerResponse>();
  const fileJson = (): string | undefined =>
    o.file === undefined ? undefined : JSON.stringify({ file: basename(o.file), text: readFileSync(o.file, 'utf8') });
  let watcher: FSWatcher | undefined;
  if (o.file !== undefined) {
    let last = fileJson();
    watcher = watch(o.file, () => {
      let now: string | undefined;
      try {
        now = fileJson();
      } catch {
        return; // an editor replacing the file: the next event has it
      }
      if (now === undefined || now === last) return;
      last = now;
      for (const r of listeners) r.write(`data: ${now}\n\n`);
    });
  }
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/api/file') {
      const body = fileJson();
      res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      res.end(body ?? '{"error":"no file given to podnet ui"}');
      return;
    }
    if (path === '/api/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': podnet\n\n');
      listeners.add(res);
      req.on('close', () => listeners.delete(res));
      return;
    }
    const rel = normalize(path === '/' ? '/index.html' : path);
    const full = join(root, rel);
    if (!full.startsWith(root + sep) || !existsSync(full) || !statSync(full).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(full)] ?? 'application/octet-stream' });
    res.end(readFileSync(full));
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port ?? 0, '127.0.0.1', () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((ok) => {
        watcher?.close();
        for (const r of listeners) r.end();
        server.close(() => ok());
      }),
  };
}

/** Parses `podnet ui`'s arguments. */
export function parseUiArgs(args: readonly string[]): { file?: string; port?: number } {
  const r: { file?: string; port?: number } = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--port' || a.startsWith('--port=')) {
      const v = a === '--port' ? args[++i] : a.slice('--port='.length);
      if (v === undefined || !/^[0-9]+$/.test(v) || Number(v) > 65535)
        throw new UiUsageError(`--port must be a port number from 0 to 65535, got ${JSON.stringify(v ?? '')}`);
      r.port = Number(v);
    } else if (a.startsWith('-')) throw new UiUsageError(`ui: unknown option ${a}`);
    else if (r.file !== undefined) throw new UiUsageError('ui takes at most one file');
    else r.file = a;
  }
  return r;
}

/** `podnet ui`: serves until SIGINT or SIGTERM. */
export async function cmdUi(
  args: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  const a = parseUiArgs(args);
  if (a.file !== undefined && !existsSync(a.file)) throw new UiUsageError(`ui: ${a.file}: no such file`);
  const root = defaultSiteRoot();
  if (!existsSync(join(root, 'index.html'))) {
    err(`podnet ui: the site is not built (${root}): run npm run build:web`);
    return 1;
  }
  let s: UiServer;
  try {
    s = await startUiServer({
      root,
      ...(a.file !== undefined ? { file: resolve(a.file) } : {}),
      ...(a.port !== undefined ? { port: a.port } : {}),
    });
  } catch (e) {
    err(`podnet ui: cannot listen on 127.0.0.1:${a.port ?? 0}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return 1;
  }
  out(`podnet ui: ${s.url}${a.file !== undefined ? ` (${a.file}, reloaded when it changes)` : ''}`);
  out('Ctrl-C to stop');
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  await s.close();
  return 0;
}
