/**
 * A 1,000-node cluster stays usable in the page (issue 14): Debian's chromium opens a generated Flannel
 * vxlan cluster of 1,000 nodes and 2,000 pods through `podnet ui`. It is drawn from its plan (pods folded
 * into one box per node) as a grid, not one endless row; a ping between pods on the first and the last
 * node is run (the worker builds the whole cluster for it) and stepped with the arrow keys, each step
 * painted within a budget, with no element of the topology added or removed while stepping (the marker
 * and the labels move in place). Times are reported in the test's output. Skipped without chromium, except
 * in CI.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startUiServer, type UiServer } from '../../src/cli/ui.js';
import { parseWorld } from '../../src/web/core/world.js';
import { requirePeer } from '../support/peers.js';
import { bigClusterText } from './big-cluster.js';
import { firstTopologyMs } from './timing.js';

const CHROMIUM = '/usr/bin/chromium';
const NODES = 1000;
const PODS_PER_NODE = 2;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const site = join(root, 'dist', 'web');
const text = bigClusterText(NODES, PODS_PER_NODE);
const dir = mkdtempSync(join(tmpdir(), 'podnet-big-ui-'));
const file = join(dir, 'big.yaml');

let browser: Browser | undefined;
let server: UiServer | undefined;
let page: Page | undefined;
const consoleErrors: string[] = [];

function haveChromium(t: TestContext): boolean {
  return requirePeer(t, "Debian's chromium", {
    bin: CHROMIUM,
    install: "install Debian's chromium: apt-get install -y chromium",
  });
}

before(async () => {
  if (!existsSync(CHROMIUM)) return;
  writeFileSync(file, text);
  server = await startUiServer({ root: site, file });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
});

after(async () => {
  await browser?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('1,000 nodes: drawn from the plan, pods folded, nodes in a grid', async (t) => {
  if (!haveChromium(t)) return;
  const p = page!;
  const load = (loadavg()[0] ?? 0) / cpus().length;
  await p.goto(server!.url);
  await p.waitForSelector(`.box[data-node="node${NODES - 1}"]`, { timeout: 60_000 });
  const ms = await firstTopologyMs(p);
  t.diagnostic(
    `first render of ${NODES} nodes: ${ms.toFixed(0)} ms after navigation (load ${load.toFixed(2)} per core)`,
  );
  assert.ok(ms < 20_000, `first render took ${ms.toFixed(0)} ms`);
  assert.match((await p.textContent('#status')) ?? '', /^cluster big-1000: drawn from its plan/);
  assert.equal(
    await p.locator('.box').count(),
    NODES * 2 + 2,
    'a box per node, per folded pod group, the switch and the internet',
  );
  assert.match((await p.locator('.box[data-node="pods@node0"] .box-name').textContent()) ?? '', /^2 pods$/);
  // a grid: many rows of nodes, and a drawing wider than high, as the panel is
  const ys = await p
    .locator('.box[data-node^="node"]')
    .evaluateAll((els) => els.map((e) => /translate\(\S+ (\S+)\)/.exec(e.getAttribute('transform') ?? '')?.[1]));
  const rows = new Set(ys).size;
  t.diagnostic(`${rows} rows of nodes`);
  assert.ok(rows >= 10 && rows <= 100, `${rows} rows`);
});

test('1,000 nodes: a cross-node ping runs, and each step is painted quickly with no element added or removed', async (t) => {
  if (!haveChromium(t)) return;
  const p = page!;
  const parsed = parseWorld('big.yaml', text);
  assert.ok(parsed.ok && parsed.plan !== undefined);
  const podOn = (node: string) => parsed.plan!.pods.find((x) => x.node === node)!;
  const from = podOn('node0');
  const to = podOn(`node${NODES - 1}`);
  await p.selectOption('select[aria-label="from"]', `${from.namespace}/${from.name}`);
  await p.fill('input[aria-label="to"]', `${to.namespace}/${to.name}`);
  const t0 = Date.now();
  await p.click('#run');
  await p.waitForFunction(() => /\d+\/\d+ ·/.test(document.querySelector('#where')?.textContent ?? ''), null, {
    timeout: 50_000,
  });
  t.diagnostic(`the ping on ${NODES} nodes (the worker builds the cluster, then runs it): ${Date.now() - t0} ms`);
  assert.match((await p.textContent('#status')) ?? '', /ping -c 1 10\.\d+\.\d+\.\d+: \d+ frames$/);
  const steps = await p.evaluate(async (n) => {
    const svg = document.querySelector('.topo-svg')!;
    let churn = 0;
    const seen = new MutationObserver((ms) => {
      for (const m of ms)
        for (const x of [...Array.from(m.addedNodes), ...Array.from(m.removedNodes)])
          if (x.nodeType === Node.ELEMENT_NODE) churn++;
    });
    seen.observe(svg, { childList: true, subtree: true });
    const times: number[] = [];
    const wheres: string[] = [];
    const labels: string[] = [];
    for (let i = 0; i < n; i++) {
      const t1 = performance.now();
      document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
      // painted: the frame after the update has been drawn
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      times.push(performance.now() - t1);
      wheres.push(document.querySelector('#where')?.textContent ?? '');
      for (const l of Array.from(document.querySelectorAll('.decision[visibility="visible"]')))
        labels.push(`${l.getAttribute('data-label-for')}: ${l.textContent}`);
    }
    seen.disconnect();
    return { times, churn, wheres, labels };
  }, 20);
  const sorted = [...steps.times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const worst = sorted[sorted.length - 1]!;
  t.diagnostic(`a step on ${NODES} nodes: median ${median.toFixed(0)} ms, worst ${worst.toFixed(0)} ms`);
  assert.match(steps.wheres.at(-1)!, /^21\/\d+ ·/, 'twenty steps taken');
  // the node's ARP request for the other node's address is flooded by the underlay switch to all its ports
  assert.ok(
    steps.wheres.some((w) => /underlay p\d+ → node\d+: ARP request/.test(w)),
    steps.wheres.join('\n'),
  );
  t.diagnostic(`labels: ${[...new Set(steps.labels)].join('; ')}`);
  assert.ok(steps.labels.length > 0, 'decision labels shown');
  assert.equal(steps.churn, 0, 'elements added or removed in the topology while stepping');
  assert.ok(median < 100 && worst < 1000, `steps: ${steps.times.map((x) => x.toFixed(0)).join(' ')} ms`);
});

test('1,000 nodes: no console errors', (t) => {
  if (!haveChromium(t)) return;
  assert.deepEqual(consoleErrors, []);
});
