import { EventEmitter } from 'node:events';

import type { ErrorClass } from '../providers/contract.js';
import type { BreakerTransition } from './resilience/breaker.js';
import type { RoutingResult } from './routing/router.js';

/** How an attempt ended: `sent` or an error class. */
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
  /** How routing ended, such as `sent` or `all_providers_failed`. */
  readonly outcome: RoutingResult['kind'];
  /** Escalation channels the message was handed to; empty when it was sent. */
  readonly escalated_to: readonly string[];
}

/** Events that the resilience parts emit and the composition root logs and counts. */
export interface GatewayEventMap {
  attempt: [AttemptEvent];
  retry: [RetryEvent];
  cooldown: [CooldownEvent];
  breaker: [BreakerTransition];
  failover: [FailoverEvent];
  message: [MessageOutcomeEvent];
}

/** The one event bus of a gateway instance. */
export class GatewayEvents extends EventEmitter<GatewayEventMap> {}
