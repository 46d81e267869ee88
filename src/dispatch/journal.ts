import { rejectionProblem } from '../errors.js';
import type { AttemptRecord } from '../events.js';
import type { AttemptJournal } from '../resilience/provider-slot.js';
import type { RoutingResult } from '../routing/router.js';
import type { MessageResult, MessageStore } from '../store/index.js';

/**
 * The attempt journal of one message in the store; its attempts are flagged as a resend when
 * `options.resend` is true.
 *
 * An attempt start resolves once it is committed. When `options.written` (the pending write of the
 * message itself) is given, the start also waits for that write and rejects with its error. The sync path
 * issues the message and the first attempt start in one turn of the event loop, so the store
 * commits them together before the provider is called.
 *
 * An attempt end resolves at once, before its write is committed, so that the end of the last
 * attempt can share a commit with the message's end state. `settled` reports those writes: the
 * owner awaits it before it reports the message's end to anyone.
 */
export class StoreJournal implements AttemptJournal {
  readonly #ends: Promise<void>[] = [];

  constructor(
    private readonly store: MessageStore,
    private readonly messageId: string,
    private readonly options: { readonly written?: Promise<void>; readonly resend?: boolean } = {},
  ) {}

  async attemptStarted(attempt: { number: number; provider: string; startedAt: number }) {
    const started = this.store.recordAttemptStart({
      messageId: this.messageId,
      ...attempt,
      resend: this.options.resend ?? false,
    });
    await Promise.all([this.options.written ?? Promise.resolve(), started]);
  }

  attemptEnded(
    attempt: AttemptRecord & { number: number; endedAt: number; providerMessageId: string | null },
  ): Promise<void> {
    const ended = this.store.recordAttemptEnd({
      messageId: this.messageId,
      number: attempt.number,
      outcome: attempt.outcome,
      httpStatus: attempt.http_status,
      providerCode: attempt.provider_code,
      durationMs: attempt.duration_ms,
      endedAt: attempt.endedAt,
      providerMessageId: attempt.providerMessageId,
    });
    // Marks a rejection as handled until `settled` returns it.
    ended.catch(() => undefined);
    this.#ends.push(ended);
    return Promise.resolve();
  }

  /** Resolves once every attempt end so far is committed; rejects with the first failed one. */
  async settled(): Promise<void> {
    await Promise.all(this.#ends);
  }
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
