import { randomUUID } from 'node:crypto';

import type { AttemptRecord } from '../events.js';
import { maskPhoneNumber } from '../sms/index.js';
import type { ErrorLog } from './error-log.js';

/** A message that no provider of its route sent. */
export interface MessageEscalation {
  readonly messageId: string;
  readonly requestId: string;
  /** The problem code the client received, such as `all_providers_failed`. */
  readonly reason: string;
  readonly route: string;
  readonly to: string;
  readonly body: string;
  readonly reference: string | undefined;
  readonly attempts: readonly AttemptRecord[];
}

export interface EscalatorOptions {
  readonly errorLog: ErrorLog;
  readonly includeFullRecipient: boolean;
  readonly now: () => number;
  /** Called when a channel fails to take an event, with the channel and the error. */
  readonly onChannelError: (channel: string, eventId: string, error: unknown) => void;
}

/**
 * Hands failed messages to the escalation channels without waiting for them, so that the client's
 * response is never delayed. Tracks each delivery until it settles so shutdown can wait for them.
 */
export class Escalator {
  readonly #deliveries = new Set<Promise<void>>();

  constructor(private readonly options: EscalatorOptions) {}

  /** Number of deliveries not settled yet. */
  get pending(): number {
    return this.#deliveries.size;
  }

  /** Starts delivery of one escalation and returns the channels it was handed to. */
  escalateMessage(escalation: MessageEscalation): string[] {
    const { includeFullRecipient, errorLog, now } = this.options;
    const event = {
      type: 'message_escalation',
      event_id: randomUUID(),
      at: new Date(now()).toISOString(),
      message_id: escalation.messageId,
      request_id: escalation.requestId,
      reason: escalation.reason,
      route: escalation.route,
      recipient: includeFullRecipient ? escalation.to : maskPhoneNumber(escalation.to),
      body: escalation.body,
      reference: escalation.reference ?? null,
      attempts: escalation.attempts,
    };

    this.#track(
      errorLog.append(event).catch((error: unknown) => {
        this.options.onChannelError('error_log', event.event_id, error);
      }),
    );
    return ['error_log'];
  }

  /** Waits until every delivery started so far has settled. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.#deliveries]);
  }

  #track(delivery: Promise<void>): void {
    this.#deliveries.add(delivery);
    void delivery.finally(() => this.#deliveries.delete(delivery));
  }
}
