import type { Config } from '../config/index.js';
import type { GatewayEvents } from '../events.js';
import type { DeliveryCheck, MessageStore } from '../store/index.js';
import { decideResend } from './resend-policy.js';

/** Messages one pass of the monitor checks, at most. */
const BATCH_SIZE = 50;

/** Services the delivery monitor uses. */
export interface DeliveryMonitorDependencies {
  readonly store: MessageStore;
  readonly events: GatewayEvents;
  readonly now: () => number;
  readonly routes: Config['routes'];
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
 * The due times live in the store, so checks that a restart interrupted run after the next
 * start.
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
      await store.clearDeliveryCheck(check.id);
      events.emit('resend_skipped', {
        message_id: check.id,
        route: check.route,
        status: check.status,
        failure_class: check.code,
        reason: decision.reason,
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
}
