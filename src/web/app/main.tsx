/// <reference lib="dom" />
/**
 * Entry point of the page bundle: loads the examples shipped with the site, picks the lab to start with,
 * and renders the App.
 */
import { render } from 'preact';
import { App, initialLab, type Example } from './app.js';

async function start(): Promise<void> {
  const examples = (await (await fetch('examples.json')).json()) as Example[];
  const initial = await initialLab(examples);
  render(<App examples={examples} initial={initial} />, document.getElementById('app')!);
}

void start();
