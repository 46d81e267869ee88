import type { DeliveryStatus } from '../../providers/delivery.js';
import type { MessageStatus } from './types.js';

/** Every message status, in the order of `messageStatusRank`. */
export const messageStatuses: readonly MessageStatus[] = [
  'queued',
  'sending',
  'sent',
  'rejected',
  'failed',
  'undelivered',
  'delivered',
];

/**
 * The one ranking of statuses: a provider's report moves a status only to a higher rank. The
 * gateway's own steps (`queued` to `sending` to an end state) follow this order too. A final
 * report (`delivered`, `undelivered`, `failed`) outranks `sent`, so a late `sent` never demotes
 * it. `delivered` outranks the failures because a carrier's late confirmation is the stronger
 * evidence, so a message reported `undelivered` may still become `delivered`, and never the other
 * way round.
 */
export const messageStatusRank: Readonly<Record<MessageStatus, number>> = {
  queued: 0,
  sending: 1,
  sent: 2,
  rejected: 3,
  failed: 3,
  undelivered: 3,
  delivered: 4,
};

/**
 * Rank of a provider's delivery status on one attempt, in the same order: the provider has the
 * message (`queued`), a carrier took it (`sent`), then a final report, with `delivered` highest.
 */
export const deliveryStatusRank: Readonly<Record<DeliveryStatus, number>> = {
  queued: 0,
  sent: 1,
  undelivered: 2,
  failed: 2,
  delivered: 3,
};

/**
 * Returns the message status that a delivery status of the message's current attempt means.
 * The provider's `queued` and `sent` both mean that a provider accepted the message, which is the
 * message status `sent`.
 */
export function messageStatusOf(status: DeliveryStatus): MessageStatus {
  return status === 'queued' ? 'sent' : status;
}

/** Returns true when a delivery status `next` may replace `current` (null: nothing yet). */
export function advancesDelivery(current: DeliveryStatus | null, next: DeliveryStatus): boolean {
  return current === null || deliveryStatusRank[next] > deliveryStatusRank[current];
}
