import { isAbsolute, join } from 'node:path';

import type { Config } from '../config/index.js';
import type { GatewayEvents } from '../events.js';
import { OperatorAlerts } from './alerts.js';
import type { ChannelTransport } from './delivery.js';
import { EmailChannel } from './email.js';
import { ErrorLog } from './error-log.js';
import { Escalator } from './escalator.js';
import { WebhookChannel } from './webhook.js';

export { OperatorAlerts } from './alerts.js';
export { ErrorLog } from './error-log.js';
export { Escalator, type MessageEscalation, type OperatorAlert } from './escalator.js';
export type { ChannelHealth } from './health.js';
export { describeFetchError, retryAfterMs, signWebhook, webhookHeaders } from './webhook.js';
export type * from './types.js';

/** Time that shutdown keeps for writing undelivered events to the error log. */
const DEAD_LETTER_RESERVE_MS = 250;

/** Services the escalation parts use; injected so that tests control time and chance. */
export interface EscalationDependencies {
  readonly events: GatewayEvents;
  readonly now: () => number;
  readonly random: () => number;
  readonly onChannelError: (channel: string, eventId: string, error: unknown) => void;
}

/** The escalation parts of one gateway. */
export interface Escalation {
  readonly errorLog: ErrorLog;
  readonly escalator: Escalator;
  readonly alerts: OperatorAlerts;
  /**
   * Sends folded alert counts, waits for pending deliveries, then closes the channels and the
   * error log. With `timeoutMs`, it stops waiting early enough to write the deliveries still
   * pending to the error log within that time.
   */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * Builds the error log, the configured email and webhook channels, the escalator and the
 * operator alerts, which subscribe to `events`. Opens no connection until an event is delivered
 * or `escalator.verify()` runs.
 */
export function createEscalation(config: Config, deps: EscalationDependencies): Escalation {
  const settings = config.escalation;
  const { path, include_full_recipient: includeFullRecipient } = settings.error_log;
  const errorLog = new ErrorLog(isAbsolute(path) ? path : join(config.data_dir, path));

  const transports: ChannelTransport[] = [];
  if (settings.email) {
    transports.push(new EmailChannel(settings.email));
  }
  if (settings.webhook) {
    transports.push(new WebhookChannel(settings.webhook, deps.now));
  }

  const escalator = new Escalator({
    errorLog,
    includeFullRecipient,
    transports,
    alertChannels: settings.alerts.channels,
    ...deps,
  });
  const alerts = new OperatorAlerts({
    events: deps.events,
    send: (alert) => escalator.alertOperators(alert),
    repeatWindowMs: settings.alerts.repeat_window_ms,
  });

  return {
    errorLog,
    escalator,
    alerts,
    async close(timeoutMs = Number.POSITIVE_INFINITY) {
      alerts.flush();
      await escalator.flush(timeoutMs - Math.min(DEAD_LETTER_RESERVE_MS, timeoutMs / 2));
      alerts.close();
      escalator.close();
      await errorLog.close();
    },
  };
}
