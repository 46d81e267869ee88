import type { Dispatch } from '../dispatch/dispatcher.js';
import { GatewayError, rejectionProblem } from '../errors.js';
import type { RoutingResult } from '../routing/router.js';

/** A routing result other than `sent`. */
export type UnsentResult = Exclude<RoutingResult, { readonly kind: 'sent' }>;

/**
 * Returns the problem that a dispatched message ended with; `result` is `dispatch.result`, narrowed.
 * Every API that sends messages reports failures through these errors, so a failure has the same
 * code whichever API the client used.
 */
export function dispatchProblem(
  dispatch: Dispatch,
  result: UnsentResult,
  now: () => number,
): GatewayError {
  const common = {
    id: dispatch.id,
    route: dispatch.route,
    // An ambiguous attempt may have reached the recipient, so a resend may duplicate it.
    possible_duplicate: result.attempts.some((attempt) => attempt.outcome === 'ambiguous'),
    attempts: result.attempts,
  };

  switch (result.kind) {
    case 'rejected':
      return new GatewayError(rejectionProblem[result.rejection], {
        detail: `Provider ${result.provider} rejected the message: ${result.detail}. Another provider would reject it too, so it was not tried.`,
        extensions: common,
      });
    case 'all_providers_failed':
      return new GatewayError('all_providers_failed', {
        detail: 'Every provider of the route failed; the message was escalated.',
        extensions: { ...common, escalated_to: dispatch.escalatedTo },
      });
    case 'outcome_unknown':
      return new GatewayError('outcome_unknown', {
        detail:
          'A provider may have accepted the message, but its answer was lost or came too late, and the route does not fail over after such an attempt or its deadline passed; check delivery before resending.',
        extensions: { ...common, escalated_to: dispatch.escalatedTo },
      });
    case 'deadline_exceeded':
      return new GatewayError('deadline_exceeded', {
        detail: 'The message deadline passed before any provider accepted the message.',
        extensions: { ...common, escalated_to: dispatch.escalatedTo },
      });
    case 'no_provider_available': {
      const waitMs = Number.isFinite(result.retryAt) ? result.retryAt - now() : 1000;
      const retryAfter = String(Math.max(1, Math.ceil(waitMs / 1000)));
      return new GatewayError('no_provider_available', {
        detail: `Every provider of route "${dispatch.route}" is open or cooling down; retry after ${retryAfter} s.`,
        extensions: {
          ...common,
          escalated_to: dispatch.escalatedTo,
          retry_after: Number(retryAfter),
        },
        headers: { 'Retry-After': retryAfter },
      });
    }
  }
}
