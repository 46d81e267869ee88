import type { Escalator } from '../escalation/escalator.js';
import type { AttemptRecord } from '../events.js';
import type { RouteSettings } from '../routing/router.js';

/** The inputs of the escalation of one message. */
export interface UnsentMessage {
  readonly id: string;
  readonly requestId: string;
  readonly route: string;
  readonly to: string;
  readonly body: string;
  readonly reference?: string | undefined;
}

/**
 * Hands a message that no provider sent to its route's channels and returns the channels it went
 * to. `reason` is the code the client receives, such as `all_providers_failed` or `expired`.
 */
export function escalateUnsent(
  escalator: Escalator,
  message: UnsentMessage,
  settings: Pick<RouteSettings, 'escalate'>,
  reason: string,
  attempts: readonly AttemptRecord[],
): readonly string[] {
  return escalator.escalateMessage(
    {
      messageId: message.id,
      requestId: message.requestId,
      reason,
      route: message.route,
      to: message.to,
      body: message.body,
      reference: message.reference,
      attempts,
    },
    settings.escalate,
  );
}
