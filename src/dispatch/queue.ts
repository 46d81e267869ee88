import { randomUUID } from 'node:crypto';

import type { Config, RouteConfig } from '../config/index.js';
import type { Escalator } from '../escalation/escalator.js';
import type { AttemptRecord, GatewayEvents } from '../events.js';
import type { Route, Router, RoutingResult } from '../routing/router.js';
import type {
  ClaimedMessage,
  MessageResult,
  MessageStore,
  RecoveryReport,
} from '../store/index.js';
import type { DispatchContext, OutboundMessage } from './dispatcher.js';
import { sendRequest } from './dispatcher.js';
import { escalateUnsent } from './escalate.js';
import { messageResult, StoreJournal } from './journal.js';
import type { OptOutPolicy } from './opt-outs.js';

/** Services the queue sender uses. */
export interface QueueDependencies {
  readonly router: Router;
  readonly escalator: Escalator;
  readonly store: MessageStore;
  readonly optOuts: OptOutPolicy;
  readonly events: GatewayEvents;
  readonly now: () => number;
  readonly routes: Config['routes'];
  readonly settings: Config['queue'];
}

/** An async message as it was accepted. */
export interface QueuedMessage {
  readonly id: string;
  readonly route: string;
  /** Validity deadline, epoch milliseconds. */
  readonly expiresAt: number;
}

/**
 * The action the sender took after a message's sending pass failed with an error: `requeued`, or
 * `requeue_failed` when the requeue failed too, so the message stays in `sending` while each poll
 * tries the requeue again.
 */
export type QueueErrorAction = 'requeued' | 'requeue_failed';

/**
 * Receives errors that the sender catches, with the message id and the action taken when one
 * message's pass failed.
 */
export type QueueErrorHandler = (
  error: unknown,
  messageId: string | undefined,
  action?: QueueErrorAction,
) => void;

/**
 * Sends async messages from the store's queue in the background, at most `queue.concurrency` at
 * once, with the same router as sync messages. A message that finds no provider, or whose
 * providers all fail, goes back to the queue with backoff until its validity deadline, and is
 * escalated with code `expired` after it.
 */
export class QueueSender {
  readonly #active = new Set<Promise<void>>();
  #running = false;
  #polling = false;
  #timer: NodeJS.Timeout | undefined;
  #onError: QueueErrorHandler = () => undefined;
  /** Messages whose pass failed and whose requeue failed too, by id. */
  readonly #stranded = new Map<string, ClaimedMessage>();

  constructor(private readonly deps: QueueDependencies) {}

  /** Number of async messages being sent now. */
  get inFlight(): number {
    return this.#active.size;
  }

  /**
   * Writes `message` to the queue and wakes the sender. `expiresAt` defaults to now plus the
   * route's `async_validity_ms`. Rejects with the store's error when the write fails.
   */
  async enqueue(
    message: OutboundMessage,
    context: DispatchContext,
    route: Route,
    expiresAt: number | undefined,
  ): Promise<QueuedMessage> {
    const id = context.messageId ?? randomUUID();
    const createdAt = this.deps.now();
    const validity = this.deps.routes[route.name]?.async_validity_ms ?? 0;
    const expires = expiresAt ?? createdAt + validity;
    await this.deps.store.createMessage({
      id,
      principal: context.principal,
      requestId: context.requestId,
      mode: 'async',
      route: route.name,
      to: message.to,
      body: message.body,
      from: message.from,
      reference: message.reference,
      encoding: message.encoding,
      segments: message.segments,
      status: 'queued',
      createdAt,
      expiresAt: expires,
      callbackUrl: message.callbackUrl,
      callbackFormat: message.callbackFormat,
    });
    this.#wake();
    return { id, route: route.name, expiresAt: expires };
  }

  /**
   * Repairs what a crash left (see `MessageStore.recoverInterrupted`), then starts sending. Call
   * once, before the server accepts requests.
   */
  async start(onError: QueueErrorHandler): Promise<RecoveryReport> {
    this.#onError = onError;
    const report = await this.deps.store.recoverInterrupted(this.deps.now());
    this.#running = true;
    this.#wake();
    return report;
  }

  /** Looks at the queue now, as after an enqueue; for resends that the delivery checks queue. */
  wake(): void {
    this.#wake();
  }

  /** Stops claiming messages and waits for those being sent; the rest stay queued. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    while (this.#active.size > 0) {
      await Promise.allSettled([...this.#active]);
    }
  }

  #wake(delayMs = 0): void {
    if (!this.#running) {
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#poll(), delayMs);
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    if (!this.#running || this.#polling) {
      return;
    }
    this.#polling = true;
    try {
      await this.#requeueStranded();
      const free = this.deps.settings.concurrency - this.#active.size;
      const due = free > 0 ? await this.deps.store.claimDueMessages(this.deps.now(), free) : [];
      for (const message of due) {
        this.#track(message, this.#sendPass(message));
      }
    } catch (error) {
      this.#onError(error, undefined);
    } finally {
      this.#polling = false;
      this.#wake(this.deps.settings.poll_interval_ms);
    }
  }

  #track(message: ClaimedMessage, work: Promise<void>): void {
    const tracked = work
      .catch((error: unknown) => this.#requeueAfterError(message, error))
      .finally(() => {
        this.#active.delete(tracked);
        this.#wake();
      });
    this.#active.add(tracked);
  }

  /**
   * Puts a message whose pass failed with an error, such as a failed store write, back in the
   * queue after the route's backoff, so that it does not stay in `sending` until the next start.
   * When the requeue fails as well, each poll tries it again.
   */
  async #requeueAfterError(message: ClaimedMessage, error: unknown): Promise<void> {
    try {
      const requeued = await this.#requeue(message);
      this.#onError(error, message.id, requeued ? 'requeued' : undefined);
    } catch (requeueError) {
      this.#stranded.set(message.id, message);
      this.#onError(error, message.id, 'requeue_failed');
      this.#onError(requeueError, message.id);
    }
  }

  /**
   * Tries the requeue of each stranded message again. The failure was logged when the message was
   * stranded, so a repeat is not logged, and it stops neither the other requeues nor the claim.
   */
  async #requeueStranded(): Promise<void> {
    for (const message of [...this.#stranded.values()]) {
      try {
        await this.#requeue(message);
        this.#stranded.delete(message.id);
      } catch {
        // Still failing; the next poll tries again.
      }
    }
  }

  /** Requeues a message that is still in `sending`, and resolves false when it is not. */
  #requeue(message: ClaimedMessage): Promise<boolean> {
    const settings = this.deps.routes[message.route];
    const at = this.deps.now();
    const wait = settings ? backoffMs(message.passes, settings) : 0;
    return this.deps.store.requeueMessage(message.id, Math.min(message.expiresAt, at + wait), at);
  }

  /** Runs one sending pass of a claimed message and stores where it ended. */
  async #sendPass(message: ClaimedMessage): Promise<void> {
    const { router, store } = this.deps;
    const settings = this.deps.routes[message.route];
    const route = router.routes.find((candidate) => candidate.name === message.route);
    const attempts: AttemptRecord[] = message.attempts.map((attempt) => ({
      provider: attempt.provider,
      outcome: attempt.outcome ?? 'ambiguous',
      http_status: attempt.httpStatus,
      provider_code: attempt.providerCode,
      duration_ms: attempt.durationMs ?? 0,
    }));
    if (!settings || !route) {
      return this.#fail(message, 'unknown_route', attempts, { escalate: [] });
    }
    // An accepted attempt that no resend superseded means an earlier pass sent the message and
    // only its end state was not written.
    const unfinished = message.attempts.find(
      (attempt) => attempt.outcome === 'sent' && !attempt.superseded,
    );
    if (unfinished) {
      return this.#finishAccepted(message, unfinished.provider, attempts);
    }

    // A provider that may already have the message is not asked again: a second POST is as
    // likely to duplicate it as another provider is. A resend skips every provider that accepted
    // the message in an earlier pass, so each provider gets it at most once.
    const maybeSent = new Set(
      attempts.filter((attempt) => attempt.outcome === 'ambiguous').map((a) => a.provider),
    );
    const accepted = new Set(
      attempts.filter((attempt) => attempt.outcome === 'sent').map((a) => a.provider),
    );
    const eligible = {
      ...route,
      slots: route.slots.filter((slot) => !maybeSent.has(slot.id) && !accepted.has(slot.id)),
    };
    if (maybeSent.size > 0 && (settings.on_ambiguous === 'stop' || eligible.slots.length === 0)) {
      return this.#fail(message, 'outcome_unknown', attempts, settings);
    }
    if (message.expired || this.deps.now() >= message.expiresAt) {
      return this.#fail(message, 'expired', attempts, settings);
    }

    const journal = new StoreJournal(store, message.id, { resend: accepted.size > 0 });
    const result = await router.route(eligible, sendRequest(toOutbound(message)), {
      messageId: message.id,
      deadline: Math.min(this.deps.now() + settings.deadline_ms, message.expiresAt),
      attempts,
      journal,
    });
    await journal.settled();
    if (isFinal(result)) {
      return this.#finish(message, result, settings);
    }

    const at = this.deps.now();
    if (at >= message.expiresAt) {
      return this.#fail(message, 'expired', result.attempts, settings);
    }
    const next = Math.min(message.expiresAt, at + backoffMs(message.passes, settings));
    await store.requeueMessage(message.id, next, at);
  }

  async #finish(message: ClaimedMessage, result: RoutingResult, settings: RouteConfig) {
    const escalatedTo =
      result.kind === 'outcome_unknown'
        ? escalateUnsent(
            this.deps.escalator,
            unsent(message),
            settings,
            result.kind,
            result.attempts,
          )
        : [];
    const sender = { id: message.id, to: message.to, from: message.from ?? undefined };
    await this.deps.optOuts.record(sender, result, this.deps.now());
    const timeoutMs = settings.delivery.final_status_timeout_ms;
    await this.deps.store.finishMessage(
      message.id,
      messageResult(result, this.deps.now(), timeoutMs),
    );
    this.#emit(message, result.kind, escalatedTo);
  }

  /**
   * Finishes as `sent` a message that a provider accepted in a pass whose end was not written,
   * because sending it again would duplicate it. The provider's message id is lost with that pass.
   */
  async #finishAccepted(
    message: ClaimedMessage,
    provider: string,
    attempts: readonly AttemptRecord[],
  ): Promise<void> {
    await this.deps.store.finishMessage(message.id, {
      status: 'sent',
      code: null,
      provider,
      providerMessageId: null,
      possibleDuplicate: attempts.some((attempt) => attempt.outcome === 'ambiguous'),
      at: this.deps.now(),
    });
    this.#emit(message, 'sent', []);
  }

  async #fail(
    message: ClaimedMessage,
    code: 'unknown_route' | 'outcome_unknown' | 'expired',
    attempts: readonly AttemptRecord[],
    settings: Pick<RouteConfig, 'escalate'>,
  ) {
    const escalatedTo = escalateUnsent(
      this.deps.escalator,
      unsent(message),
      settings,
      code,
      attempts,
    );
    const result: MessageResult = {
      status: 'failed',
      code,
      provider: null,
      providerMessageId: null,
      possibleDuplicate: attempts.some((attempt) => attempt.outcome === 'ambiguous'),
      at: this.deps.now(),
    };
    await this.deps.store.finishMessage(message.id, result);
    this.#emit(message, code === 'outcome_unknown' ? code : 'deadline_exceeded', escalatedTo);
  }

  #emit(message: ClaimedMessage, outcome: RoutingResult['kind'], escalatedTo: readonly string[]) {
    this.deps.events.emit('message', {
      message_id: message.id,
      route: message.route,
      outcome,
      escalated_to: escalatedTo,
    });
  }
}

/** Returns true for a result after which the message leaves the queue. */
function isFinal(result: RoutingResult): boolean {
  return result.kind === 'sent' || result.kind === 'rejected' || result.kind === 'outcome_unknown';
}

/** Returns the wait before pass `passes + 1`: doubling from the initial backoff, capped. */
function backoffMs(passes: number, settings: RouteConfig): number {
  const doubled = settings.async_retry_initial_backoff_ms * 2 ** Math.min(passes, 30);
  return Math.min(settings.async_retry_max_backoff_ms, doubled);
}

function toOutbound(message: ClaimedMessage) {
  return {
    to: message.to,
    body: message.body,
    encoding: message.encoding,
    ...(message.from === null ? {} : { from: message.from }),
    ...(message.reference === null ? {} : { reference: message.reference }),
  };
}

function unsent(message: ClaimedMessage) {
  return {
    id: message.id,
    requestId: message.requestId,
    route: message.route,
    to: message.to,
    body: message.body,
    reference: message.reference ?? undefined,
  };
}
