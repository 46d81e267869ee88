import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startServer, type RunningServer } from '../../src/server.js';
import {
  ADMIN_TOKEN,
  API_KEY,
  createTestGateway,
  freePort,
  gatewayToml,
  type TestGateway,
} from '../helpers/gateway.js';

// Debian's chromium package; CHROMIUM_PATH points elsewhere. CI installs it (see .ci/run), so
// there a missing browser fails the test instead of skipping it.
const executablePath = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const browserMissing = !existsSync(executablePath) && process.env['CI'] !== 'true';

/** Where the screenshots go; the copy in docs/ is refreshed by hand from here. */
const artifactsDir = process.env['SMS_RELAY_ARTIFACTS_DIR'] ?? join('test-artifacts', 'browser');

// Without the background-networking flags Chromium tries to reach Google's hosts at start-up.
const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const message = { to: '+14155550100', body: 'db-1 disk 97% full' };
const WAIT_MS = 10_000;

describe.skipIf(browserMissing)('status page in Chromium', () => {
  let relay: TestGateway;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    const port = await freePort();
    relay = createTestGateway(gatewayToml({ extra: `[server]\nport = ${port}` }), {
      logEvents: false,
    });
    server = await startServer(relay.gateway, relay.logger);
    // playwright-core gives every launch a fresh temporary profile directory.
    browser = await chromium.launch({ executablePath, headless: true, args: chromiumArgs });
    mkdirSync(artifactsDir, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.shutdown();
    await relay?.close();
  });

  async function post(path: string, token: string, body: unknown): Promise<number> {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    await response.arrayBuffer();
    return response.status;
  }

  async function openPage(viewport: { width: number; height: number }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${server.url}/status`);
    await page.locator('#live', { hasText: /^live$/ }).waitFor({ timeout: WAIT_MS });
    expect(errors).toEqual([]);
    return page;
  }

  const card = (page: Page, id: string) => page.locator(`#provider-${id}`);

  it('shows a breaker open live', async () => {
    const page = await openPage({ width: 1280, height: 900 });
    expect(await card(page, 'sim-a').getAttribute('data-state')).toBe('closed');
    await page.evaluate('window.loadedOnce = true');

    expect(await post('/admin/providers/sim-a/simulate', ADMIN_TOKEN, { mode: 'transient' })).toBe(
      200,
    );
    for (let i = 0; i < 3; i++) {
      expect(await post('/v1/messages', API_KEY, message)).toBe(200);
    }

    await page.locator('#provider-sim-a[data-state="open"]').waitFor({ timeout: WAIT_MS });
    expect(await card(page, 'sim-a').locator('[data-field="state"]').textContent()).toBe('Open');
    expect(await card(page, 'sim-a').locator('[data-field="history"]').textContent()).toContain(
      '3 consecutive failures',
    );
    expect(await page.locator('[data-route="default"] [data-field="next"]').textContent()).toBe(
      'sim-b',
    );
    expect(await page.locator('#health').textContent()).toBe('degraded');
    // The same document was patched; a reload would have dropped this flag.
    expect(await page.evaluate('window.loadedOnce')).toBe(true);
    await page.screenshot({ path: join(artifactsDir, 'status-page.png'), fullPage: true });
    await page.close();
  });

  it('closes a breaker from its form', async () => {
    const page = await openPage({ width: 1280, height: 900 });
    // The test before opened this breaker.
    expect(await card(page, 'sim-a').getAttribute('data-state')).toBe('open');
    relay.simulator('sim-a').simulate({ mode: 'ok' });
    await page.fill('#token-form input[name="token"]', ADMIN_TOKEN);
    const form = page.locator('form.actions[data-provider="sim-a"]');
    await form.locator('input[name="reason"]').fill('provider fixed');
    await form.locator('button[value="close"]').click();

    await page.locator('#provider-sim-a[data-state="closed"]').waitFor({ timeout: WAIT_MS });
    expect(await page.locator('#action-result').textContent()).toBe('sim-a: close done.');
    expect(
      await card(page, 'sim-a').locator('[data-field="history"] li').first().textContent(),
    ).toMatch(/Open → Closed: provider fixed \(by ops\)$/);
    await page.close();
  });

  it('fits a phone screen', async () => {
    const page = await openPage({ width: 390, height: 844 });
    const scrollWidth = await page.evaluate('document.documentElement.scrollWidth');
    expect(scrollWidth).toBeLessThanOrEqual(390);
    await page.screenshot({ path: join(artifactsDir, 'status-page-phone.png'), fullPage: true });
    await page.close();
  });
});
