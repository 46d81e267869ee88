import { afterEach, describe, expect, it } from 'vitest';

import {
  ADMIN_TOKEN,
  createTestGateway,
  gatewayToml,
  type TestGateway,
} from '../helpers/gateway.js';
import { parseExposition, sampleValue, type Exposition } from './prometheus-text.js';

const message = { to: '+14155550100', body: 'db-1 disk 97% full' };
const gateways: TestGateway[] = [];

function start(toml = gatewayToml()): TestGateway {
  const relay = createTestGateway(toml);
  gateways.push(relay);
  return relay;
}

afterEach(async () => {
  await Promise.all(gateways.splice(0).map((relay) => relay.close()));
});

async function scrape(relay: TestGateway): Promise<Exposition> {
  const response = await relay.app.request('/metrics');
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

async function sendMessages(relay: TestGateway, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await relay.send(message);
  }
}

describe('GET /metrics', () => {
  it('answers in the Prometheus text format', async () => {
    const relay = start();
    const response = await relay.app.request('/metrics');
    expect(response.headers.get('Content-Type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const exposition = parseExposition(await response.text());
    expect(exposition.samples.length).toBeGreaterThan(0);
  });

  it('is checked by a parser that can fail', () => {
    expect(() => parseExposition('# TYPE a counter\na{b="c" 1\n')).toThrow(/line 2/);
    expect(() => parseExposition('undeclared_total 1\n')).toThrow(/undeclared/);
  });

  it('declares every gateway metric', async () => {
    const { types } = await scrape(start());
    expect(
      Object.fromEntries([...types].filter(([name]) => name.startsWith('sms_relay_'))),
    ).toEqual({
      sms_relay_messages_total: 'counter',
      sms_relay_attempts_total: 'counter',
      sms_relay_callbacks_total: 'counter',
      sms_relay_attempt_duration_seconds: 'histogram',
      sms_relay_breaker_transitions_total: 'counter',
      sms_relay_failovers_total: 'counter',
      sms_relay_retries_total: 'counter',
      sms_relay_escalations_total: 'counter',
      sms_relay_breaker_state: 'gauge',
      sms_relay_provider_drained: 'gauge',
    });
  });

  it('includes the default process metrics', async () => {
    const { types } = await scrape(start());
    expect(types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(types.get('nodejs_heap_size_used_bytes')).toBe('gauge');
  });

  it('needs no credentials by default', async () => {
    const relay = start();
    const response = await relay.app.request('/metrics');
    expect(response.status).toBe(200);
  });
});

describe('counters', () => {
  it('count sent messages and attempts', async () => {
    const relay = start();
    const before = await scrape(relay);
    await sendMessages(relay, 2);
    const after = await scrape(relay);

    const sent = { route: 'default', outcome: 'sent' };
    expect(sampleValue(before, 'sms_relay_messages_total', sent)).toBe(0);
    expect(sampleValue(after, 'sms_relay_messages_total', sent)).toBe(2);
    const attempts = { provider: 'sim-a', outcome: 'sent' };
    expect(sampleValue(after, 'sms_relay_attempts_total', attempts)).toBe(2);
    const durations = { provider: 'sim-a' };
    expect(sampleValue(after, 'sms_relay_attempt_duration_seconds_count', durations)).toBe(2);
  });

  it('count failovers and breaker transitions', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    await sendMessages(relay, 3);
    const metrics = await scrape(relay);

    const failed = { provider: 'sim-a', outcome: 'transient' };
    expect(sampleValue(metrics, 'sms_relay_attempts_total', failed)).toBe(3);
    expect(sampleValue(metrics, 'sms_relay_failovers_total', { from: 'sim-a' })).toBe(3);
    const opened = { provider: 'sim-a', to: 'open' };
    expect(sampleValue(metrics, 'sms_relay_breaker_transitions_total', opened)).toBe(1);
  });

  it('show the breaker state', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    await sendMessages(relay, 3);
    const metrics = await scrape(relay);

    const state = (provider: string, value: string) =>
      sampleValue(metrics, 'sms_relay_breaker_state', { provider, state: value });
    expect(state('sim-a', 'open')).toBe(1);
    expect(state('sim-a', 'closed')).toBe(0);
    expect(state('sim-b', 'closed')).toBe(1);
  });

  it('count retries', async () => {
    const relay = start(gatewayToml({ extra: '' }).replace('max_attempts = 1', 'max_attempts = 2'));
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    await sendMessages(relay, 1);
    const metrics = await scrape(relay);
    expect(sampleValue(metrics, 'sms_relay_retries_total', { provider: 'sim-a' })).toBe(1);
  });

  it('count escalations when every provider fails', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    relay.simulator('sim-b').simulate({ mode: 'transient' });
    await sendMessages(relay, 1);
    const metrics = await scrape(relay);

    const failed = { route: 'default', outcome: 'all_providers_failed' };
    expect(sampleValue(metrics, 'sms_relay_messages_total', failed)).toBe(1);
    const handedOff = { channel: 'error_log', outcome: 'handed_off' };
    expect(sampleValue(metrics, 'sms_relay_escalations_total', handedOff)).toBe(1);
  });

  it('count escalation deliveries by outcome', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    relay.simulator('sim-b').simulate({ mode: 'transient' });
    await sendMessages(relay, 2);
    await relay.gateway.escalator.flush();
    const metrics = await scrape(relay);

    const delivered = { channel: 'error_log', outcome: 'delivered' };
    const failed = { channel: 'error_log', outcome: 'failed' };
    expect(sampleValue(metrics, 'sms_relay_escalations_total', delivered)).toBe(2);
    expect(sampleValue(metrics, 'sms_relay_escalations_total', failed)).toBe(0);
  });

  it('show a drained provider', async () => {
    const relay = start();
    await relay.app.request('/admin/providers/sim-b/drain', {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ reason: 'maintenance' }),
    });
    const metrics = await scrape(relay);
    expect(sampleValue(metrics, 'sms_relay_provider_drained', { provider: 'sim-b' })).toBe(1);
    expect(sampleValue(metrics, 'sms_relay_provider_drained', { provider: 'sim-a' })).toBe(0);
  });

  it('belong to one gateway', async () => {
    const first = start();
    const second = start();
    await sendMessages(first, 1);
    const sent = { route: 'default', outcome: 'sent' };
    expect(sampleValue(await scrape(second), 'sms_relay_messages_total', sent)).toBe(0);
  });
});

describe('labels', () => {
  it('never hold a phone number or message text', async () => {
    const relay = start();
    relay.simulator('sim-a').simulate({ mode: 'rejected' });
    await sendMessages(relay, 1);
    const text = await (await relay.app.request('/metrics')).text();
    const labelValues = parseExposition(text).samples.flatMap((sample) =>
      Object.values(sample.labels),
    );
    expect(labelValues.some((value) => /\d{6}/.test(value))).toBe(false);
    expect(text).not.toContain('4155550100');
    expect(text).not.toContain('disk 97%');
  });
});
