import { describe, expect, it } from 'vitest';

import { renderEmail, renderSubject } from '../../src/escalation/email-content.js';
import type { MessageEscalationEvent, ProviderAlertEvent } from '../../src/escalation/types.js';

const messageEvent: MessageEscalationEvent = {
  type: 'message_escalation',
  event_id: '6f1c0b8e-5d7a-4c1e-9a57-0c2f4b9d1e11',
  at: '2026-01-02T03:04:05.000Z',
  message_id: 'a3d5e7f9-1b2c-4d6e-8f0a-1c3e5a7b9d02',
  request_id: 'req-1',
  reason: 'all_providers_failed',
  route: 'default',
  recipient: '+14155550100',
  body: 'db-1 disk 97% full',
  reference: null,
  attempts: [],
  delivery: null,
};

const undeliveredEvent: MessageEscalationEvent = {
  ...messageEvent,
  reason: 'undelivered',
  attempts: [
    {
      provider: 'twilio-main',
      outcome: 'sent',
      http_status: 201,
      provider_code: null,
      duration_ms: 120,
    },
  ],
  delivery: {
    provider: 'twilio-main',
    status: 'undelivered',
    failure_class: 'provider_failure',
    provider_code: '30008',
  },
};

const downEvent: ProviderAlertEvent = {
  type: 'provider_down',
  event_id: '0b7e4c2a-9f13-4d58-a6b1-2e8c7d5f3a90',
  at: '2026-01-02T03:04:05.000Z',
  provider: 'twilio-main',
  state: 'open',
  reason: 'configuration fault (provider code 20003)',
  folded: { provider_down: 0, provider_recovered: 0 },
  down_since: '2026-01-02T03:04:05.000Z',
};

describe('email subject', () => {
  it('summarizes a provider outage', () => {
    expect(renderSubject('[sms-relay] {reason}', downEvent)).toBe(
      '[sms-relay] provider twilio-main is down: configuration fault (provider code 20003)',
    );
  });

  it('leaves message placeholders empty for an alert', () => {
    expect(renderSubject('{provider} {route} {message_id} down', downEvent)).toBe(
      'twilio-main down',
    );
  });

  it('replaces line breaks in values', () => {
    const event = { ...downEvent, reason: 'forced\r\nBcc: attacker@example.com\u2028x' };
    const subject = renderSubject('[sms-relay] {reason}', event);
    expect(subject).toBe(
      '[sms-relay] provider twilio-main is down: forced Bcc: attacker@example.com x',
    );
  });

  it('summarizes a delivery failure', () => {
    expect(renderSubject('[sms-relay] {reason} ({provider})', undeliveredEvent)).toBe(
      '[sms-relay] message not delivered on route default: undelivered, provider_failure, ' +
        'code 30008 (twilio-main)',
    );
  });

  it('cuts the subject to 200 characters', () => {
    const event = { ...downEvent, reason: 'x'.repeat(500) };
    expect(renderSubject('{reason}', event)).toHaveLength(200);
  });
});

describe('email text', () => {
  it('masks the recipient by default', () => {
    const { text } = renderEmail('{reason}', messageEvent, false);
    expect(text).toContain('Recipient:  +1415***0100');
    expect(text).not.toContain('4155550100');
  });

  it('states the reason of a delivery failure', () => {
    const { text } = renderEmail('{reason}', undeliveredEvent, false);
    expect(text).toContain(
      'sms-relay could not deliver a message: the provider reported that the message was not ' +
        'delivered (undelivered).',
    );
    expect(text).toContain('Delivery:   twilio-main: undelivered, provider_failure, code 30008');
    expect(text).toContain('1. twilio-main: sent, HTTP 201');
  });

  it('leaves out the delivery line of an unsent message', () => {
    const { text } = renderEmail('{reason}', messageEvent, false);
    expect(text).toContain('sms-relay could not send a message: every provider failed');
    expect(text).not.toContain('Delivery:');
  });

  it('says when no provider was tried', () => {
    const { text } = renderEmail('{reason}', { ...messageEvent, attempts: [] }, false);
    expect(text).toContain('none (no provider could be tried)');
  });

  it('states the held-back alerts of a summary', () => {
    const summary: ProviderAlertEvent = {
      ...downEvent,
      type: 'provider_alert_summary',
      reason: '3 state changes within 900000 ms of the previous alert',
      folded: { provider_down: 1, provider_recovered: 2 },
    };
    const { subject, text } = renderEmail('{reason}', summary, false);
    expect(subject).toBe('provider twilio-main changed state 3 more times, now open');
    expect(text).toContain('1 down and 2 recovered alerts since the previous alert');
  });
});
