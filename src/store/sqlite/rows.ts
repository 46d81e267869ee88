import type { DeliveryFailureClass, DeliveryStatus } from '../../../providers/delivery.js';
import type { AttemptOutcome } from '../../events.js';
import type {
  AttemptDelivery,
  MessageStatus,
  MessageSummary,
  SendMode,
  StatusChange,
  StoredAttempt,
} from '../types.js';

/** A `messages` row without `body`, as SQLite returns it. */
export interface MessageRow {
  id: string;
  principal: string;
  request_id: string;
  mode: string;
  route: string;
  recipient: string;
  sender: string | null;
  reference: string | null;
  encoding: string;
  segments: number;
  status: string;
  code: string | null;
  provider: string | null;
  provider_message_id: string | null;
  possible_duplicate: number;
  created_at: number;
  updated_at: number;
  expires_at: number | null;
  callback_url: string | null;
}

export interface AttemptRow {
  number: number;
  provider: string;
  started_at: number;
  ended_at: number | null;
  outcome: string | null;
  http_status: number | null;
  provider_code: string | null;
  duration_ms: number | null;
  provider_message_id: string | null;
  delivery_status: string | null;
  delivery_provider_code: string | null;
  delivery_failure_class: string | null;
  delivery_at: number | null;
  resend: number;
  superseded: number;
}

export interface StatusRow {
  status: string;
  code: string | null;
  provider_code: string | null;
  at: number;
}

/** The `attempts` columns that `AttemptRow` maps, for SELECT lists. */
export const attemptColumns = `number, provider, started_at, ended_at, outcome, http_status,
  provider_code, duration_ms, provider_message_id, delivery_status, delivery_provider_code,
  delivery_failure_class, delivery_at, resend, superseded`;

/** The `messages` columns that `MessageRow` maps, for SELECT lists. */
export const summaryColumns = `id, principal, request_id, mode, route, recipient, sender, reference,
  encoding, segments, status, code, provider, provider_message_id, possible_duplicate, created_at,
  updated_at, expires_at, callback_url`;

// The store writes these columns only from the typed values of its contract, so reading them
// back as those types is safe.
export function toSummary(row: MessageRow): MessageSummary {
  return {
    id: row.id,
    principal: row.principal,
    requestId: row.request_id,
    mode: row.mode as SendMode,
    route: row.route,
    to: row.recipient,
    from: row.sender,
    reference: row.reference,
    encoding: row.encoding as MessageSummary['encoding'],
    segments: row.segments,
    status: row.status as MessageStatus,
    code: row.code,
    provider: row.provider,
    providerMessageId: row.provider_message_id,
    possibleDuplicate: row.possible_duplicate === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    callbackUrl: row.callback_url,
  };
}

export function toAttempt(row: AttemptRow): StoredAttempt {
  return {
    number: row.number,
    provider: row.provider,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    outcome: row.outcome as AttemptOutcome | null,
    httpStatus: row.http_status,
    providerCode: row.provider_code,
    durationMs: row.duration_ms,
    providerMessageId: row.provider_message_id,
    delivery: toDelivery(row),
    resend: row.resend === 1,
    superseded: row.superseded === 1,
  };
}

function toDelivery(row: AttemptRow): AttemptDelivery | null {
  if (row.delivery_status === null || row.delivery_at === null) {
    return null;
  }
  return {
    status: row.delivery_status as DeliveryStatus,
    providerCode: row.delivery_provider_code,
    failureClass: row.delivery_failure_class as DeliveryFailureClass | null,
    at: row.delivery_at,
  };
}

export function toStatusChange(row: StatusRow): StatusChange {
  return {
    status: row.status as MessageStatus,
    code: row.code,
    providerCode: row.provider_code,
    at: row.at,
  };
}
