import type { RouteConfig } from '../config/index.js';
import type { DeliveryCheck } from '../store/index.js';

/** Why a resend was queued: a failure class in `resend_on`, or no final status in time. */
export type ResendReason = 'delivery_failure' | 'final_status_timeout';

/** The decision of a delivery check for one message. */
export type ResendDecision =
  | {
      readonly kind: 'resend';
      readonly reason: ResendReason;
      /** The accepted attempt that the resend supersedes. */
      readonly attempt: number;
      /** Providers of the route that have not had the message, in route order. */
      readonly candidates: readonly string[];
    }
  | { readonly kind: 'none'; readonly reason: string };

/**
 * Decides whether a message due for a delivery check goes to another provider of its route. It
 * does when its failure class is in the route's `resend_on`, or when it is still `sent` after the
 * route's `final_status_timeout_ms`. It does not when the message's validity deadline has passed,
 * or when every provider of the route has accepted the message or may have it, so each provider
 * sends it at most once.
 */
export function decideResend(
  check: DeliveryCheck,
  route: RouteConfig | undefined,
  now: number,
): ResendDecision {
  if (route === undefined) {
    return { kind: 'none', reason: `route "${check.route}" is no longer configured` };
  }
  const policy = route.delivery;
  let reason: ResendReason;
  if (check.status === 'sent') {
    if (policy.final_status_timeout_ms === undefined) {
      return { kind: 'none', reason: 'the route sets no final_status_timeout_ms' };
    }
    reason = 'final_status_timeout';
  } else {
    const failureClass = check.code ?? 'unknown_failure';
    if (!(policy.resend_on as readonly string[]).includes(failureClass)) {
      return { kind: 'none', reason: `${failureClass} is not in the route's resend_on` };
    }
    reason = 'delivery_failure';
  }

  if (check.attempt === null) {
    return { kind: 'none', reason: 'the message has no accepted attempt' };
  }
  if (check.expiresAt !== null && now >= check.expiresAt) {
    return { kind: 'none', reason: 'the message is past its expires_at' };
  }
  const candidates = route.providers.filter((id) => !check.usedProviders.includes(id));
  if (candidates.length === 0) {
    return { kind: 'none', reason: 'every provider of the route has had the message' };
  }
  return { kind: 'resend', reason, attempt: check.attempt, candidates };
}
