// Debian's Chromium for the status page tests, driven by playwright-core (which never downloads a browser): skipped
// with a loud name when it is missing, unless BOITATA_REQUIRE_BROWSER=1 (CI), which makes a missing one fail.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { describe } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';

const browserMissing = !existsSync(CHROMIUM) && process.env['BOITATA_REQUIRE_BROWSER'] !== '1';

export const describeBrowser = browserMissing
  ? (name: string, body: () => void) =>
      describe.skip(`${name} [SKIPPED: ${CHROMIUM} not found; apt-get install chromium, or set BOITATA_REQUIRE_BROWSER=1 to fail]`, body)
  : describe;

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`BOITATA_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing: apt-get install chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
