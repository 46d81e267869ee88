import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  BODY,
  emailKeys,
  failBothProviders,
  MASKED_RECIPIENT,
  RECIPIENT,
  startRelay,
  deliveriesOf,
  waitForDelivery,
  type EscalationRelay,
} from './helpers/relay.js';
import { startSmtpCatcher, type SmtpCatcher } from './helpers/smtp.js';
import { runUntil, settle } from './helpers/time.js';

const message = { to: RECIPIENT, body: BODY };

let relay: EscalationRelay | undefined;
let smtp: SmtpCatcher | undefined;

afterEach(async () => {
  if (vi.isFakeTimers() && relay !== undefined) {
    // Timers made while time was fake never fire once it is real: end the deliveries first.
    await settle(relay.gateway.escalator.flush(100));
  }
  vi.useRealTimers();
  await relay?.close();
  await smtp?.close();
  relay = undefined;
  smtp = undefined;
});

/** Starts an SMTP catcher and a gateway that escalates to the error log and by email. */
async function startEmailRelay(
  emailExtra = '',
  random?: () => number,
): Promise<{ relay: EscalationRelay; smtp: SmtpCatcher }> {
  smtp = await startSmtpCatcher();
  relay = startRelay(
    { escalate: '["error_log", "email"]', email: emailKeys(smtp.url, emailExtra) },
    random === undefined ? {} : { random },
  );
  failBothProviders(relay);
  return { relay, smtp };
}

function emailEvents(current: EscalationRelay) {
  return deliveriesOf(current, 'email');
}

describe('email escalation', () => {
  it('sends the message to the configured recipients', async () => {
    const { relay, smtp } = await startEmailRelay();
    const response = await relay.send({ ...message, reference: 'incident-42' });
    const [mail] = await smtp.waitForMails(1);

    expect(response.status).toBe(502);
    expect(mail?.envelope.from).toBe('relay@example.com');
    expect(mail?.envelope.to).toEqual(['ops@example.com']);
    expect(mail?.parsed.from?.value).toEqual([{ name: 'sms-relay', address: 'relay@example.com' }]);
    expect(mail?.parsed.subject).toBe(
      '[sms-relay] message not sent on route default: every provider failed',
    );
  });

  it('carries the message, masked recipient and attempts', async () => {
    const { relay, smtp } = await startEmailRelay();
    const problem = (await (await relay.send({ ...message, reference: 'incident-42' })).json()) as {
      id: string;
    };
    const [mail] = await smtp.waitForMails(1);
    const text = mail?.parsed.text ?? '';

    expect(text).toContain(BODY);
    expect(text).toContain(`Message id: ${problem.id}`);
    expect(text).toContain(`Recipient:  ${MASKED_RECIPIENT}`);
    expect(text).toContain('Reference:  incident-42');
    expect(text).toContain('1. sim-a: transient, HTTP 503');
    expect(text).toContain('2. sim-b: transient, HTTP 503');
    expect(mail?.raw).not.toContain('4155550100');
  });

  it('shows the full recipient when configured', async () => {
    const { relay, smtp } = await startEmailRelay('include_full_recipient = true');
    await relay.send(message);
    const [mail] = await smtp.waitForMails(1);
    expect(mail?.parsed.text).toContain(`Recipient:  ${RECIPIENT}`);
  });

  it('shares the event id with the error log', async () => {
    const { relay, smtp } = await startEmailRelay();
    await relay.send(message);
    const [mail] = await smtp.waitForMails(1);
    await relay.gateway.escalator.flush();

    const eventId = relay.errorLogLines()[0]?.['event_id'];
    expect(typeof eventId).toBe('string');
    expect(mail?.parsed.headers.get('x-sms-relay-event-id')).toBe(eventId);
    expect(mail?.parsed.messageId).toBe(`<${String(eventId)}@sms-relay>`);
    expect(mail?.parsed.headers.get('auto-submitted')).toBe('auto-generated');
  });

  it('fills in the subject template', async () => {
    const { relay, smtp } = await startEmailRelay(
      'subject = "SMS FAILED {route} {provider} {message_id}"',
    );
    const problem = (await (await relay.send(message)).json()) as { id: string };
    const [mail] = await smtp.waitForMails(1);
    expect(mail?.parsed.subject).toBe(`SMS FAILED default sim-a, sim-b ${problem.id}`);
  });

  it('reports the delivery', async () => {
    const { relay, smtp } = await startEmailRelay();
    await relay.send(message);
    await smtp.waitForMails(1);
    const delivered = await waitForDelivery(relay, (event) => event.channel === 'email');

    expect(delivered?.outcome).toBe('delivered');
    expect(delivered?.kind).toBe('message_escalation');
    expect(delivered?.attempt).toBe(1);
  });
});

describe('email header injection', () => {
  const injected =
    'disk full\r\nBcc: attacker@example.com\r\nSubject: all clear\r\n\r\n' +
    '.\r\nMAIL FROM:<attacker@example.com>\r\nRCPT TO:<attacker@example.com>\r\nDATA\r\n';

  it('sends to the configured recipients only', async () => {
    const { relay, smtp } = await startEmailRelay();
    await relay.send({
      to: RECIPIENT,
      body: injected,
      // The API rejects line breaks in a reference, so only a header-shaped value gets this far.
      reference: 'Bcc: attacker@example.com',
    });
    await smtp.waitForMails(1);
    await relay.gateway.escalator.flush();

    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]?.envelope.to).toEqual(['ops@example.com']);
    expect(smtp.recipientCommands()).toBe(1);
  });

  it('adds no header from the message', async () => {
    const { relay, smtp } = await startEmailRelay();
    await relay.send({
      to: RECIPIENT,
      body: injected,
      // The API rejects line breaks in a reference, so only a header-shaped value gets this far.
      reference: 'Bcc: attacker@example.com',
    });
    const [mail] = await smtp.waitForMails(1);

    expect(mail?.parsed.bcc).toBeUndefined();
    expect(mail?.parsed.headers.has('bcc')).toBe(false);
    expect(mail?.parsed.subject).toBe(
      '[sms-relay] message not sent on route default: every provider failed',
    );
  });

  it('keeps the injected text in the body', async () => {
    const { relay, smtp } = await startEmailRelay();
    await relay.send({ to: RECIPIENT, body: injected });
    const [mail] = await smtp.waitForMails(1);

    expect(mail?.parsed.text).toContain('Bcc: attacker@example.com');
    expect(mail?.parsed.text).toContain('MAIL FROM:<attacker@example.com>');
  });
});

describe('email failures', () => {
  it('retries a mailbox over quota (452)', async () => {
    const { relay, smtp } = await startEmailRelay('max_attempts = 3');
    let rejections = 0;
    smtp.behaviour.rejectRecipient = () => (rejections++ < 1 ? 452 : undefined);
    await relay.send(message);
    await smtp.waitForMails(1);
    await relay.gateway.escalator.flush();

    const email = relay.deliveries.filter((event) => event.channel === 'email');
    expect(email.map((event) => event.outcome)).toEqual(['failed_retryable', 'delivered']);
    expect(email[0]?.error).toMatch(/^EENVELOPE 452: /);
    expect(smtp.recipientCommands()).toBe(2);
  });

  it('shows a pending 452 retry in health', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    // A jitter of 0.5 makes the first backoff half of initial_backoff_ms: 500 ms.
    const { relay, smtp } = await startEmailRelay('initial_backoff_ms = 1000', () => 0.5);
    smtp.behaviour.rejectRecipient = () => 452;
    const response = await settle(relay.send(message));
    await runUntil(() => emailEvents(relay).length > 0);
    const email = relay.gateway.escalator.health().email;

    expect(response.status).toBe(502);
    expect(emailEvents(relay)).toMatchObject([{ outcome: 'failed_retryable', retry_in_ms: 500 }]);
    expect(email?.status).toBe('degraded');
    expect(email?.failed_retryable).toBe(1);
    expect(email?.pending).toBe(1);
    expect(email?.error).toMatch(/452/);
  });

  it('clears the retry from health once delivered', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { relay, smtp } = await startEmailRelay('initial_backoff_ms = 1000', () => 0.5);
    smtp.behaviour.rejectRecipient = () => 452;
    await settle(relay.send(message));
    await runUntil(() => emailEvents(relay).length > 0);

    smtp.behaviour.rejectRecipient = () => undefined;
    await runUntil(() => emailEvents(relay).length > 1);
    expect(emailEvents(relay).map((event) => event.outcome)).toEqual([
      'failed_retryable',
      'delivered',
    ]);
    expect(relay.gateway.escalator.health().email).toMatchObject({
      status: 'ok',
      failed_retryable: 0,
      pending: 0,
      error: null,
    });
  });

  it('dead-letters an email that stays over quota', async () => {
    const { relay, smtp } = await startEmailRelay('max_attempts = 3');
    smtp.behaviour.rejectRecipient = () => 452;
    await relay.send(message);
    await waitForDelivery(relay, (event) => event.outcome === 'dead_lettered');
    await relay.gateway.escalator.flush();

    const outcomes = relay.deliveries.filter((event) => event.channel === 'email');
    expect(outcomes.map((event) => event.outcome)).toEqual([
      'failed_retryable',
      'failed_retryable',
      'failed',
      'dead_lettered',
    ]);
    const deadLetter = relay.errorLogLines().find((line) => line['dead_letter'] === true);
    expect(deadLetter?.['undelivered_channels']).toEqual(['email']);
    expect(deadLetter?.['body']).toBe(BODY);
    expect(String(deadLetter?.['error'])).toMatch(/452/);
  });

  it('does not retry a permanent rejection (550)', async () => {
    const { relay, smtp } = await startEmailRelay();
    smtp.behaviour.rejectRecipient = () => 550;
    await relay.send(message);
    await waitForDelivery(relay, (event) => event.outcome === 'dead_lettered');

    expect(smtp.recipientCommands()).toBe(1);
    const failed = relay.deliveries.find((event) => event.outcome === 'failed');
    expect(failed?.error).toMatch(/^EENVELOPE 550: /);
  });

  it('counts 250 after DATA as delivered when the server drops', async () => {
    const { relay, smtp } = await startEmailRelay();
    smtp.behaviour.dropAfterData = true;
    await relay.send(message);
    await smtp.waitForMails(1);
    await relay.gateway.escalator.flush();

    const email = relay.deliveries.filter((event) => event.channel === 'email');
    expect(email.map((event) => event.outcome)).toEqual(['delivered']);
    expect(smtp.connections()).toBe(1);
    expect(smtp.mails).toHaveLength(1);
  });

  it('times out a server that never greets', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { relay, smtp } = await startEmailRelay('greeting_timeout_ms = 5000\nmax_attempts = 2');
    smtp.behaviour.greet = false;
    const response = await settle(relay.send(message));
    await runUntil(() => smtp.connections() === 1);

    // The greeting timeout is 5 s: nothing has failed after 4 s, and the attempt has after 5.5 s.
    await vi.advanceTimersByTimeAsync(4000);
    const beforeTimeout = emailEvents(relay).length;
    await vi.advanceTimersByTimeAsync(1500);
    await runUntil(() => emailEvents(relay).length > 0);

    expect(response.status).toBe(502);
    expect(beforeTimeout).toBe(0);
    expect(emailEvents(relay)[0]).toMatchObject({
      outcome: 'failed_retryable',
      error: 'ETIMEDOUT: Greeting never received',
    });

    // Let the second attempt time out too, so that nothing is left pending.
    await runUntil(() => smtp.connections() === 2);
    await vi.advanceTimersByTimeAsync(5000);
    await runUntil(() => relay.deliveries.some((event) => event.outcome === 'dead_lettered'));
  });

  it('dead-letters after the last greeting timeout', async () => {
    const { relay, smtp } = await startEmailRelay(
      'greeting_timeout_ms = 50\nmax_attempts = 2\ninitial_backoff_ms = 1\nmax_backoff_ms = 1',
    );
    smtp.behaviour.greet = false;
    await relay.send(message);
    await waitForDelivery(relay, (event) => event.outcome === 'dead_lettered');

    expect(smtp.connections()).toBe(2);
    const lines = relay.errorLogLines();
    expect(lines.map((line) => line['dead_letter'] ?? false)).toEqual([false, true]);
    expect(lines[1]?.['event_id']).toBe(lines[0]?.['event_id']);
  });
});

describe('email verification', () => {
  it('shows a verified server in health', async () => {
    const { relay } = await startEmailRelay();
    relay.simulator('sim-a').simulate({ mode: 'ok' });
    relay.simulator('sim-b').simulate({ mode: 'ok' });
    await relay.gateway.escalator.verify();

    const response = await relay.app.request('/health');
    const health = (await response.json()) as {
      status: string;
      escalation: Record<string, { status: string; verified_at: string | null }>;
    };
    expect(response.status).toBe(200);
    expect(health.status).toBe('ok');
    expect(health.escalation['email']?.status).toBe('ok');
    expect(Date.parse(health.escalation['email']?.verified_at ?? '')).not.toBeNaN();
  });

  it('reports a TLS mismatch as degraded', async () => {
    smtp = await startSmtpCatcher();
    // Implicit TLS against a server that speaks plain SMTP: the handshake fails.
    const keys = [
      'host = "127.0.0.1"',
      `port = ${smtp.port}`,
      'secure = true',
      'from = "relay@example.com"',
      'to = ["ops@example.com"]',
    ].join('\n');
    relay = startRelay({ escalate: '["email"]', email: keys });
    await relay.gateway.escalator.verify();

    const response = await relay.app.request('/health');
    const health = (await response.json()) as {
      status: string;
      escalation: Record<string, { status: string; error: string | null; verified_at: null }>;
    };
    expect(response.status).toBe(200);
    expect(health.status).toBe('degraded');
    expect(health.escalation['email']?.status).toBe('degraded');
    expect(health.escalation['email']?.verified_at).toBeNull();
    expect(health.escalation['email']?.error).toMatch(/\S/);
  });
});
