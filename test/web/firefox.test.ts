/**
 * The browser UI's suite (ui-suite.ts) in Debian's firefox-esr, through playwright-core's WebDriver BiDi
 * client (`channel: 'moz-firefox'`). firefox-esr 153 lacks one command Playwright 1.65 sends when it opens
 * a context (emulation.setMediaFeaturesOverride), so the browser is started through firefox-shim.ts, which
 * answers that command and relays everything else. The pcapng download is checked by the bytes the page
 * offers, as Playwright's download event does not arrive from this Firefox.
 */
import { after } from 'node:test';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firefox } from 'playwright-core';
import { uiSuite } from './ui-suite.js';

const FIREFOX = '/usr/bin/firefox-esr';
const dir = mkdtempSync(join(tmpdir(), 'podnet-firefox-'));
after(() => rmSync(dir, { recursive: true, force: true }));

uiSuite({
  name: "Debian's firefox-esr",
  bin: FIREFOX,
  install: 'apt-get install -y firefox-esr',
  // Playwright's download event does not arrive from firefox-esr 153 over BiDi (the click is made, the
  // event never comes): the bytes the page offers are checked instead
  downloads: 'blob',
  launch: () => {
    // the executable Playwright starts: the shim, run by this node
    const shim = join(dir, 'firefox');
    const js = join(dirname(fileURLToPath(import.meta.url)), 'firefox-shim.js');
    writeFileSync(shim, `#!/bin/sh\nPODNET_FIREFOX=${FIREFOX} exec '${process.execPath}' '${js}' "$@"\n`);
    chmodSync(shim, 0o755);
    return firefox.launch({
      channel: 'moz-firefox',
      executablePath: shim,
      headless: true,
      env: { ...process.env, HOME: dir },
    });
  },
});
