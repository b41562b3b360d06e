/**
 * The browser UI in a real browser, as one suite every browser runs (ui.test.ts: Debian's chromium;
 * firefox.test.ts: Debian's firefox-esr), driven by playwright-core (never a downloaded browser) against
 * `podnet ui`'s server with the demo cluster preloaded. It runs the cross-node ping, steps with the arrow
 * keys to the VXLAN hop and checks what a person reads in the frame inspector (outer UDP port 8472, VNI 1,
 * the inner pod addresses) and which bytes light up; an error typed in the editor is underlined on its
 * line; the downloaded pcapng opens in tshark; a big cluster's folded node opens on a click and on Enter
 * to show its pods with the addresses k3s's IPAM gives them; the search finds a pod inside a folded node
 * (by name, part of it, or address), opens the node and outlines the pod, steps through several matches
 * with Enter and says when nothing matches; the Compare view charts BGP sessions; the page logs no
 * console errors; the first topology is painted within the issue's second (when the machine is not busy).
 * Without the browser the tests are skipped, except in CI (CI=true), where they fail.
 */
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { startUiServer, type UiServer } from '../../src/cli/ui.js';
import { cpus, loadavg, tmpdir } from 'node:os';
import { requirePeer } from '../support/peers.js';
import { firstRenderBudgetMs, firstTopologyMs } from './timing.js';
import { tsharkFramesOf } from '../support/tshark.js';
import { expectedPodsOn } from './big-cluster.js';
import { openBigCluster, setEditorText } from './editor.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const site = join(root, 'dist', 'web');
const demo = join(root, 'examples', 'cluster-demo.yaml');

/** The browser a suite runs in. */
export interface SuiteBrowser {
  /** Its name in the tests' titles and messages. */
  name: string;
  /** Its executable (the suite is skipped without it, or fails in CI). */
  bin: string;
  /** How a person installs it. */
  install: string;
  /** Starts it. */
  launch(): Promise<Browser>;
  /**
   * How the pcapng download is checked: Playwright's download event (the default), or the bytes of the
   * link the page clicks, read in the page (where the browser's download events do not reach Playwright).
   */
  downloads?: 'event' | 'blob';
}

/** Defines the UI's browser tests for `b`. */
export function uiSuite(b: SuiteBrowser): void {
  let browser: Browser | undefined;
  let server: UiServer | undefined;
  let page: Page | undefined;
  const consoleErrors: string[] = [];
  let firstRenderMs = 0;
  let loadBefore = 0;

  /** True when the browser is there (else the test is skipped, or fails in CI). */
  function haveBrowser(t: TestContext): boolean {
    return requirePeer(t, b.name, { bin: b.bin, install: b.install });
  }

  before(async () => {
    if (!existsSync(b.bin)) return;
    assert.ok(existsSync(join(site, 'index.html')), `${site} is not built: run npm run build:web`);
    server = await startUiServer({ root: site, file: demo });
    browser = await b.launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}`));
    loadBefore = (loadavg()[0] ?? 0) / cpus().length;
    await page.goto(server.url);
    await page.waitForSelector('.box[data-node="server"]', { timeout: 60_000 });
    firstRenderMs = await firstTopologyMs(page);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test(`${b.name}: the demo cluster is drawn: nodes, pods, the switch, and the VXLAN overlay between the nodes`, async (t) => {
    if (!haveBrowser(t)) return;
    const p = page!;
    // the bar: under 1 s from navigation to the topology painted, on this 2-core machine. Other
    // jobs share the cores in CI, so the 1 s budget is asserted when the machine is quiet, a loose one otherwise
    const budget = firstRenderBudgetMs(loadBefore);
    t.diagnostic(
      `first render of the demo: ${firstRenderMs.toFixed(0)} ms after navigation (load ${loadBefore.toFixed(2)} per core, budget ${budget} ms)`,
    );
    assert.ok(firstRenderMs > 0 && firstRenderMs < budget, `first render took ${firstRenderMs.toFixed(0)} ms`);
    for (const id of ['server', 'agent', 'underlay', 'laptop', 'client'])
      assert.equal(await p.locator(`.box[data-node="${id}"]`).count(), 1, `box ${id}`);
    assert.match((await p.locator('.edge.overlay').textContent()) ?? '', /VXLAN flannel\.1 VNI 1/);
    assert.match((await p.textContent('#status')) ?? '', /^cluster demo: built/);
  });

  test(`${b.name}: cross-node ping: step with the arrow keys to the VXLAN hop; the inspector decodes it and highlights the bytes`, async (t) => {
    if (!haveBrowser(t)) return;
    const p = page!;
    await p.selectOption('select[aria-label="tool"]', 'ping');
    await p.selectOption('select[aria-label="from"]', 'default/client');
    // a web pod on the other node (client runs on agent; web-…-xbwcj on server, 10.42.0.3)
    await p.fill('input[aria-label="to"]', 'default/web-7f64b55889-xbwcj');
    await p.click('#run');
    await p.waitForFunction(() => /\d+\/\d+ ·/.test(document.querySelector('#where')?.textContent ?? ''), null, {
      timeout: 60_000,
    });
    assert.match((await p.textContent('#status')) ?? '', /ping -c 1 10\.42\.0\.3: \d+ frames$/);
    await p.locator('.topo-svg').click({ position: { x: 5, y: 5 } });
    let where = '';
    for (let i = 0; i < 60 && !/VXLAN VNI 1/.test(where); i++) {
      await p.keyboard.press('ArrowRight');
      where = (await p.textContent('#where')) ?? '';
    }
    assert.match(where, /agent eth0 → underlay: VXLAN VNI 1 ICMP echo request/);
    const field = (name: string, nth = 0) => p.locator(`.field[data-field="${name}"]`).nth(nth);
    assert.equal(await field('udp.dstport').textContent(), 'Destination Port: 8472');
    assert.equal(await field('vxlan.vni').textContent(), 'VXLAN Network Identifier (VNI): 1');
    // outer: the nodes; inner: the pods
    assert.equal(await field('ip.src', 0).textContent(), 'Source Address: 192.168.56.12');
    assert.equal(await field('ip.dst', 0).textContent(), 'Destination Address: 192.168.56.11');
    assert.equal(await field('ip.src', 1).textContent(), 'Source Address: 10.42.1.5');
    assert.equal(await field('ip.dst', 1).textContent(), 'Destination Address: 10.42.0.3');
    // the VNI is bytes 46-48 of the frame: 14 Ethernet + 20 IPv4 + 8 UDP + 4 (flags, reserved); RFC 7348 §5
    await field('vxlan.vni').click();
    const lit = await p
      .locator('.hex .byte.hl')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-offset'), e.textContent]));
    assert.deepEqual(lit, [
      ['46', '00'],
      ['47', '00'],
      ['48', '01'],
    ]);
    // and the reverse: a byte of the UDP destination port (0x2118 = 8472 at offsets 36-37) selects its field
    await p.locator('.hex .byte[data-offset="37"]').click();
    assert.equal(await p.locator('.field.hl').getAttribute('data-field'), 'udp.dstport');
    assert.deepEqual(await p.locator('.hex .byte.hl').evaluateAll((els) => els.map((e) => e.textContent)), [
      '21',
      '18',
    ]);
    // the decision label of the device that sent it
    assert.match((await p.locator('.decision[data-label-for="agent"]').textContent()) ?? '', /^encapsulated VNI 1$/);
  });

  test(`${b.name}: the downloaded pcapng of the run opens in tshark, the VXLAN frames with VNI 1 inside`, async (t) => {
    if (!haveBrowser(t)) return;
    if (!requirePeer(t, 'tshark', { bin: 'tshark', install: 'apt-get install -y tshark' })) return;
    const p = page!;
    const dir = mkdtempSync(join(tmpdir(), 'podnet-ui-'));
    try {
      let file: string;
      if (b.downloads === 'blob') {
        // the bytes the page hands to the browser's download (the link's blob), read in the page
        const got = await p.evaluate(async () => {
          // the link save() adds for a moment: its download name
          let name = '';
          const links = new MutationObserver((ms) => {
            for (const m of ms)
              for (const n of Array.from(m.addedNodes)) if (n instanceof HTMLAnchorElement) name ||= n.download;
          });
          links.observe(document.body, { childList: true });
          const bytes = new Promise<Uint8Array>((resolve, reject) => {
            const create = URL.createObjectURL.bind(URL);
            URL.createObjectURL = (blob: Blob | MediaSource) => {
              URL.createObjectURL = create;
              void (blob as Blob).arrayBuffer().then((buf) => resolve(new Uint8Array(buf)));
              return create(blob);
            };
            setTimeout(() => reject(new Error('no download offered in 30 s')), 30_000);
          });
          const button = Array.from(document.querySelectorAll('button')).find((x) => x.textContent === 'pcapng');
          button?.click();
          const got = await bytes;
          links.disconnect();
          return { name, b64: btoa(Array.from(got, (x) => String.fromCharCode(x)).join('')) };
        });
        assert.equal(got.name, 'podnet-run.pcapng');
        file = join(dir, got.name);
        writeFileSync(file, Buffer.from(got.b64, 'base64'));
      } else {
        const [download] = await Promise.all([
          p.waitForEvent('download'),
          p.click('button:has-text("pcapng") >> nth=0'),
        ]);
        file = join(dir, download.suggestedFilename());
        await download.saveAs(file);
        assert.equal(download.suggestedFilename(), 'podnet-run.pcapng');
      }
      const frames = tsharkFramesOf(readFileSync(file), { decodeAs: ['udp.port==8472,vxlan'] });
      const vxlan = frames.filter((f) => f.protocols.includes('vxlan'));
      // the request and the reply, each seen on both underlay cables (node -> switch, switch -> node)
      assert.equal(vxlan.length, 4, frames.map((f) => f.protocols.join(':')).join('\n'));
      for (const f of vxlan) assert.deepEqual(f.fields['vxlan.vni'], ['1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${b.name}: an error in the editor is underlined on its line with podnet's message`, async (t) => {
    if (!haveBrowser(t)) return;
    const p = page!;
    const text = readFileSync(join(root, 'examples', 'two-subnets.yaml'), 'utf8');
    const lines = text.split('\n');
    const bad = lines.findIndex((l) => /address: 10\.0\.1\.\d+\/24/.test(l));
    assert.ok(bad > 0, 'two-subnets.yaml has a 10.0.1.x/24 address');
    lines[bad] = lines[bad]!.replace(/10\.0\.1\.(\d+)\/24/, '10.0.1.$1/33');
    await setEditorText(p, lines.join('\n'));
    await p.waitForSelector('.cm-lintRange-error', { timeout: 30_000 });
    const line = await p.evaluate(() => {
      const el = document.querySelector('.cm-lintRange-error')!.closest('.cm-line')!;
      return Array.from(document.querySelectorAll('.cm-content .cm-line')).indexOf(el) + 1;
    });
    assert.equal(line, bad + 1);
    assert.match((await p.textContent('#status')) ?? '', /^1 problem in the file$/);
    await p.locator('.cm-lintRange-error').hover();
    await p.waitForSelector('.cm-tooltip-lint', { timeout: 10_000 });
    assert.match(
      (await p.textContent('.cm-tooltip-lint')) ?? '',
      /^spec\.nodes\[4\]\.interfaces\[0\]\.address: "10\.0\.1\.2\/33" is not an IPv4 address with prefix length/,
    );
  });

  test(`${b.name}: a big cluster's folded node opens on a click and on Enter, its pods with the addresses IPAM gives them, and folds again; a ping leaves from an open node's pod`, async (t) => {
    if (!haveBrowser(t)) return;
    const p = page!;
    // 16 nodes of 4 pods: more than 60 pods, so drawn from the plan with every node folded
    const plan = await openBigCluster(p, 16, 4);
    const podsOf = (node: string) =>
      p.locator(`[data-unfolded="${node}"] .box[data-node]`).evaluateAll((els) =>
        els.map((e) => ({
          id: e.getAttribute('data-node'),
          label: e.querySelector('.box-name')?.textContent,
          address: e.querySelector('.box-addr')?.textContent,
        })),
      );
    // a click on the folded node opens it; the addresses come once the worker has built the cluster
    await p.locator('.box[data-node="node5"]').click();
    await p.locator('[data-unfolded="node5"]').waitFor({ timeout: 10_000 });
    await p.waitForFunction(() => document.querySelector('[data-unfolded="node5"] .box-addr.pending') === null, null, {
      timeout: 60_000,
    });
    assert.deepEqual(await podsOf('node5'), expectedPodsOn(plan, 'node5'));
    assert.equal(await p.locator('.box[data-node="node5"]').getAttribute('aria-expanded'), 'true');
    // a click on its title folds it: its pods are gone
    await p.locator('[data-unfolded="node5"] .unfolded-node').click({ position: { x: 12, y: 8 } });
    await p.locator('[data-unfolded="node5"]').waitFor({ state: 'detached', timeout: 10_000 });
    for (const pod of expectedPodsOn(plan, 'node5'))
      assert.equal(await p.locator(`.box[data-node="${pod.id}"]`).count(), 0, pod.id);
    // the keyboard: Enter on a focused node opens it and the focus goes to it; Enter again folds it
    await p.locator('.box[data-node="node6"]').focus();
    await p.keyboard.press('Enter');
    await p.locator('[data-unfolded="node6"]').waitFor({ timeout: 10_000 });
    assert.deepEqual(await podsOf('node6'), expectedPodsOn(plan, 'node6'));
    const focused = () =>
      p.evaluate(() => document.activeElement?.closest('[data-unfolded], [data-node]')?.outerHTML.slice(0, 60));
    assert.match((await focused()) ?? '', /^<g class="unfolded" data-unfolded="node6"/);
    await p.keyboard.press('Enter');
    await p.locator('[data-unfolded="node6"]').waitFor({ state: 'detached', timeout: 10_000 });
    assert.match((await focused()) ?? '', /^<g class="box" data-node="node6"/);
    assert.equal(await p.locator('.box[data-node="node6"]').getAttribute('aria-expanded'), 'false');
    // with node5 open, a ping from its first pod is drawn from that pod's own box, not from the folded group
    const from = expectedPodsOn(plan, 'node5')[0]!;
    const to = expectedPodsOn(plan, 'node6')[0]!;
    await p.locator('.box[data-node="node5"]').click();
    await p.locator('[data-unfolded="node5"]').waitFor({ timeout: 10_000 });
    await p.selectOption('select[aria-label="from"]', `default/${from.label}`);
    await p.fill('input[aria-label="to"]', `default/${to.label}`);
    await p.click('#run');
    await p.waitForFunction(() => /^1\/\d+ ·/.test(document.querySelector('#where')?.textContent ?? ''), null, {
      timeout: 60_000,
    });
    assert.match((await p.textContent('#where')) ?? '', new RegExp(`^1/\\d+ · .* · ${from.label} eth0 → node5: ARP`));
    // the pod shows its decision, and the frame leaves from the pod's box
    await p.waitForSelector(`.decision[data-label-for="${from.id}"]`, { state: 'attached', timeout: 10_000 });
    const trail = await p.locator('.trail').evaluate((l) => [l.getAttribute('x1'), l.getAttribute('y1')].map(Number));
    const pod = await p.locator(`[data-unfolded="node5"] .box[data-node="${from.id}"] rect`).evaluate((r) => {
      const m = (r.closest('.box') as SVGGraphicsElement).getCTM()!;
      const w = (document.querySelector('.topo-svg g') as SVGGraphicsElement).getCTM()!.inverse().multiply(m);
      return [w.e + Number(r.getAttribute('width')) / 2, w.f + Number(r.getAttribute('height')) / 2];
    });
    assert.deepEqual(trail, pod);
  });

  test(`${b.name}: the search finds a pod inside a folded node (by name or, once the cluster is built, by address), opens its node and outlines it; a node's name finds the node; Enter moves through several matches; no match says so`, async (t) => {
    if (!haveBrowser(t)) return;
    const p = page!;
    // 20 nodes of 4 pods, drawn from the plan: no pod has an address until the worker builds the cluster
    const plan = await openBigCluster(p, 20, 4);
    const box = 'input[aria-label="search"]';
    /** Waits (up to 30 s) for `read()` to give `want`, and asserts it. */
    const until = async <T>(read: () => Promise<T>, want: T): Promise<void> => {
      let got = await read();
      for (const t0 = Date.now(); !isDeepStrictEqual(got, want) && Date.now() - t0 < 30_000; got = await read())
        await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(got, want);
    };
    const note = () => p.locator('.search-note').textContent();
    const opened = () =>
      p.locator('[data-unfolded]').evaluateAll((els) => els.map((e) => e.getAttribute('data-unfolded')));
    /** The match shown: its outline is there, and the box it outlines is on screen, readable. */
    const shownOn = async (id: string) => {
      await p.locator(`.found.current[data-found="${id}"]`).waitFor({ timeout: 30_000 });
      return p.evaluate((i) => {
        const el = document.querySelector(`[data-unfolded] .box[data-node="${i}"] rect, .box[data-node="${i}"] rect`)!;
        const r = el.getBoundingClientRect();
        const s = document.querySelector('.topo-svg')!.getBoundingClientRect();
        const inside = r.left >= s.left && r.top >= s.top && r.right <= s.right && r.bottom <= s.bottom;
        return inside && r.width / Number(el.getAttribute('width')) >= 0.79;
      }, id);
    };

    // nothing matches: it says so, and outlines nothing
    await p.fill(box, 'no-such-pod');
    await until(note, '· nothing matches “no-such-pod”');
    await until(() => p.locator('.found').count(), 0);

    // a pod's address: the worker builds the cluster for it, then its node opens on it
    const byIp = expectedPodsOn(plan, 'node11')[2]!;
    await p.fill(box, byIp.address.split('/')[0]!);
    assert.ok(await shownOn(byIp.id), `${byIp.id} on screen`);
    await until(opened, ['node11']);
    await until(note, '· 1 found');
    assert.equal(
      await p.locator(`[data-unfolded="node11"] .box[data-node="${byIp.id}"] .box-addr`).textContent(),
      byIp.address,
    );

    // a pod's name: its node opens (the one the search opened before folds), the pod outlined on screen
    const byName = expectedPodsOn(plan, 'node13')[1]!;
    await p.fill(box, byName.label);
    assert.ok(await shownOn(byName.id), `${byName.id} on screen`);
    await until(opened, ['node13']);
    assert.equal(await p.locator('.box[data-node="node13"]').getAttribute('aria-expanded'), 'true');
    await until(note, '· 1 found');
    await until(() => p.locator('.found').count(), 1);
    // a part of its name finds it too
    await p.fill(box, byName.label.slice(-5).toUpperCase());
    assert.ok(await shownOn(byName.id));

    // a node's name finds the node, not its pods' folded box; the node the search opened folds again
    await p.fill(box, 'node7');
    assert.ok(await shownOn('node7'));
    await until(note, '· 1 found');
    await until(opened, []);

    // several matches: every pod's name starts with its Deployment's; the first is shown, Enter shows the next
    const pods0 = expectedPodsOn(plan, 'node0');
    const pods1 = expectedPodsOn(plan, 'node1');
    const common = pods0[0]!.label.slice(0, pods0[0]!.label.lastIndexOf('-') + 1);
    await p.fill(box, common);
    assert.ok(await shownOn(pods0[0]!.id));
    await until(note, '· 80 found, 1 shown (Enter: next)');
    await until(opened, ['node0']);
    for (let i = 1; i < pods0.length; i++) await p.press(box, 'Enter');
    assert.ok(await shownOn(pods0[pods0.length - 1]!.id));
    await p.press(box, 'Enter');
    assert.ok(await shownOn(pods1[0]!.id));
    await until(note, `· 80 found, ${pods0.length + 1} shown (Enter: next)`);
    await until(opened, ['node1']);
    await p.press(box, 'Shift+Enter');
    assert.ok(await shownOn(pods0[pods0.length - 1]!.id));
    await until(opened, ['node0']);
    // cleared: no outline; what the search opened stays open
    await p.fill(box, '');
    await until(note, '');
    await until(() => p.locator('.found').count(), 0);
    await until(opened, ['node0']);
  });

  test(`${b.name}: Compare: BGP sessions against node count, full mesh against two route reflectors, per node and in total`, async (t) => {
    if (!haveBrowser(t)) return;
    const p = page!;
    await p.click('[data-tab="compare"]');
    await p.waitForSelector('.bgp-chart', { timeout: 60_000 });
    const bar = (metric: string, nodes: number, mode: string) =>
      p
        .locator(`.bgp-chart [data-metric="${metric}"] [data-nodes="${nodes}"][data-mode="${mode}"] .bar-value`)
        .textContent();
    assert.equal(await bar('total', 1000, 'mesh'), '499,500');
    assert.equal(await bar('total', 1000, 'rr'), '1,997');
    assert.equal(await bar('perNode', 1000, 'rr'), '2 (a reflector: 999)');
    assert.equal(await bar('perNode', 10, 'mesh'), '9 · run: 9');
    assert.equal(await bar('total', 10, 'rr'), '17 · run: 17');
    // log scale: the mesh's bar is longer than the reflectors' at every size
    const width = async (nodes: number, mode: string) =>
      Number(
        await p
          .locator(`.bgp-chart [data-metric="total"] [data-nodes="${nodes}"][data-mode="${mode}"] rect`)
          .getAttribute('width'),
      );
    for (const n of [10, 100, 1000]) assert.ok((await width(n, 'mesh')) > (await width(n, 'rr')), `${n} nodes`);
    await p.click('[data-tab="frame"]');
  });

  test(`${b.name}: no console errors`, (t) => {
    if (!haveBrowser(t)) return;
    assert.deepEqual(consoleErrors, []);
  });
}
