import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  BODY,
  emailKeys,
  RECIPIENT,
  startRelay,
  webhookKeys,
  type EscalationRelay,
  type EscalationSetup,
} from './helpers/relay.js';
import { startSmtpCatcher, type SmtpCatcher } from './helpers/smtp.js';
import { settle } from './helpers/time.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/webhook.js';

const message = { to: RECIPIENT, body: BODY };

let relay: EscalationRelay | undefined;
let smtp: SmtpCatcher | undefined;
let receiver: WebhookReceiver | undefined;

afterEach(async () => {
  vi.useRealTimers();
  await relay?.close();
  await smtp?.close();
  await receiver?.close();
  relay = undefined;
  smtp = undefined;
  receiver = undefined;
});

/** Starts a gateway under fake timers whose alerts go to the error log. */
function startAlertRelay(setup: EscalationSetup = {}): EscalationRelay {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  relay = startRelay({ alerts: 'repeat_window_ms = 30000', ...setup });
  return relay;
}

/** Sends one message and returns its HTTP status, firing the simulators' timers. */
async function send(current: EscalationRelay): Promise<number> {
  return (await settle(current.send(message))).status;
}

/** Returns the operator alerts in the error log once every pending write has finished. */
async function alertLines(current: EscalationRelay): Promise<Record<string, unknown>[]> {
  await current.gateway.escalator.flush();
  return current.errorLogLines().filter((line) => line['type'] !== 'message_escalation');
}

describe('provider down alert', () => {
  it('alerts once while failover hides the outage', async () => {
    const relay = startAlertRelay();
    relay.simulator('sim-a').simulate({ mode: 'transient' });

    // 50 messages over 2 minutes; the breaker opens for 60 s and fails its half-open trials.
    const statuses: number[] = [];
    for (let index = 0; index < 50; index += 1) {
      statuses.push(await send(relay));
      await vi.advanceTimersByTimeAsync(2400);
    }
    const alerts = await alertLines(relay);

    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(relay.simulator('sim-b').sentCount).toBe(50);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      type: 'provider_down',
      provider: 'sim-a',
      state: 'open',
      reason: '3 consecutive failures',
      folded: { provider_down: 0, provider_recovered: 0 },
    });
  });

  it('sends one recovery notice when the breaker closes', async () => {
    const relay = startAlertRelay();
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    for (let index = 0; index < 3; index += 1) {
      await send(relay);
    }
    relay.simulator('sim-a').simulate({ mode: 'ok' });

    // Half-open after 60 s; two successful trials close the breaker.
    await vi.advanceTimersByTimeAsync(60_000);
    await send(relay);
    await send(relay);
    await send(relay);
    const alerts = await alertLines(relay);

    expect(alerts.map((alert) => alert['type'])).toEqual(['provider_down', 'provider_recovered']);
    expect(alerts[1]).toMatchObject({
      provider: 'sim-a',
      state: 'closed',
      reason: '2 successful trial calls',
    });
    expect(alerts[1]?.['down_since']).toBe(alerts[0]?.['at']);
  });

  it('names the configuration fault once', async () => {
    const relay = startAlertRelay();
    relay.simulator('sim-a').simulate({ mode: 'provider' });
    for (let index = 0; index < 3; index += 1) {
      await send(relay);
    }
    const alerts = await alertLines(relay);

    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.['reason']).toBe('configuration fault (HTTP 401)');
  });

  it('reports each alert as an escalation event', async () => {
    const relay = startAlertRelay();
    relay.simulator('sim-a').simulate({ mode: 'provider' });
    await send(relay);
    await alertLines(relay);

    expect(relay.deliveries).toMatchObject([
      { channel: 'error_log', outcome: 'delivered', kind: 'provider_down', provider: 'sim-a' },
    ]);
  });
});

describe('folded alerts', () => {
  /** One failure opens the breaker for 1 s, and one successful trial closes it. */
  const flapping: EscalationSetup = {
    alerts: 'repeat_window_ms = 60000',
    breaker: 'failure_threshold = 1\nopen_duration_ms = 1000\nsuccess_threshold = 1',
  };

  /** Opens and closes the primary's breaker: down, recovered, down, recovered. */
  async function flap(current: EscalationRelay): Promise<void> {
    const primary = current.simulator('sim-a');
    for (let cycle = 0; cycle < 2; cycle += 1) {
      primary.simulate({ mode: 'transient' });
      await send(current);
      await vi.advanceTimersByTimeAsync(1000);
      primary.simulate({ mode: 'ok' });
      await send(current);
    }
  }

  it('holds back alerts within the repeat window', async () => {
    const relay = startAlertRelay(flapping);
    await flap(relay);
    const alerts = await alertLines(relay);
    expect(alerts.map((alert) => alert['type'])).toEqual(['provider_down']);
  });

  it('sends a summary when the window ends', async () => {
    const relay = startAlertRelay(flapping);
    await flap(relay);
    await vi.advanceTimersByTimeAsync(60_000);
    const alerts = await alertLines(relay);

    expect(alerts.map((alert) => alert['type'])).toEqual([
      'provider_down',
      'provider_alert_summary',
    ]);
    expect(alerts[1]).toMatchObject({
      provider: 'sim-a',
      state: 'closed',
      folded: { provider_down: 1, provider_recovered: 2 },
      down_since: null,
    });
  });

  it('sends no summary when nothing was held back', async () => {
    const relay = startAlertRelay(flapping);
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    await send(relay);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(await alertLines(relay)).toHaveLength(1);
  });

  it('alerts at once after a quiet window', async () => {
    const relay = startAlertRelay(flapping);
    await flap(relay);
    await vi.advanceTimersByTimeAsync(60_000);
    // The summary started a new window; after it ends quietly the next change alerts at once.
    await vi.advanceTimersByTimeAsync(60_000);
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    await send(relay);
    const alerts = await alertLines(relay);

    expect(alerts.map((alert) => alert['type'])).toEqual([
      'provider_down',
      'provider_alert_summary',
      'provider_down',
    ]);
    expect(alerts[2]?.['folded']).toEqual({ provider_down: 0, provider_recovered: 0 });
  });

  it('sends held-back alerts at shutdown', async () => {
    const relay = startAlertRelay(flapping);
    await flap(relay);
    await relay.gateway.close();
    const alerts = relay.errorLogLines();

    expect(alerts.map((alert) => alert['type'])).toEqual([
      'provider_down',
      'provider_alert_summary',
    ]);
    expect(alerts[1]?.['folded']).toEqual({ provider_down: 1, provider_recovered: 2 });
  });
});

describe('alert channels', () => {
  it('emails and posts the alert', async () => {
    smtp = await startSmtpCatcher();
    receiver = await startWebhookReceiver();
    relay = startRelay({
      email: emailKeys(smtp.url),
      webhook: webhookKeys(receiver.url),
      alerts: 'channels = ["email", "webhook"]',
    });
    relay.simulator('sim-a').simulate({ mode: 'transient' });
    for (let index = 0; index < 3; index += 1) {
      await relay.send(message);
    }
    const [mail] = await smtp.waitForMails(1);
    const [request] = await receiver.waitForRequests(1);

    expect(mail?.parsed.subject).toBe('[sms-relay] provider sim-a is down: 3 consecutive failures');
    expect(mail?.parsed.text).toContain('Provider:   sim-a');
    expect(JSON.parse(request!.body.toString('utf8'))).toMatchObject({
      type: 'provider_down',
      provider: 'sim-a',
      reason: '3 consecutive failures',
    });
  });
});
