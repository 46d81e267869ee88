import { randomUUID } from 'node:crypto';

import type { AttemptRecord, GatewayEvents } from '../events.js';
import { settlesWithin } from '../resilience/sleep.js';
import { EscalationChannels, type PendingEvent } from './channels.js';
import type { ChannelTransport } from './delivery.js';
import type { ErrorLog } from './error-log.js';
import type { ChannelHealth } from './health.js';
import type {
  DeliveryFailure,
  EscalationChannelName,
  EscalationEvent,
  MessageEscalationEvent,
  ProviderAlertEvent,
} from './types.js';

/** A message that no provider of its route sent, or that its provider could not deliver. */
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
  /** The final delivery report, for reason `undelivered`. */
  readonly delivery?: DeliveryFailure | undefined;
}

/** An operator alert before it gets its event id and time. */
export type OperatorAlert = Omit<ProviderAlertEvent, 'event_id' | 'at'>;

export interface EscalatorOptions {
  readonly errorLog: ErrorLog;
  /** Whether the error log gets the full recipient number instead of the masked one. */
  readonly includeFullRecipient: boolean;
  /** The email and webhook channels that are configured. */
  readonly transports?: readonly ChannelTransport[];
  /** The channels that operator alerts go to; default the error log. */
  readonly alertChannels?: readonly EscalationChannelName[];
  readonly events?: GatewayEvents;
  readonly now: () => number;
  /** Source of the backoff jitter; default `Math.random`. */
  readonly random?: () => number;
  /** Called when a channel gives up on an event, with the channel and the error. */
  readonly onChannelError: (channel: string, eventId: string, error: unknown) => void;
}

/**
 * Hands escalation events to their channels without waiting for them, so that the client's
 * response is never delayed. Each channel delivers on its own, so one that fails or hangs never
 * delays another. An event that the email or webhook channel gives up on goes to the error log
 * as a dead letter. Tracks each delivery until it settles, so that shutdown can flush them.
 */
export class Escalator {
  readonly #deliveries = new Set<Promise<void>>();
  readonly #pending = new Map<string, PendingEvent>();
  readonly #channels: EscalationChannels;

  constructor(private readonly options: EscalatorOptions) {
    this.#channels = new EscalationChannels({
      errorLog: options.errorLog,
      includeFullRecipient: options.includeFullRecipient,
      transports: options.transports ?? [],
      events: options.events,
      now: options.now,
      random: options.random ?? Math.random,
      onChannelError: options.onChannelError,
    });
  }

  /** Number of deliveries not settled yet. */
  get pending(): number {
    return this.#deliveries.size;
  }

  /**
   * Starts delivery of one failed message to `channels` (the route's `escalate` list) and returns
   * the channels it was handed to. Never waits for a delivery.
   */
  escalateMessage(
    escalation: MessageEscalation,
    channels: readonly EscalationChannelName[] = ['error_log'],
  ): EscalationChannelName[] {
    const event: MessageEscalationEvent = {
      type: 'message_escalation',
      event_id: randomUUID(),
      at: new Date(this.options.now()).toISOString(),
      message_id: escalation.messageId,
      request_id: escalation.requestId,
      reason: escalation.reason,
      route: escalation.route,
      recipient: escalation.to,
      body: escalation.body,
      reference: escalation.reference ?? null,
      attempts: escalation.attempts,
      delivery: escalation.delivery ?? null,
    };
    return this.#start(event, channels);
  }

  /** Starts delivery of an operator alert to the alert channels and returns them. */
  alertOperators(alert: OperatorAlert): EscalationChannelName[] {
    const { type, ...details } = alert;
    const event: ProviderAlertEvent = {
      type,
      event_id: randomUUID(),
      at: new Date(this.options.now()).toISOString(),
      ...details,
    };
    return this.#start(event, this.options.alertChannels ?? ['error_log']);
  }

  /** Returns the health of each configured channel. */
  health(): Partial<Record<EscalationChannelName, ChannelHealth>> {
    return this.#channels.health();
  }

  /**
   * Checks each channel that can be checked without sending (email: connect, TLS, log in) and
   * records the result for `health()`. Never rejects.
   */
  verify(): Promise<void> {
    return this.#channels.verify();
  }

  /**
   * Waits until every delivery started so far has settled, or until `timeoutMs` has passed. Then
   * it stops the deliveries still pending and writes each of their events to the error log, with
   * the channels that did not deliver it in `undelivered_channels`.
   * NOTE: an SMTP attempt cannot be cancelled, only no longer waited for. If the server accepts
   * that email after the dead letter is written, the event arrives on both.
   */
  async flush(timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    if (await settlesWithin(this.#settled(), timeoutMs)) {
      return;
    }

    const writes: Promise<void>[] = [];
    for (const entry of this.#pending.values()) {
      const undelivered = [...entry.channels].filter((channel) => channel !== 'error_log');
      if (undelivered.length === 0 || entry.controller.signal.aborted) {
        continue;
      }
      entry.controller.abort();
      undelivered.forEach((channel) => entry.channels.delete(channel));
      writes.push(
        this.#channels.deadLetter(entry.event, undelivered, 'not delivered before shutdown', 0),
      );
    }
    await Promise.allSettled(writes);
  }

  /** Releases the channels' connections. Call after `flush`. */
  close(): void {
    this.#channels.close();
  }

  #start(
    event: EscalationEvent,
    requested: readonly EscalationChannelName[],
  ): EscalationChannelName[] {
    const channels = requested.filter((channel) => this.#channels.has(channel));
    const entry: PendingEvent = {
      event,
      controller: new AbortController(),
      channels: new Set(channels),
    };
    this.#pending.set(event.event_id, entry);

    for (const channel of channels) {
      this.#track(
        this.#channels.deliver(channel, entry).finally(() => {
          entry.channels.delete(channel);
          if (entry.channels.size === 0) {
            this.#pending.delete(event.event_id);
          }
        }),
      );
    }
    return channels;
  }

  async #settled(): Promise<void> {
    while (this.#deliveries.size > 0) {
      await Promise.allSettled([...this.#deliveries]);
    }
  }

  #track(delivery: Promise<void>): void {
    this.#deliveries.add(delivery);
    void delivery.finally(() => this.#deliveries.delete(delivery));
  }
}
