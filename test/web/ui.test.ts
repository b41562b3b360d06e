/**
 * The browser UI's suite (ui-suite.ts) in Debian's chromium.
 */
import { chromium } from 'playwright-core';
import { uiSuite } from './ui-suite.js';

const CHROMIUM = '/usr/bin/chromium';

uiSuite({
  name: "Debian's chromium",
  bin: CHROMIUM,
  install: 'apt-get install -y chromium',
  launch: () => chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] }),
});
