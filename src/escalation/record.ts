import { maskPhoneNumber } from '../sms/index.js';
import type { EscalationEvent } from './types.js';

/**
 * Returns the JSON object that the error log writes and the webhook posts for `event`: the event
 * itself, with the recipient masked unless `includeFullRecipient`.
 */
export function eventRecord(
  event: EscalationEvent,
  includeFullRecipient: boolean,
): Record<string, unknown> {
  if (event.type !== 'message_escalation' || includeFullRecipient) {
    return { ...event };
  }
  return { ...event, recipient: maskPhoneNumber(event.recipient) };
}
