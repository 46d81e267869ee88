import type { Logger } from 'pino';

import type { GatewayEvents } from '../events.js';

// An open breaker needs a person; half-open is a step on the way back; closed is recovery.
const breakerLogLevel = { open: 'error', half_open: 'warn', closed: 'info' } as const;

/**
 * Logs the resilience events of one gateway: every attempt's outcome, every retry, cool-down,
 * failover and breaker transition, and every outcome of an escalation delivery and of a status
 * callback attempt. Adapter messages
 * are log-safe by contract; phone numbers and message bodies never reach these events.
 */
export function logGatewayEvents(events: GatewayEvents, logger: Logger): void {
  events.on('attempt', (event) => {
    if (event.outcome === 'sent') {
      logger.info(event, 'attempt sent');
      return;
    }
    if (event.unclassified) {
      logger.warn(event, 'attempt failed with an unclassified provider response');
      return;
    }
    if (event.config_fault) {
      logger.error(event, 'provider configuration fault');
      return;
    }
    logger.warn(event, 'attempt failed');
  });
  events.on('retry', (event) => logger.info(event, 'retry scheduled'));
  events.on('delivery', (event) => {
    const failed = event.status === 'undelivered' || event.status === 'failed';
    logger[failed ? 'warn' : 'info'](event, `delivery report ${event.result}`);
  });
  events.on('resend', (event) => logger.warn(event, 'resend queued'));
  events.on('resend_skipped', (event) => {
    // A failure without a resend is final: the recipient did not get the message. `escalated_to`
    // lists the channels that the escalation went to.
    const final = event.status !== 'sent';
    logger[final ? 'warn' : 'info'](event, final ? 'message not delivered' : 'no resend');
  });
  events.on('cooldown', (event) =>
    logger.warn({ ...event, until: new Date(event.until).toISOString() }, 'provider cooling down'),
  );
  events.on('failover', (event) => logger.warn(event, 'failover'));
  events.on('escalation', (event) => {
    switch (event.outcome) {
      case 'delivered':
        logger.info(event, 'escalation delivered');
        return;
      case 'failed_retryable':
        logger.warn(event, 'escalation failed, retry scheduled');
        return;
      case 'failed':
        logger.error(event, 'escalation failed');
        return;
      case 'dead_lettered':
        logger.error(event, 'escalation written to the error log as a dead letter');
        return;
    }
  });
  events.on('callback', (event) => {
    switch (event.outcome) {
      case 'delivered':
        logger.info(event, 'status callback delivered');
        return;
      case 'failed_retryable':
        logger.warn(event, 'status callback failed, retry scheduled');
        return;
      case 'gave_up':
        logger.error(event, 'status callback gave up');
        return;
    }
  });
  events.on('escalation_verify', (event) => {
    if (event.ok) {
      logger.info(event, 'escalation channel verified');
      return;
    }
    logger.warn(event, 'escalation channel verification failed');
  });
  events.on('breaker', (event) => {
    logger[breakerLogLevel[event.to]](
      { ...event, at: new Date(event.at).toISOString() },
      `breaker ${event.to}`,
    );
  });
}
