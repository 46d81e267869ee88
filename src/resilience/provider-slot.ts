import {
  isProviderError,
  ProviderError,
  type SendRequest,
  type SendResult,
  type SmsProvider,
} from '../../providers/contract.js';
import type { AttemptRecord, GatewayEvents } from '../events.js';
import { fullJitterBackoff, type RetrySettings } from './backoff.js';
import {
  ProviderBreaker,
  type Admission,
  type BreakerSettings,
  type HealthOutcome,
} from './breaker.js';
import { sleep } from './sleep.js';

/** Resilience settings of one provider. */
export interface SlotSettings {
  readonly attempt_timeout_ms: number;
  readonly retry: RetrySettings;
  readonly breaker: BreakerSettings;
}

/** Services a slot uses; injected so tests control time and chance. */
export interface SlotDependencies {
  readonly now: () => number;
  readonly random: () => number;
  readonly events: GatewayEvents;
}

/** One message's progress, shared by every slot its route tries. */
export interface MessageAttempts {
  readonly messageId: string;
  /** Time in epoch milliseconds after which no attempt starts and no wait runs. */
  readonly deadline: number;
  /** Every attempt so far, across providers; each slot appends its own. */
  readonly attempts: AttemptRecord[];
  /**
   * Durable record of attempts. The slot awaits `attemptStarted` before it calls the provider and
   * `attemptEnded` before it goes on.
   */
  readonly journal?: AttemptJournal;
}

/**
 * Receives each attempt as it starts (before the provider is called) and as it ends, so that
 * after a crash the store shows which attempts may have reached a provider.
 */
export interface AttemptJournal {
  /** Resolves once the start is durable; the provider is called only after that. */
  attemptStarted(attempt: { number: number; provider: string; startedAt: number }): Promise<void>;
  /** Records the end; may resolve before it is durable, as `StoreJournal` does. */
  attemptEnded(
    attempt: AttemptRecord & { number: number; endedAt: number; providerMessageId: string | null },
  ): Promise<void>;
}

/** The result of one slot's turn with one message. */
export type SlotOutcome =
  | { readonly kind: 'sent'; readonly result: SendResult }
  | { readonly kind: 'rejected'; readonly error: ProviderError }
  | { readonly kind: 'ambiguous'; readonly error: ProviderError }
  | { readonly kind: 'failed'; readonly error: ProviderError }
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'deadline' };

/** Whether a provider can take a message now, and if not, why. */
export type Availability = 'available' | 'drained' | 'open' | 'cooling_down';

type AttemptResult =
  | { readonly ok: true; readonly result: SendResult }
  | { readonly ok: false; readonly error: ProviderError };

// An adapter that honours its AbortSignal settles at once; this grace bounds one that does not.
const ABORT_GRACE_MS = 50;

/**
 * One provider with its breaker, retry loop and cool-down. `send` retries `transient` and
 * `throttled` errors on this provider with full-jitter backoff (or the provider's Retry-After),
 * within `max_attempts`, the provider budget and the message deadline, and returns as soon as
 * failing over is the better move.
 */
export class ProviderSlot {
  readonly breaker: ProviderBreaker;
  #cooldownUntil = 0;
  #drained = false;

  /**
   * @param statusCallbackUrl - builds the gateway's URL for this provider's status callbacks,
   *   passed with every attempt; undefined when no public base URL is configured.
   */
  constructor(
    readonly provider: SmsProvider,
    readonly settings: SlotSettings,
    private readonly deps: SlotDependencies,
    private readonly statusCallbackUrl?: (messageId: string, attempt: number) => string,
  ) {
    this.breaker = new ProviderBreaker(provider.id, settings.breaker, deps.now, (transition) =>
      deps.events.emit('breaker', transition),
    );
  }

  get id(): string {
    return this.provider.id;
  }

  /** The end of the current cool-down, or 0 when there is none. */
  get cooldownUntil(): number {
    return this.#cooldownUntil > this.deps.now() ? this.#cooldownUntil : 0;
  }

  /** Whether an operator took this provider out of rotation; see `drain`. */
  get drained(): boolean {
    return this.#drained;
  }

  /**
   * Takes the provider out of rotation until `restore`: the router skips it, and a message that
   * is already on it starts no further attempt here. An attempt in flight runs to its end.
   */
  drain(): void {
    this.#drained = true;
  }

  /** Puts a drained provider back into rotation. Its breaker and cool-down are unchanged. */
  restore(): void {
    this.#drained = false;
  }

  availability(): Availability {
    if (this.#drained) {
      return 'drained';
    }
    if (!this.breaker.available) {
      return 'open';
    }
    return this.cooldownUntil > 0 ? 'cooling_down' : 'available';
  }

  /**
   * The earliest time this provider may take traffic again; `Infinity` while it is drained,
   * because only an operator can restore it.
   */
  availableAt(): number {
    if (this.#drained) {
      return Infinity;
    }
    const now = this.deps.now();
    const breakerAt = this.breaker.available ? now : (this.breaker.openUntil ?? now);
    return Math.max(breakerAt, this.cooldownUntil, now);
  }

  async send(
    request: Omit<SendRequest, 'attempt'>,
    message: MessageAttempts,
  ): Promise<SlotOutcome> {
    const { max_attempts: maxAttempts, budget_ms: budgetMs } = this.settings.retry;
    const budgetEnd = this.deps.now() + budgetMs;
    let lastError: ProviderError | undefined;

    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      if (this.deps.now() >= message.deadline) {
        return { kind: 'deadline' };
      }
      const admission = this.#drained ? undefined : this.breaker.tryAdmit();
      if (!admission) {
        return lastError ? { kind: 'failed', error: lastError } : { kind: 'unavailable' };
      }

      const outcome = await this.#attempt(request, message, admission);
      if (outcome.ok) {
        return { kind: 'sent', result: outcome.result };
      }

      const { error } = outcome;
      lastError = error;
      switch (error.errorClass) {
        case 'rejected':
          return { kind: 'rejected', error };
        case 'ambiguous':
          return { kind: 'ambiguous', error };
        case 'provider':
          return { kind: 'failed', error };
        case 'transient':
        case 'throttled':
          break;
      }
      // A throttling response starts a cool-down even on the last attempt, so that the router
      // skips the provider for the next messages too.
      const lastAttempt = attempt === maxAttempts;
      if (lastAttempt && error.errorClass !== 'throttled') {
        break;
      }

      const delay = this.#retryDelay(error, attempt);
      const resumeAt = this.deps.now() + delay;
      if (lastAttempt || resumeAt >= message.deadline || resumeAt > budgetEnd) {
        break;
      }
      this.deps.events.emit('retry', {
        message_id: message.messageId,
        provider: this.id,
        retry: attempt,
        delay_ms: delay,
      });
      await sleep(delay);
    }
    return lastError ? { kind: 'failed', error: lastError } : { kind: 'unavailable' };
  }

  /** Returns the wait before the next attempt, and starts a cool-down for a throttling response. */
  #retryDelay(error: ProviderError, attempt: number): number {
    const backoff = fullJitterBackoff(attempt, this.settings.retry, this.deps.random);
    const delay = error.retryAfterMs ?? backoff;
    if (error.errorClass !== 'throttled') {
      return delay;
    }

    const until = this.deps.now() + delay;
    this.#cooldownUntil = Math.max(this.#cooldownUntil, until);
    this.deps.events.emit('cooldown', { provider: this.id, until, delay_ms: delay });
    return delay;
  }

  /**
   * Runs one attempt and records its health with the breaker. Rejects with the journal's error
   * when a write fails. When the start cannot be written, the provider is not called and the
   * breaker admission is returned as a neutral outcome, so that a half-open breaker does not keep
   * a trial slot that no call will ever release. When the end cannot be written, the breaker has
   * already counted the attempt.
   */
  async #attempt(
    base: Omit<SendRequest, 'attempt'>,
    message: MessageAttempts,
    admission: Admission,
  ): Promise<AttemptResult> {
    const started = this.deps.now();
    const number = message.attempts.length + 1;
    try {
      await message.journal?.attemptStarted({ number, provider: this.id, startedAt: started });
    } catch (error) {
      // A neutral outcome frees a half-open trial slot without counting a success or a failure.
      this.breaker.record(admission, 'neutral');
      throw error;
    }
    const timeoutMs = Math.max(
      0,
      Math.min(this.settings.attempt_timeout_ms, message.deadline - started),
    );
    const request: SendRequest = {
      ...base,
      attempt: number,
      ...(this.statusCallbackUrl === undefined
        ? {}
        : { statusCallbackUrl: this.statusCallbackUrl(message.messageId, number) }),
    };
    const outcome = await runWithTimeout(
      (signal) => this.provider.send(request, signal, { timeoutMs }),
      timeoutMs,
    );
    const durationMs = this.deps.now() - started;

    const error = outcome.ok ? undefined : outcome.error;
    const record: AttemptRecord = {
      provider: this.id,
      outcome: error ? error.errorClass : 'sent',
      http_status: error?.httpStatus ?? null,
      provider_code: error?.providerCode ?? null,
      duration_ms: durationMs,
    };
    message.attempts.push(record);
    this.deps.events.emit('attempt', {
      ...record,
      message_id: message.messageId,
      attempt: number,
      ...(error ? { error: error.message } : {}),
      unclassified: error?.unclassified ?? false,
      config_fault: error?.configFault ?? false,
    });
    this.breaker.record(admission, healthOf(outcome));
    await message.journal?.attemptEnded({
      ...record,
      number,
      endedAt: started + durationMs,
      providerMessageId: outcome.ok ? outcome.result.providerMessageId : null,
    });
    return outcome;
  }
}

/** Maps an attempt to its health outcome for the provider's breaker. */
function healthOf(outcome: AttemptResult): HealthOutcome {
  if (outcome.ok) {
    return 'success';
  }
  const { error } = outcome;
  switch (error.errorClass) {
    case 'rejected':
      // The provider responded correctly about a bad message, so it is healthy.
      return 'success';
    case 'throttled':
      return 'neutral';
    case 'provider':
      return error.configFault ? 'config_fault' : 'failure';
    case 'transient':
    case 'ambiguous':
      return 'failure';
  }
}

/**
 * Runs one attempt with its own AbortSignal that aborts after `timeoutMs`. An adapter that does
 * not settle within a short grace after the abort is treated as an ambiguous timeout.
 */
async function runWithTimeout(
  run: (signal: AbortSignal) => Promise<SendResult>,
  timeoutMs: number,
): Promise<AttemptResult> {
  const controller = new AbortController();
  let graceTimer: NodeJS.Timeout | undefined;
  const abandoned = new Promise<never>((_resolve, reject) => {
    controller.signal.addEventListener('abort', () => {
      graceTimer = setTimeout(
        () =>
          reject(
            new ProviderError({
              errorClass: 'ambiguous',
              message: `attempt timed out after ${timeoutMs} ms and the adapter did not stop`,
            }),
          ),
        ABORT_GRACE_MS,
      );
    });
  });
  const timer = setTimeout(
    () =>
      controller.abort(new DOMException(`attempt timed out after ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  );

  try {
    const result = await Promise.race([run(controller.signal), abandoned]);
    return { ok: true, result };
  } catch (error) {
    return { ok: false, error: asProviderError(error) };
  } finally {
    clearTimeout(timer);
    clearTimeout(graceTimer);
  }
}

function asProviderError(error: unknown): ProviderError {
  if (isProviderError(error)) {
    return error;
  }
  // An adapter is meant to throw only ProviderError. Anything else is a defect whose effect on the
  // provider is unknown, so the attempt is treated as possibly sent.
  const name = error instanceof Error ? error.name : typeof error;
  return new ProviderError({
    errorClass: 'ambiguous',
    message: `adapter failed with an unexpected ${name}`,
    unclassified: true,
    cause: error,
  });
}
