/// <reference lib="dom" />
/**
 * Entry point of the page: the first thing the browser runs, kept small so the first topology is drawn
 * soon (under a second for the demo cluster). It starts the emulator's worker at once, fetches the served
 * file and the examples, and asks the worker to open the file while the views' code (app.tsx, a chunk of
 * its own) loads; the editor (CodeMirror) and ELK load later, when needed (see app.tsx).
 */
import { WorkerClient } from './worker-client.js';
import { initialLab, type Example } from './initial.js';

async function start(): Promise<void> {
  performance.mark('podnet:start');
  const worker = new WorkerClient('worker.js');
  const views = import('./app.js');
  const examples = fetch('examples.json').then(async (r) => (await r.json()) as Example[]);
  const initial = await initialLab(examples);
  const opening = worker.ask({ type: 'open', text: initial.text, file: initial.file });
  const [{ render, h }, { App }, list] = await Promise.all([import('preact'), views, examples]);
  render(h(App, { examples: list, initial, worker, opening }), document.getElementById('app')!);
}

void start();
