import type { DeliveryReport } from '../../providers/delivery.js';
import type { GatewayEvents } from '../events.js';
import type { DeliveryReportOutcome, MessageStore, NewDeliveryReport } from '../store/index.js';

/**
 * Records the delivery reports that the webhooks receive. Each report costs one store write, so
 * a webhook can acknowledge the provider as soon as `record` resolves.
 */
export class DeliveryTracker {
  constructor(
    private readonly store: MessageStore,
    private readonly events: GatewayEvents,
    private readonly now: () => number,
    /** Time a report for an unknown provider message id is kept (`store.pending_report_ttl_ms`). */
    private readonly pendingTtlMs: number,
    /** Called when a report changed a message status, so that its delivery check runs at once. */
    private readonly onMessageChanged: () => void = () => undefined,
  ) {}

  /**
   * Records `report` from a provider of type `source`, for one of the configured `providers`
   * whose account matched, and emits a `delivery` event. `attempt` is the attempt that a signed
   * callback URL named, if any. Rejects with the store's error.
   */
  async record(
    source: string,
    providers: readonly string[],
    report: DeliveryReport,
    attempt?: NewDeliveryReport['attempt'],
  ): Promise<DeliveryReportOutcome> {
    const receivedAt = this.now();
    const outcome = await this.store.recordDeliveryReport({
      ...report,
      source,
      providers,
      receivedAt,
      pendingUntil: receivedAt + this.pendingTtlMs,
      ...(attempt === undefined ? {} : { attempt }),
    });

    this.events.emit('delivery', {
      source,
      provider_message_id: report.providerMessageId,
      status: report.status,
      provider_status: report.providerStatus,
      provider_code: report.providerCode,
      failure_class: report.failureClass,
      result: outcome.kind,
      ...(outcome.kind === 'recorded'
        ? {
            message_id: outcome.messageId,
            attempt: outcome.attempt,
            attempt_changed: outcome.attemptChanged,
            message_status: outcome.messageStatus,
            message_changed: outcome.messageChanged,
          }
        : {}),
    });
    if (outcome.kind === 'recorded' && outcome.messageChanged) {
      this.onMessageChanged();
    }
    return outcome;
  }
}
