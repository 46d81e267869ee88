import type { EscalationChannelName } from '../config/index.js';
import type { AttemptRecord } from '../events.js';
import type { BreakerState } from '../resilience/breaker.js';

export type { EscalationChannelName };

/** The kind of an escalation event. */
export type EscalationKind =
  'message_escalation' | 'provider_down' | 'provider_recovered' | 'provider_alert_summary';

/** The result of one channel's delivery of one event, or a scheduled retry. */
export type DeliveryOutcome = 'delivered' | 'failed_retryable' | 'failed' | 'dead_lettered';

/**
 * A message that no provider of its route sent, or that the provider reported undelivered with no
 * resend to follow, as the channels receive it.
 */
export interface MessageEscalationEvent {
  readonly type: 'message_escalation';
  /** Stable id of this event, the same on every channel and every retry. */
  readonly event_id: string;
  readonly at: string;
  readonly message_id: string;
  readonly request_id: string;
  /**
   * The problem code the client received, such as `all_providers_failed`, or `undelivered` for a
   * delivery failure.
   */
  readonly reason: string;
  readonly route: string;
  /** The full E.164 number; each channel masks it unless configured not to. */
  readonly recipient: string;
  readonly body: string;
  readonly reference: string | null;
  readonly attempts: readonly AttemptRecord[];
  /** The provider's final report for reason `undelivered`; null for a message never sent. */
  readonly delivery: DeliveryFailure | null;
}

/** The delivery report that ended a message the provider accepted but could not deliver. */
export interface DeliveryFailure {
  readonly provider: string;
  /** `undelivered` or `failed`. */
  readonly status: string;
  /** Failure class, such as `provider_failure` or `recipient_failure`. */
  readonly failure_class: string | null;
  /** The provider's or carrier's error code, such as Twilio `30008`. */
  readonly provider_code: string | null;
}

/** Counts of alerts that a repeat window held back. */
export interface FoldedAlerts {
  readonly provider_down: number;
  readonly provider_recovered: number;
}

/** A provider went down, recovered, or changed state several times within a repeat window. */
export interface ProviderAlertEvent {
  readonly type: 'provider_down' | 'provider_recovered' | 'provider_alert_summary';
  readonly event_id: string;
  readonly at: string;
  readonly provider: string;
  /** The breaker state when the alert was made. */
  readonly state: BreakerState;
  /** Why, such as `3 consecutive failures` or `configuration fault (provider code 20003)`. */
  readonly reason: string;
  /** Alerts held back since the previous alert for this provider. */
  readonly folded: FoldedAlerts;
  /** When the outage began; set on `provider_recovered`. */
  readonly down_since: string | null;
}

export type EscalationEvent = MessageEscalationEvent | ProviderAlertEvent;
