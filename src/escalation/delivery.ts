import { fullJitterBackoff } from '../resilience/backoff.js';
import type { EscalationEvent } from './types.js';

/** Retry settings of the email and webhook channels. */
export interface DeliveryRetry {
  readonly max_attempts: number;
  readonly initial_backoff_ms: number;
  readonly max_backoff_ms: number;
}

/** The result of one attempt to hand an event to a channel. */
export type AttemptResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** Whether a later attempt may succeed; false for replies such as SMTP 5xx or HTTP 400. */
      readonly retryable: boolean;
      /** Log-safe description: no message body, phone number or secret. */
      readonly error: string;
      /** The wait that the receiver asked for, as with `Retry-After`. */
      readonly retryAfterMs?: number;
    };

/** Makes one attempt; the signal aborts it when shutdown gives up on the event. */
export type Attempt = (signal: AbortSignal) => Promise<AttemptResult>;

/** A channel that delivers over the network and may need several attempts per event. */
export interface ChannelTransport {
  readonly name: 'email' | 'webhook';
  readonly retry: DeliveryRetry;
  /**
   * Renders `event` once and returns the function that makes one attempt, so that every retry
   * sends the same content.
   */
  prepare(event: EscalationEvent): Attempt;
  /** Checks the connection and the credentials without sending, where the protocol allows it. */
  verify?(): Promise<void>;
  close?(): void;
}

/** The end of a delivery. `abandoned` means shutdown stopped it before it finished. */
export type DeliveryEnd =
  | { readonly kind: 'delivered'; readonly attempts: number }
  | { readonly kind: 'failed'; readonly attempts: number; readonly error: string }
  | { readonly kind: 'abandoned'; readonly attempts: number };

/** Callbacks through which a delivery reports its progress. */
export interface DeliveryObserver {
  attemptEnded(attempt: number, result: AttemptResult, retryInMs: number | undefined): void;
  waitStarted(): void;
  waitEnded(): void;
}

export interface DeliveryContext {
  readonly signal: AbortSignal;
  readonly random: () => number;
  readonly limiter: ConcurrencyLimiter;
  readonly observer: DeliveryObserver;
}

/**
 * Delivers one event through one transport: up to `max_attempts` attempts, with exponential
 * backoff and full jitter between them (longer when the receiver asked for a longer wait, capped
 * at `max_backoff_ms`). A result that is not retryable ends the delivery at once.
 */
export async function deliver(
  attempt: Attempt,
  retry: DeliveryRetry,
  context: DeliveryContext,
): Promise<DeliveryEnd> {
  const { signal, observer } = context;

  for (let number = 1; ; number += 1) {
    if (signal.aborted) {
      return { kind: 'abandoned', attempts: number - 1 };
    }

    const result = await context.limiter.run(signal, () => untilAborted(attempt(signal), signal));
    if (result === undefined) {
      return { kind: 'abandoned', attempts: number };
    }
    if (result.ok) {
      observer.attemptEnded(number, result, undefined);
      return { kind: 'delivered', attempts: number };
    }
    if (!result.retryable || number >= retry.max_attempts) {
      observer.attemptEnded(number, result, undefined);
      return { kind: 'failed', attempts: number, error: result.error };
    }

    const backoff = fullJitterBackoff(number, retry, context.random);
    const delay = Math.min(Math.max(backoff, result.retryAfterMs ?? 0), retry.max_backoff_ms);
    observer.attemptEnded(number, result, delay);
    observer.waitStarted();
    await abortableSleep(delay, signal);
    observer.waitEnded();
  }
}

/** Resolves with `work`'s value, or with undefined as soon as `signal` aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) {
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Resolves after `ms`, or early when `signal` aborts. Built on the global `setTimeout` so that
 * fake timers in tests control it. The timer is unref'd so that a pending retry never keeps the
 * process alive, because shutdown flushes pending deliveries instead.
 */
function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref?.();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Caps the attempts of one channel that run at the same time, so that a burst of failed messages
 * does not open one SMTP connection or HTTP request per message at once.
 */
export class ConcurrencyLimiter {
  readonly #waiting: (() => void)[] = [];
  #running = 0;

  constructor(private readonly limit: number) {}

  /**
   * Runs `work` once a slot is free. Returns undefined without running it when `signal` aborts
   * while it waits for a slot.
   */
  async run<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T | undefined> {
    if (!(await this.#acquire(signal))) {
      return undefined;
    }
    try {
      return await work();
    } finally {
      this.#release();
    }
  }

  #acquire(signal: AbortSignal): Promise<boolean> {
    if (this.#running < this.limit) {
      this.#running += 1;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = (): void => {
        signal.removeEventListener('abort', onAbort);
        this.#running += 1;
        resolve(true);
      };
      const onAbort = (): void => {
        this.#waiting.splice(this.#waiting.indexOf(grant), 1);
        resolve(false);
      };
      this.#waiting.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #release(): void {
    this.#running -= 1;
    this.#waiting.shift()?.();
  }
}
