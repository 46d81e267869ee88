import type { EscalationDeliveryEvent, GatewayEvents } from '../events.js';
import {
  ConcurrencyLimiter,
  deliver,
  type AttemptResult,
  type ChannelTransport,
  type DeliveryEnd,
} from './delivery.js';
import type { ErrorLog } from './error-log.js';
import { ChannelHealthTracker, type ChannelHealth } from './health.js';
import { eventRecord } from './record.js';
import type { EscalationChannelName, EscalationEvent } from './types.js';

/** Attempts that one channel runs at the same time; more events wait for a free slot. */
const MAX_CONCURRENT_ATTEMPTS = 4;

/** An event with the channels that have not settled it yet. */
export interface PendingEvent {
  readonly event: EscalationEvent;
  /** Aborted when shutdown gives up on the event. */
  readonly controller: AbortController;
  readonly channels: Set<EscalationChannelName>;
}

export interface EscalationChannelsOptions {
  readonly errorLog: ErrorLog;
  /** Whether the error log gets the full recipient number instead of the masked one. */
  readonly includeFullRecipient: boolean;
  /** The email and webhook channels that are configured. */
  readonly transports: readonly ChannelTransport[];
  readonly events: GatewayEvents | undefined;
  readonly now: () => number;
  readonly random: () => number;
  readonly onChannelError: (channel: string, eventId: string, error: unknown) => void;
}

/**
 * The configured channels: delivers one event to one channel, writes dead letters to the error
 * log, tracks each channel's health and reports every outcome as an `escalation` event.
 */
export class EscalationChannels {
  readonly #transports = new Map<EscalationChannelName, ChannelTransport>();
  readonly #limiters = new Map<EscalationChannelName, ConcurrencyLimiter>();
  readonly #health = new Map<EscalationChannelName, ChannelHealthTracker>();

  constructor(private readonly options: EscalationChannelsOptions) {
    this.#health.set('error_log', new ChannelHealthTracker());
    for (const transport of options.transports) {
      this.#transports.set(transport.name, transport);
      this.#limiters.set(transport.name, new ConcurrencyLimiter(MAX_CONCURRENT_ATTEMPTS));
      this.#health.set(transport.name, new ChannelHealthTracker());
    }
  }

  /** Returns true for the error log and for each configured transport. */
  has(channel: EscalationChannelName): boolean {
    return channel === 'error_log' || this.#transports.has(channel);
  }

  /**
   * Delivers `entry`'s event to `channel` and resolves once the channel has settled it: written,
   * delivered, dead-lettered after the channel gave up, or abandoned by shutdown.
   */
  deliver(channel: EscalationChannelName, entry: PendingEvent): Promise<void> {
    const transport = this.#transports.get(channel);
    return transport ? this.#deliverVia(transport, entry) : this.#writeErrorLog(entry);
  }

  /** Returns the health of each configured channel. */
  health(): Partial<Record<EscalationChannelName, ChannelHealth>> {
    return Object.fromEntries(
      [...this.#health].map(([channel, tracker]) => [channel, tracker.snapshot()]),
    );
  }

  /**
   * Checks each transport that can be checked without sending; never rejects.
   * NOTE: it runs once, at start-up. A failed check shows in `health()` until a later delivery
   * to that channel succeeds, even when the server was fixed in between.
   */
  async verify(): Promise<void> {
    const checks = [...this.#transports.values()].map(async (transport) => {
      if (transport.verify === undefined) {
        return;
      }
      const tracker = this.#tracker(transport.name);
      try {
        await transport.verify();
        tracker.recordVerified(this.options.now());
        this.options.events?.emit('escalation_verify', { channel: transport.name, ok: true });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        tracker.recordFailure(message);
        this.options.events?.emit('escalation_verify', {
          channel: transport.name,
          ok: false,
          error: message,
        });
      }
    });
    await Promise.all(checks);
  }

  close(): void {
    for (const transport of this.#transports.values()) {
      transport.close?.();
    }
  }

  async #writeErrorLog(entry: PendingEvent): Promise<void> {
    const { event } = entry;
    const tracker = this.#tracker('error_log');
    tracker.pending += 1;
    try {
      await this.options.errorLog.append(eventRecord(event, this.options.includeFullRecipient));
      tracker.recordSuccess();
      this.#emit('error_log', 'delivered', event, 1);
    } catch (error) {
      this.#errorLogFailed(event, error);
    } finally {
      tracker.pending -= 1;
    }
  }

  async #deliverVia(transport: ChannelTransport, entry: PendingEvent): Promise<void> {
    const { event } = entry;
    const channel = transport.name;
    const tracker = this.#tracker(channel);
    tracker.pending += 1;
    try {
      const end = await this.#runDelivery(transport, entry);
      if (end.kind !== 'failed') {
        return;
      }
      // The dead letter below settles this channel; a flush must not write a second one.
      entry.channels.delete(channel);
      this.options.onChannelError(channel, event.event_id, new Error(end.error));
      await this.deadLetter(event, [channel], end.error, end.attempts);
    } finally {
      tracker.pending -= 1;
    }
  }

  async #runDelivery(transport: ChannelTransport, entry: PendingEvent): Promise<DeliveryEnd> {
    const channel = transport.name;
    const tracker = this.#tracker(channel);
    const observer = {
      attemptEnded: (attempt: number, result: AttemptResult, retryInMs: number | undefined) => {
        if (result.ok) {
          tracker.recordSuccess();
          this.#emit(channel, 'delivered', entry.event, attempt);
          return;
        }
        tracker.recordFailure(result.error);
        const outcome = retryInMs === undefined ? 'failed' : 'failed_retryable';
        this.#emit(channel, outcome, entry.event, attempt, {
          error: result.error,
          ...(retryInMs === undefined ? {} : { retry_in_ms: retryInMs }),
        });
      },
      waitStarted: () => (tracker.failedRetryable += 1),
      waitEnded: () => (tracker.failedRetryable -= 1),
    };

    try {
      return await deliver(transport.prepare(entry.event), transport.retry, {
        signal: entry.controller.signal,
        random: this.options.random,
        limiter: this.#limiters.get(channel) ?? new ConcurrencyLimiter(1),
        observer,
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      observer.attemptEnded(1, { ok: false, retryable: false, error: message }, undefined);
      return { kind: 'failed', attempts: 1, error: message };
    }
  }

  /**
   * Writes `event` to the error log for the channels that could not deliver it, with those
   * channels in `undelivered_channels` and the reason in `error`.
   */
  async deadLetter(
    event: EscalationEvent,
    channels: readonly EscalationChannelName[],
    error: string,
    attempts: number,
  ): Promise<void> {
    const tracker = this.#tracker('error_log');
    const line = {
      ...eventRecord(event, this.options.includeFullRecipient),
      dead_letter: true,
      undelivered_channels: channels,
      error,
    };
    tracker.pending += 1;
    try {
      await this.options.errorLog.append(line);
      tracker.recordSuccess();
      channels.forEach((channel) => this.#emit(channel, 'dead_lettered', event, attempts));
    } catch (writeError) {
      this.#errorLogFailed(event, writeError);
    } finally {
      tracker.pending -= 1;
    }
  }

  #errorLogFailed(event: EscalationEvent, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#tracker('error_log').recordFailure(message);
    this.#emit('error_log', 'failed', event, 1, { error: message });
    this.options.onChannelError('error_log', event.event_id, error);
  }

  #emit(
    channel: EscalationChannelName,
    outcome: EscalationDeliveryEvent['outcome'],
    event: EscalationEvent,
    attempt: number,
    extra: Pick<EscalationDeliveryEvent, 'error' | 'retry_in_ms'> = {},
  ): void {
    this.options.events?.emit('escalation', {
      channel,
      outcome,
      event_id: event.event_id,
      kind: event.type,
      attempt,
      ...extra,
      ...(event.type === 'message_escalation'
        ? { message_id: event.message_id }
        : { provider: event.provider }),
    });
  }

  #tracker(channel: EscalationChannelName): ChannelHealthTracker {
    let tracker = this.#health.get(channel);
    if (tracker === undefined) {
      tracker = new ChannelHealthTracker();
      this.#health.set(channel, tracker);
    }
    return tracker;
  }
}
