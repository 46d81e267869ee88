import type { Config } from '../config/index.js';
import type { CallbackDeliveryOutcome, CallbackGiveUpReason, GatewayEvents } from '../events.js';
import { fullJitterBackoff } from '../resilience/backoff.js';
import { settlesWithin } from '../resilience/sleep.js';
import type {
  CallbackAttemptResult,
  CallbackDelivery,
  CallbackFormat,
  MessageStore,
} from '../store/index.js';
import { postCallback, type CallbackEncoder, type CallbackPostResult } from './callback-request.js';

/**
 * Time that a claim outlives the request timeout. A delivery whose result could not be written
 * stays claimed until then, and is then claimed and posted again.
 */
const LEASE_MARGIN_MS = 60_000;

/** Services the callback sender uses. */
export interface CallbackSenderDependencies {
  readonly store: MessageStore;
  readonly events: GatewayEvents;
  readonly now: () => number;
  readonly random: () => number;
  /** The request builder of each callback format. */
  readonly encoders: Readonly<Record<CallbackFormat, CallbackEncoder>>;
  readonly settings: Config['callbacks'];
}

/** Receives errors that the sender catches, with the event id when one delivery failed. */
export type CallbackErrorHandler = (error: unknown, eventId: string | undefined) => void;

/**
 * Posts status callbacks from the store's outbox in the background, at most
 * `callbacks.concurrency` at once, each in its message's callback format. A 2xx response ends a
 * delivery, and a request that its encoder cannot build gives up at once. 408, 429, 5xx and network
 * errors are retried with full-jitter backoff (or the receiver's `Retry-After`), and the next
 * attempt time and the attempt count are stored. A delivery gives up on any other status, after
 * `max_attempts`, or when its next attempt would come more than `max_age_ms` after the status
 * change. The store hands out one message's deliveries in order, one at a time.
 *
 * Delivery is at least once: a request cut short by a crash or a shutdown is posted again.
 */
export class CallbackSender {
  readonly #active = new Set<Promise<void>>();
  readonly #stopping = new AbortController();
  #running = false;
  #polling: Promise<void> | undefined;
  #wakeRequested = false;
  #timer: NodeJS.Timeout | undefined;
  #onError: CallbackErrorHandler = () => undefined;

  constructor(private readonly deps: CallbackSenderDependencies) {}

  /** Number of callback requests in flight now. */
  get inFlight(): number {
    return this.#active.size;
  }

  /**
   * Makes the deliveries that a stopped process had claimed due again, then starts sending.
   * Resolves with the number of such deliveries. Call once, at start-up.
   */
  async start(onError: CallbackErrorHandler): Promise<number> {
    this.#onError = onError;
    const released = await this.deps.store.releaseCallbackClaims(this.deps.now());
    this.#running = true;
    this.wake();
    return released;
  }

  /** Looks at the outbox now instead of at the next poll, as after a message's end state. */
  wake(): void {
    if (this.#polling) {
      this.#wakeRequested = true;
      return;
    }
    this.#schedule(0);
  }

  /**
   * Stops claiming deliveries and waits for the requests in flight, up to `timeoutMs`. Then it
   * aborts the rest, which are stored as due at once and go out again after the next start.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    const settled = this.#settle();
    if (!(await settlesWithin(settled, timeoutMs))) {
      this.#stopping.abort();
      await settled;
    }
  }

  #schedule(delayMs: number): void {
    if (!this.#running) {
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#polling ??= this.#poll().finally(() => this.#afterPoll());
    }, delayMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    const { store, now, settings } = this.deps;
    const free = settings.concurrency - this.#active.size;
    if (!this.#running || free <= 0) {
      return;
    }

    try {
      const claimedAt = now();
      const leaseUntil = claimedAt + settings.timeout_ms + LEASE_MARGIN_MS;
      const due = await store.claimDueCallbacks(claimedAt, free, leaseUntil);
      for (const delivery of due) {
        this.#track(delivery.eventId, this.#deliver(delivery));
      }
    } catch (error) {
      this.#onError(error, undefined);
    }
  }

  #afterPoll(): void {
    this.#polling = undefined;
    const requested = this.#wakeRequested;
    this.#wakeRequested = false;
    this.#schedule(requested ? 0 : this.deps.settings.poll_interval_ms);
  }

  #track(eventId: string, work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) => this.#onError(error, eventId))
      .finally(() => {
        this.#active.delete(tracked);
        // The message's next change may be waiting for this one.
        this.wake();
      });
    this.#active.add(tracked);
  }

  /** Waits until no poll runs and no request is in flight. */
  async #settle(): Promise<void> {
    await this.#polling;
    while (this.#active.size > 0) {
      await Promise.allSettled([...this.#active]);
    }
  }

  async #deliver(delivery: CallbackDelivery): Promise<void> {
    const { store, now, settings, encoders } = this.deps;
    const content = encoders[delivery.format](delivery, now());
    if (!content.ok) {
      const { reason, error } = content;
      await store.finishCallbackAttempt(delivery.eventId, { kind: 'gave_up', at: now(), error });
      this.#emit(delivery, null, { outcome: 'gave_up', reason, error });
      return;
    }

    const result = await postCallback(delivery, content, {
      timeoutMs: settings.timeout_ms,
      now,
      signal: this.#stopping.signal,
    });
    const at = now();

    if (!result.ok && this.#stopping.signal.aborted) {
      // The receiver may have the request already, so it goes out again after the next start.
      const error = 'request aborted by shutdown';
      await store.finishCallbackAttempt(delivery.eventId, {
        kind: 'retry',
        at,
        nextAttemptAt: at,
        error,
      });
      this.#emit(delivery, result.httpStatus, {
        outcome: 'failed_retryable',
        retry_in_ms: 0,
        error,
      });
      return;
    }

    const decision = this.#decide(delivery, result, at);
    await store.finishCallbackAttempt(delivery.eventId, decision.result);
    this.#emit(delivery, result.httpStatus, decision.event);
  }

  /** Returns what follows an attempt: done, a retry at a stored time, or giving up. */
  #decide(delivery: CallbackDelivery, result: CallbackPostResult, at: number): Decision {
    if (result.ok) {
      return { result: { kind: 'delivered', at }, event: { outcome: 'delivered' } };
    }

    const { settings, random } = this.deps;
    const { error } = result;
    const giveUp = (reason: CallbackGiveUpReason): Decision => ({
      result: { kind: 'gave_up', at, error },
      event: { outcome: 'gave_up', reason, error },
    });
    if (!result.retryable) {
      return giveUp('not_retryable');
    }
    if (delivery.attempts >= settings.max_attempts) {
      return giveUp('max_attempts');
    }

    const backoff = fullJitterBackoff(delivery.attempts, settings, random);
    const delay = Math.min(settings.max_backoff_ms, Math.max(backoff, result.retryAfterMs ?? 0));
    const nextAttemptAt = at + delay;
    if (nextAttemptAt - delivery.changedAt > settings.max_age_ms) {
      return giveUp('max_age');
    }
    return {
      result: { kind: 'retry', at, nextAttemptAt, error },
      event: { outcome: 'failed_retryable', retry_in_ms: delay, error },
    };
  }

  #emit(
    delivery: CallbackDelivery,
    httpStatus: number | null,
    event: CallbackDeliveryOutcome,
  ): void {
    this.deps.events.emit('callback', {
      event_id: delivery.eventId,
      message_id: delivery.messageId,
      status: delivery.status,
      attempt: delivery.attempts,
      http_status: httpStatus,
      ...event,
    });
  }
}

interface Decision {
  readonly result: CallbackAttemptResult;
  readonly event: CallbackDeliveryOutcome;
}
