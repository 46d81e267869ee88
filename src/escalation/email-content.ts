import { maskPhoneNumber } from '../sms/index.js';
import type {
  DeliveryFailure,
  EscalationEvent,
  MessageEscalationEvent,
  ProviderAlertEvent,
} from './types.js';

/** The subject and plain-text body of one escalation email. */
export interface EmailContent {
  readonly subject: string;
  readonly text: string;
}

const maxSubjectLength = 200;

/**
 * Control characters, line and paragraph separators. A subject built from event data has them
 * replaced, so that no value can end the header line and start another one.
 */
const unsafeHeaderCharacters = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** Replaces every run of characters that could break a header line with one space. */
export function headerSafe(value: string): string {
  return value.replace(unsafeHeaderCharacters, ' ');
}

const messageReasons: Readonly<Record<string, string>> = {
  all_providers_failed: 'every provider failed',
  deadline_exceeded: 'the deadline passed before any provider accepted it',
  no_provider_available: 'no provider was available',
  outcome_unknown: 'the outcome of an attempt is unknown',
  undelivered: 'the provider reported that the message was not delivered',
};

/** Returns the one-line summary that the subject's `{reason}` placeholder stands for. */
export function summaryOf(event: EscalationEvent): string {
  switch (event.type) {
    case 'message_escalation':
      if (event.delivery !== null) {
        return `message not delivered on route ${event.route}: ${deliveryFailureOf(event.delivery)}`;
      }
      return `message not sent on route ${event.route}: ${messageReasons[event.reason] ?? event.reason}`;
    case 'provider_down':
      return `provider ${event.provider} is down: ${event.reason}`;
    case 'provider_recovered':
      return `provider ${event.provider} recovered`;
    case 'provider_alert_summary':
      return `provider ${event.provider} changed state ${foldedTotal(event)} more times, now ${event.state}`;
  }
}

/** Formats a final delivery report as `undelivered, provider_failure, code 30008`. */
function deliveryFailureOf(delivery: DeliveryFailure): string {
  return [
    delivery.status,
    delivery.failure_class ?? 'unknown_failure',
    `code ${delivery.provider_code ?? '-'}`,
  ].join(', ');
}

function foldedTotal(event: ProviderAlertEvent): number {
  return event.folded.provider_down + event.folded.provider_recovered;
}

/**
 * Fills in the subject template. Each placeholder that does not apply to the event is empty,
 * every value is made header-safe, and the result is cut to 200 characters.
 */
export function renderSubject(template: string, event: EscalationEvent): string {
  const isMessage = event.type === 'message_escalation';
  const values: Readonly<Record<string, string>> = {
    reason: summaryOf(event),
    message_id: isMessage ? event.message_id : '',
    route: isMessage ? event.route : '',
    provider: isMessage ? providersTried(event).join(', ') : event.provider,
  };
  const subject = template.replace(/\{([a-z_]+)\}/g, (placeholder, name: string) =>
    headerSafe(values[name] ?? placeholder),
  );
  return headerSafe(subject).replace(/ {2,}/g, ' ').trim().slice(0, maxSubjectLength);
}

function providersTried(event: MessageEscalationEvent): string[] {
  return [...new Set(event.attempts.map((attempt) => attempt.provider))];
}

/** Builds the email for `event`; the recipient is masked unless `includeFullRecipient`. */
export function renderEmail(
  template: string,
  event: EscalationEvent,
  includeFullRecipient: boolean,
): EmailContent {
  const text =
    event.type === 'message_escalation'
      ? messageText(event, includeFullRecipient)
      : alertText(event);
  return { subject: renderSubject(template, event), text };
}

function messageText(event: MessageEscalationEvent, includeFullRecipient: boolean): string {
  const recipient = includeFullRecipient ? event.recipient : maskPhoneNumber(event.recipient);
  const attempts = event.attempts.map(
    (attempt, index) =>
      `  ${index + 1}. ${attempt.provider}: ${attempt.outcome}` +
      `, HTTP ${attempt.http_status ?? '-'}, code ${attempt.provider_code ?? '-'}` +
      `, ${attempt.duration_ms} ms`,
  );

  const failure = event.delivery === null ? 'could not send' : 'could not deliver';
  const delivery =
    event.delivery === null
      ? []
      : [`Delivery:   ${event.delivery.provider}: ${deliveryFailureOf(event.delivery)}`];

  return [
    `sms-relay ${failure} a message: ${messageReasons[event.reason] ?? event.reason} (${event.reason}).`,
    '',
    `Message id: ${event.message_id}`,
    `Request id: ${event.request_id}`,
    `Route:      ${event.route}`,
    `Recipient:  ${recipient}`,
    `Reference:  ${event.reference ?? '-'}`,
    `Time:       ${event.at}`,
    ...delivery,
    '',
    'Attempts:',
    ...(attempts.length === 0 ? ['  none (no provider could be tried)'] : attempts),
    '',
    'Message text:',
    '',
    event.body,
    '',
    '--',
    `Event id: ${event.event_id}`,
    '',
  ].join('\n');
}

function alertText(event: ProviderAlertEvent): string {
  const lines = [
    `sms-relay: ${summaryOf(event)}.`,
    '',
    `Provider:   ${event.provider}`,
    `State:      ${event.state}`,
    `Reason:     ${event.reason}`,
    `Time:       ${event.at}`,
  ];
  if (event.down_since !== null) {
    lines.push(`Down since: ${event.down_since}`);
  }
  if (foldedTotal(event) > 0) {
    lines.push(
      `Held back:  ${event.folded.provider_down} down and ` +
        `${event.folded.provider_recovered} recovered alerts since the previous alert`,
    );
  }
  if (event.type === 'provider_down') {
    lines.push('', 'Messages fail over to the next provider of their route while it is down.');
  }
  return [...lines, '', '--', `Event id: ${event.event_id}`, ''].join('\n');
}
