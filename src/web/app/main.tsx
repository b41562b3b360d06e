/// <reference lib="dom" />
/**
 * Entry point of the page bundle: loads the examples shipped with the site, picks the lab to start with,
 * and renders the App.
 */
import { render } from 'preact';
import { App, initialLab, type Example } from './app.js';

async function start(): Promise<void> {
  // both at once: the served file (if any) and the examples menu
  const examples = fetch('examples.json').then(async (r) => (await r.json()) as Example[]);
  const [initial, list] = await Promise.all([initialLab(examples), examples]);
  render(<App examples={list} initial={initial} />, document.getElementById('app')!);
}

void start();
