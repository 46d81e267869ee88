import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  ADMIN_TOKEN,
  createTestGateway,
  gatewayToml,
  type TestGateway,
} from '../helpers/gateway.js';

const message = { to: '+14155550100', body: 'db-1 disk 97% full' };

let relay: TestGateway | undefined;

function start(toml = gatewayToml()): TestGateway {
  relay = createTestGateway(toml);
  return relay;
}

afterEach(async () => {
  vi.useRealTimers();
  await relay?.close();
  relay = undefined;
});

async function page(gateway: TestGateway): Promise<string> {
  const response = await gateway.app.request('/status');
  expect(response.status).toBe(200);
  return response.text();
}

/** Returns the text of the element whose opening tag contains `marker`, with tags removed. */
function textOf(html: string, marker: string): string | undefined {
  const start = html.indexOf(marker);
  if (start === -1) {
    return undefined;
  }
  const open = html.lastIndexOf('<', start);
  const tag = /^<([a-z0-9]+)/.exec(html.slice(open))?.[1] ?? '';
  const end = html.indexOf(`</${tag}>`, start);
  return html
    .slice(html.indexOf('>', start) + 1, end)
    .replace(/<[^>]+>/g, '')
    .trim();
}

function providerCard(html: string, id: string): string {
  const start = html.indexOf(`id="provider-${id}"`);
  return html.slice(start, html.indexOf('</article>', start));
}

async function openSimA(gateway: TestGateway): Promise<void> {
  gateway.simulator('sim-a').simulate({ mode: 'transient' });
  for (let i = 0; i < 3; i++) {
    await gateway.send(message);
  }
}

describe('GET /status', () => {
  it('serves HTML without credentials', async () => {
    const response = await start().app.request('/status');
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toMatch(/^text\/html/);
    expect(await response.text()).toMatch(/^<!doctype html>/);
  });

  it('loads no external assets', async () => {
    const html = await page(start());
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toContain('@import');
  });

  it('sends a policy that blocks other origins', async () => {
    const response = await start().app.request('/status');
    const policy = response.headers.get('Content-Security-Policy') ?? '';
    expect(policy).toContain("default-src 'none'");
    expect(policy).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(policy).toContain("connect-src 'self'");
  });

  it('shows a closed breaker', async () => {
    const card = providerCard(await page(start()), 'sim-a');
    expect(card).toContain('data-state="closed"');
    expect(textOf(card, 'data-field="state"')).toBe('Closed');
  });

  it('shows an open breaker with its countdown', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const gateway = start();
    await openSimA(gateway);
    vi.advanceTimersByTime(15_000);

    const card = providerCard(await page(gateway), 'sim-a');
    expect(card).toContain('data-state="open"');
    expect(textOf(card, 'data-field="state"')).toBe('Open');
    // open_duration_ms in the test config is 60 s.
    expect(textOf(card, 'data-field="state_detail"')).toBe('Open for 15s · may half-open in 45s');
    expect(textOf(card, 'data-field="consecutive_failures"')).toBe('3');
  });

  it('shows the figures of the last five minutes', async () => {
    const gateway = start();
    await openSimA(gateway);
    const card = providerCard(await page(gateway), 'sim-a');
    expect(textOf(card, 'data-field="success_rate"')).toBe('0%');
    expect(textOf(card, 'data-field="window_attempts"')).toBe('3');
    expect(textOf(card, 'data-field="p50"')).toMatch(/^\d+ ms$/);
    expect(textOf(card, 'data-count="transient"')).toBe('3');
  });

  it('shows the last error', async () => {
    const gateway = start();
    await openSimA(gateway);
    const text = textOf(providerCard(await page(gateway), 'sim-a'), 'data-field="last_error"');
    expect(text).toMatch(/^Last error at \d\d:\d\d:\d\d UTC: transient, HTTP 503\./);
  });

  it('shows the timeline with reasons', async () => {
    const gateway = start();
    await openSimA(gateway);
    const timeline = textOf(providerCard(await page(gateway), 'sim-a'), 'data-field="history"');
    expect(timeline).toMatch(/UTC Closed → Open: 3 consecutive failures$/);
  });

  it('names the provider that would send now', async () => {
    const gateway = start();
    expect(textOf(await page(gateway), 'data-field="next"')).toBe('sim-a');
    await openSimA(gateway);
    expect(textOf(await page(gateway), 'data-field="next"')).toBe('sim-b');
  });

  it('escapes an operator reason', async () => {
    const gateway = start();
    await gateway.app.request('/admin/providers/sim-a/drain', {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ reason: '<img src=x onerror=alert(1)>' }),
    });
    const html = await page(gateway);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('shows no phone number or message text', async () => {
    const gateway = start();
    gateway.simulator('sim-a').simulate({ mode: 'rejected' });
    await gateway.send(message);
    const html = await page(gateway);
    expect(html).not.toContain('4155550100');
    expect(html).not.toContain('disk 97%');
  });

  it('hides the admin forms until the script shows them', async () => {
    const html = await page(start());
    expect(html).toMatch(/<form class="actions" data-provider="sim-a" hidden/);
    expect(html).toMatch(/<form id="token-form" class="token" hidden/);
  });
});

describe('require_admin_token', () => {
  const locked = () => start(gatewayToml({ extra: '[status_page]\nrequire_admin_token = true' }));

  it.each(['/status', '/status/events', '/metrics'])('%s answers 401 without it', async (path) => {
    const response = await locked().app.request(path);
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toMatch(/^Basic realm="sms-relay status"/);
  });

  it('takes the token as a bearer token', async () => {
    const response = await locked().app.request('/metrics', {
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(response.status).toBe(200);
  });

  it('takes the token as the Basic password', async () => {
    const credentials = Buffer.from(`anyone:${ADMIN_TOKEN}`).toString('base64');
    const response = await locked().app.request('/status', {
      headers: { Authorization: `Basic ${credentials}` },
    });
    expect(response.status).toBe(200);
  });

  it('rejects a wrong token', async () => {
    const credentials = Buffer.from('ops:not-the-token-0123').toString('base64');
    const response = await locked().app.request('/status', {
      headers: { Authorization: `Basic ${credentials}` },
    });
    expect(response.status).toBe(401);
  });

  it('leaves /health open', async () => {
    const response = await locked().app.request('/health/ready');
    expect(response.status).toBe(200);
  });
});
