import { rejectionProblem } from '../errors.js';
import type { AttemptJournal } from '../resilience/provider-slot.js';
import type { RoutingResult } from '../routing/router.js';
import type { MessageResult, MessageStore } from '../store/index.js';

/**
 * Returns the journal that writes the attempts of message `messageId` to `store`, flagged as a
 * resend when `resend` is true.
 */
export function storeJournal(
  store: MessageStore,
  messageId: string,
  resend = false,
): AttemptJournal {
  return {
    attemptStarted: ({ number, provider, startedAt }) =>
      store.recordAttemptStart({ messageId, number, provider, startedAt, resend }),
    attemptEnded: (attempt) =>
      store.recordAttemptEnd({
        messageId,
        number: attempt.number,
        outcome: attempt.outcome,
        httpStatus: attempt.http_status,
        providerCode: attempt.provider_code,
        durationMs: attempt.duration_ms,
        endedAt: attempt.endedAt,
        providerMessageId: attempt.providerMessageId,
      }),
  };
}

/**
 * Maps a routing result to the stored end state of its message. A message after an ambiguous
 * attempt is a possible duplicate whatever the end, as the HTTP response reports too. A sent message
 * is due for a delivery check `finalStatusTimeoutMs` after `at`, when the route sets a timeout.
 */
export function messageResult(
  result: RoutingResult,
  at: number,
  finalStatusTimeoutMs?: number,
): MessageResult {
  const possibleDuplicate = result.attempts.some((attempt) => attempt.outcome === 'ambiguous');
  switch (result.kind) {
    case 'sent':
      return {
        status: 'sent',
        code: null,
        provider: result.provider,
        providerMessageId: result.providerMessageId,
        possibleDuplicate,
        at,
        ...(finalStatusTimeoutMs === undefined
          ? {}
          : { finalStatusDueAt: at + finalStatusTimeoutMs }),
      };
    case 'rejected':
      return {
        status: 'rejected',
        code: rejectionProblem[result.rejection],
        provider: result.provider,
        providerMessageId: null,
        possibleDuplicate,
        at,
      };
    case 'all_providers_failed':
    case 'deadline_exceeded':
    case 'no_provider_available':
    case 'outcome_unknown':
      return {
        status: 'failed',
        code: result.kind,
        provider: null,
        providerMessageId: null,
        possibleDuplicate,
        at,
      };
  }
}
