import { rejectionProblem } from '../errors.js';
import type { AttemptJournal } from '../resilience/provider-slot.js';
import type { RoutingResult } from '../routing/router.js';
import type { MessageResult, MessageStore } from '../store/index.js';

/**
 * Returns the journal that writes the attempts of message `messageId` to `store`. When `written`
 * is given (the pending write of the message itself), each attempt start resolves only once that
 * write has committed too, and rejects with its error. The sync path issues both in one turn of
 * the event loop, so the store commits them together.
 */
export function storeJournal(
  store: MessageStore,
  messageId: string,
  written: Promise<void> = Promise.resolve(),
): AttemptJournal {
  return {
    attemptStarted: async ({ number, provider, startedAt }) => {
      const started = store.recordAttemptStart({ messageId, number, provider, startedAt });
      await Promise.all([written, started]);
    },
    attemptEnded: (attempt) =>
      store.recordAttemptEnd({
        messageId,
        number: attempt.number,
        outcome: attempt.outcome,
        httpStatus: attempt.http_status,
        providerCode: attempt.provider_code,
        durationMs: attempt.duration_ms,
        endedAt: attempt.endedAt,
      }),
  };
}

/**
 * Maps a routing result to the stored end state of its message. A message after an ambiguous
 * attempt is a possible duplicate whatever the end, as the HTTP response says too.
 */
export function messageResult(result: RoutingResult, at: number): MessageResult {
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
