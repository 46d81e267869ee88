import type { Config, RouteConfig } from '../config/index.js';
import type { Escalator } from '../escalation/escalator.js';
import type { AttemptRecord, GatewayEvents } from '../events.js';
import type { DeliveryCheck, MessageStore, UndeliveredMessage } from '../store/index.js';
import { decideResend } from './resend-policy.js';

/** Messages one pass of the monitor checks, at most. */
const BATCH_SIZE = 50;

/** Services the delivery monitor uses. */
export interface DeliveryMonitorDependencies {
  readonly store: MessageStore;
  readonly events: GatewayEvents;
  readonly now: () => number;
  readonly routes: Config['routes'];
  /** Receives the delivery failures that no resend follows. */
  readonly escalator: Escalator;
  /** Time between two looks at the due checks when nothing woke the monitor. */
  readonly pollIntervalMs: number;
  /** Called after a resend was queued, so that the queue sender claims it at once. */
  readonly onResend: () => void;
}

/** Receives errors that the monitor catches, with the message id when one check failed. */
export type MonitorErrorHandler = (error: unknown, messageId: string | undefined) => void;

/**
 * Works through the delivery checks in the store: messages whose provider reported a failure,
 * and messages without a final status after their route's `final_status_timeout_ms`. For each it
 * calls `decideResend` and either queues a resend through the store's queue or ends the check.
 * A failure that no resend follows is escalated with reason `undelivered`, unless its route sets
 * `escalate_undelivered = false`. The due times live in the store, so checks that a restart
 * interrupted run after the next start.
 */
export class DeliveryMonitor {
  #running = false;
  #checking: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #onError: MonitorErrorHandler = () => undefined;

  constructor(private readonly deps: DeliveryMonitorDependencies) {}

  /** Starts looking at the due checks now and every `pollIntervalMs`. */
  start(onError: MonitorErrorHandler): void {
    this.#onError = onError;
    this.#running = true;
    this.wake();
  }

  /** Looks at the due checks now, as after a delivery report that changed a message. */
  wake(delayMs = 0): void {
    if (!this.#running) {
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#pass(), delayMs);
    this.#timer.unref();
  }

  /** Stops the monitor and waits for the pass in progress. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#checking;
  }

  async #pass(): Promise<void> {
    if (this.#checking !== undefined) {
      return;
    }
    this.#checking = this.#checkDue();
    try {
      await this.#checking;
    } finally {
      this.#checking = undefined;
      this.wake(this.deps.pollIntervalMs);
    }
  }

  async #checkDue(): Promise<void> {
    let due: DeliveryCheck[];
    try {
      due = await this.deps.store.listDeliveryChecks(this.deps.now(), BATCH_SIZE);
    } catch (error) {
      this.#onError(error, undefined);
      return;
    }
    for (const check of due) {
      if (!this.#running) {
        return;
      }
      try {
        await this.#settle(check);
      } catch (error) {
        this.#onError(error, check.id);
      }
    }
  }

  /** Queues a resend of one message or ends its check, and reports which. */
  async #settle(check: DeliveryCheck): Promise<void> {
    const { store, events, now } = this.deps;
    const route = this.deps.routes[check.route];
    const decision = decideResend(check, route, now());
    if (decision.kind === 'none') {
      const escalatedTo = await this.#endCheck(check, route);
      if (escalatedTo === undefined) {
        // A report changed the message since the check was listed, so the next pass reads it again.
        return;
      }
      events.emit('resend_skipped', {
        message_id: check.id,
        route: check.route,
        status: check.status,
        failure_class: check.code,
        reason: decision.reason,
        escalated_to: escalatedTo,
      });
      return;
    }

    const at = now();
    const queued = await store.resendMessage({
      id: check.id,
      attempt: decision.attempt,
      expectedStatus: check.status,
      code:
        decision.reason === 'delivery_failure' ? 'resend_after_failure' : 'resend_after_timeout',
      at,
      expiresAt: at + (route?.async_validity_ms ?? 0),
    });
    if (!queued) {
      // A report changed the message since the check was listed, so the next pass reads it again.
      return;
    }
    events.emit('resend', {
      message_id: check.id,
      route: check.route,
      from: check.provider,
      attempt: decision.attempt,
      reason: decision.reason,
      failure_class: check.code,
      candidates: decision.candidates,
    });
    this.deps.onResend();
  }

  /**
   * Ends the check of a message that gets no resend, and escalates it when its provider reported
   * a failure. Returns the channels it went to, or undefined when the message changed since the
   * check was listed. The store ends the check before the escalation starts, so that a repeated
   * check never escalates twice.
   * NOTE: the escalation is then in memory until each channel delivers it. A graceful shutdown
   * writes it to the error log, but a crash in that window loses it.
   */
  async #endCheck(
    check: DeliveryCheck,
    route: RouteConfig | undefined,
  ): Promise<readonly string[] | undefined> {
    const { store } = this.deps;
    const failed = check.status === 'undelivered' || check.status === 'failed';
    if (!failed || route?.delivery.escalate_undelivered === false) {
      await store.clearDeliveryCheck(check.id);
      return [];
    }

    const message = await store.claimUndelivered(check.id, check.status);
    if (message === undefined) {
      return undefined;
    }
    // A route removed from the configuration has no channel list, so the error log gets it.
    return this.deps.escalator.escalateMessage(
      {
        messageId: message.id,
        requestId: message.requestId,
        reason: 'undelivered',
        route: message.route,
        to: message.to,
        body: message.body,
        reference: message.reference ?? undefined,
        attempts: attemptRecords(message),
        delivery: {
          provider: check.provider ?? '-',
          status: check.status,
          failure_class: check.code,
          provider_code: deliveryCodeOf(message, check.attempt),
        },
      },
      route?.escalate ?? ['error_log'],
    );
  }
}

/** Returns the attempts of a message as escalation events list them. */
function attemptRecords(message: UndeliveredMessage): AttemptRecord[] {
  return message.attempts.map((attempt) => ({
    provider: attempt.provider,
    outcome: attempt.outcome ?? 'ambiguous',
    http_status: attempt.httpStatus,
    provider_code: attempt.providerCode,
    duration_ms: attempt.durationMs ?? 0,
  }));
}

/** Returns the provider code of the last report on attempt `number`, such as Twilio `30008`. */
function deliveryCodeOf(message: UndeliveredMessage, number: number | null): string | null {
  const attempt = message.attempts.find((candidate) => candidate.number === number);
  return attempt?.delivery?.providerCode ?? null;
}
