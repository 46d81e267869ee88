import { EventEmitter } from 'node:events';

import type { ErrorClass } from '../providers/contract.js';
import type { DeliveryFailureClass, DeliveryStatus } from '../providers/delivery.js';
import type { DeliveryOutcome, EscalationChannelName, EscalationKind } from './escalation/types.js';
import type { BreakerTransition } from './resilience/breaker.js';
import type { RoutingResult } from './routing/router.js';
import type { DeliveryReportOutcome, MessageStatus } from './store/types.js';

/** The outcome of an attempt: `sent` or an error class. */
export type AttemptOutcome = 'sent' | ErrorClass;

/** One attempt as the API returns it and the logs record it. */
export interface AttemptRecord {
  readonly provider: string;
  readonly outcome: AttemptOutcome;
  readonly http_status: number | null;
  readonly provider_code: string | null;
  readonly duration_ms: number;
}

export interface AttemptEvent extends AttemptRecord {
  readonly message_id: string;
  readonly attempt: number;
  /** The adapter's log-safe description of a failure. */
  readonly error?: string;
  readonly unclassified: boolean;
  readonly config_fault: boolean;
}

export interface RetryEvent {
  readonly message_id: string;
  readonly provider: string;
  readonly retry: number;
  readonly delay_ms: number;
}

export interface CooldownEvent {
  readonly provider: string;
  readonly until: number;
  readonly delay_ms: number;
}

export interface FailoverEvent {
  readonly message_id: string;
  readonly from: string;
  readonly reason: string;
}

/** A message whose routing has ended. */
export interface MessageOutcomeEvent {
  readonly message_id: string;
  readonly route: string;
  /** The routing result, such as `sent` or `all_providers_failed`. */
  readonly outcome: RoutingResult['kind'];
  /** Escalation channels the message was handed to; empty when it was sent. */
  readonly escalated_to: readonly string[];
}

/** A provider's delivery report and what recording it did. */
export interface DeliveryReportEvent {
  /** Provider type that sent the report, such as `twilio`. */
  readonly source: string;
  readonly provider_message_id: string;
  readonly status: DeliveryStatus;
  readonly provider_status: string;
  readonly provider_code: string | null;
  readonly failure_class: DeliveryFailureClass | null;
  /** `recorded`, `duplicate` (seen before), or `pending` (no attempt has this id yet). */
  readonly result: DeliveryReportOutcome['kind'];
  readonly message_id?: string;
  readonly attempt?: number;
  /** False when the report did not advance the attempt, such as a late `sent`. */
  readonly attempt_changed?: boolean;
  readonly message_status?: MessageStatus;
  readonly message_changed?: boolean;
}

/** A message queued again for another provider of its route. */
export interface ResendEvent {
  readonly message_id: string;
  readonly route: string;
  /** The provider whose accepted attempt the resend supersedes. */
  readonly from: string | null;
  readonly attempt: number;
  readonly reason: 'delivery_failure' | 'final_status_timeout';
  /** The failure class of a `delivery_failure`; null for a timeout. */
  readonly failure_class: string | null;
  /** Providers that may take the resend, in route order. */
  readonly candidates: readonly string[];
}

/** A delivery check that ended without a resend. */
export interface ResendSkippedEvent {
  readonly message_id: string;
  readonly route: string;
  /** `sent` for a missing final status, else `undelivered` or `failed`. */
  readonly status: MessageStatus;
  readonly failure_class: string | null;
  readonly reason: string;
  /** Channels the delivery failure was handed to; empty when it was not escalated. */
  readonly escalated_to: readonly string[];
}

/** One outcome of handing one escalation event to one channel. */
export interface EscalationDeliveryEvent {
  readonly channel: EscalationChannelName;
  /**
   * `delivered`; `failed_retryable` when a retry is scheduled; `failed` when the channel gave
   * up; `dead_lettered` when the event was then written to the error log.
   */
  readonly outcome: DeliveryOutcome;
  readonly event_id: string;
  readonly kind: EscalationKind;
  /** The attempt that ended this way; for `dead_lettered`, the attempts the channel made. */
  readonly attempt: number;
  /** Log-safe description of the failure. */
  readonly error?: string;
  /** Wait before the next attempt, for `failed_retryable`. */
  readonly retry_in_ms?: number;
  readonly message_id?: string;
  readonly provider?: string;
}

/** The result of checking an escalation channel's connection at start-up. */
export interface EscalationVerifyEvent {
  readonly channel: EscalationChannelName;
  readonly ok: boolean;
  readonly error?: string;
}

/**
 * Why a status callback delivery gave up: the receiver's status is not one that is retried, the
 * delivery used `max_attempts`, or its next attempt would come after `max_age_ms`. A Twilio-format
 * callback also gives up when the API key that signs it is no longer configured.
 */
export type CallbackGiveUpReason =
  'not_retryable' | 'max_attempts' | 'max_age' | 'signing_key_missing';

/** One attempt to post a status change to a message's `callback_url`. */
export type CallbackDeliveryEvent = {
  readonly event_id: string;
  readonly message_id: string;
  /** The status change that was posted. */
  readonly status: string;
  readonly attempt: number;
  /** The receiver's status; null after a timeout or network error. */
  readonly http_status: number | null;
} & CallbackDeliveryOutcome;

/**
 * The outcome of a callback attempt: `delivered`, `failed_retryable` when a retry is stored, or
 * `gave_up` when no further attempt follows.
 */
export type CallbackDeliveryOutcome =
  | { readonly outcome: 'delivered' }
  | { readonly outcome: 'failed_retryable'; readonly retry_in_ms: number; readonly error: string }
  | { readonly outcome: 'gave_up'; readonly reason: CallbackGiveUpReason; readonly error: string };

/** Events that the resilience parts emit and the composition root logs and counts. */
export interface GatewayEventMap {
  attempt: [AttemptEvent];
  retry: [RetryEvent];
  cooldown: [CooldownEvent];
  breaker: [BreakerTransition];
  failover: [FailoverEvent];
  escalation: [EscalationDeliveryEvent];
  escalation_verify: [EscalationVerifyEvent];
  message: [MessageOutcomeEvent];
  callback: [CallbackDeliveryEvent];
  delivery: [DeliveryReportEvent];
  resend: [ResendEvent];
  resend_skipped: [ResendSkippedEvent];
}

/** The one event bus of a gateway instance. */
export class GatewayEvents extends EventEmitter<GatewayEventMap> {}
