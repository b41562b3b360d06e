/**
 * Screenshots of the UI's main screens at 1280x800 into docs/ui-*.png, taken from a Playwright session
 * on Debian's chromium against `podnet ui examples/cluster-demo.yaml` (run `npm run build:web` first):
 * `node dist/test/web/screenshots.js`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startUiServer } from '../../src/cli/ui.js';
import { bigClusterText } from './big-cluster.js';
import { setEditorText } from './editor.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const docs = join(root, 'docs');
mkdirSync(docs, { recursive: true });
const server = await startUiServer({
  root: join(root, 'dist', 'web'),
  file: join(root, 'examples', 'cluster-demo.yaml'),
});
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const p = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const shot = (name: string) => p.screenshot({ path: join(docs, `ui-${name}.png`) });
  await p.goto(server.url);
  await p.waitForSelector('.box[data-node="server"]', { timeout: 60_000 });
  await shot('topology');
  await p.selectOption('select[aria-label="from"]', 'default/client');
  await p.fill('input[aria-label="to"]', 'default/web-7f64b55889-xbwcj');
  await p.click('#run');
  await p.waitForFunction(() => /\d+\/\d+ ·/.test(document.querySelector('#where')?.textContent ?? ''), null, {
    timeout: 60_000,
  });
  await p.locator('.topo-svg').click({ position: { x: 5, y: 5 } });
  for (let i = 0; i < 60 && !/VXLAN VNI 1/.test((await p.textContent('#where')) ?? ''); i++)
    await p.keyboard.press('ArrowRight');
  await p.locator('.field[data-field="vxlan.vni"]').click();
  await p.locator('.field[data-field="vxlan.vni"]').scrollIntoViewIfNeeded();
  await p.waitForTimeout(500);
  await shot('frame');
  await p.click('[data-tab="hops"]');
  await shot('hops');
  await p
    .locator('.box[data-node="agent"] > rect')
    .first()
    .click({ position: { x: 40, y: 8 } });
  await p.waitForSelector('.device-inspector details', { timeout: 60_000 });
  await shot('device');
  await p.click('[data-tab="compare"]');
  await p.click('button:has-text("Compare Flannel backends")');
  await p.waitForSelector('.chart[data-metric="wireBytes"]', { timeout: 120_000 });
  await p.waitForSelector('.bgp-chart', { timeout: 120_000 });
  await shot('compare');
  await p.locator('#bgp-heading').evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await shot('bgp');
  const lab = readFileSync(join(root, 'examples', 'two-subnets.yaml'), 'utf8').replace('10.0.1.2/24', '10.0.1.2/33');
  await setEditorText(p, lab);
  await p.waitForSelector('.cm-lintRange-error', { timeout: 30_000 });
  await p.locator('.cm-lintRange-error').hover();
  await p.waitForSelector('.cm-tooltip-lint', { timeout: 10_000 });
  await shot('editor-error');
  // a 1,000-node cluster (test/web/big-cluster.ts), nodes in a grid, pods folded; then one node opened
  const dir = mkdtempSync(join(tmpdir(), 'podnet-shots-'));
  const big = join(dir, 'big-1000.yaml');
  writeFileSync(big, bigClusterText(1000, 2));
  const bigServer = await startUiServer({ root: join(root, 'dist', 'web'), file: big });
  try {
    await p.goto(bigServer.url);
    await p.waitForSelector('.box[data-node="node999"]', { timeout: 60_000 });
    await p.waitForTimeout(1000);
    await shot('big-cluster');
    // one of its nodes opened by a click: its pods, with the addresses the worker's build gives them
    await p.locator('.box[data-node="node517"]').click();
    await p.waitForSelector('[data-unfolded="node517"]', { timeout: 10_000 });
    await p.waitForFunction(() => document.querySelector('.unfolded .box-addr.pending') === null, null, {
      timeout: 120_000,
    });
    await p.waitForTimeout(300);
    await shot('expanded-node');
  } finally {
    await bigServer.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    `screenshots in ${docs}: ui-topology, ui-frame, ui-hops, ui-device, ui-compare, ui-bgp, ui-editor-error, ui-big-cluster, ui-expanded-node`,
  );
} finally {
  await browser.close();
  await server.close();
}
