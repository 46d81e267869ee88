import type { Logger } from 'pino';

import type { QueueErrorHandler } from './dispatch/queue.js';
import type { Gateway } from './gateway.js';

/**
 * Recovers what a crash left in the store, then starts the async queue sender, the delivery
 * monitor, the status callback sender and the retention runs, before the server accepts requests.
 */
export async function startBackgroundWork(gateway: Gateway, logger: Logger): Promise<void> {
  await startQueue(gateway, logger);
  gateway.deliveryMonitor.start((error, messageId) =>
    logger.error({ err: error, message_id: messageId }, 'delivery check failed'),
  );
  await startCallbacks(gateway, logger);
  startRetention(gateway, logger);
}

async function startQueue(gateway: Gateway, logger: Logger): Promise<void> {
  const report = await gateway.queue.start(queueErrorLogger(logger));
  logger.info(
    {
      ambiguous_attempts: report.ambiguousAttempts,
      finished: report.finished,
      requeued: report.requeued.length,
      interrupted: report.interrupted.length,
      queued: report.queued,
    },
    'store recovered',
  );
  if (report.ambiguousAttempts > 0) {
    logger.warn(
      { ambiguous_attempts: report.ambiguousAttempts, message_ids: report.requeued },
      'attempts were cut short by a restart and may have reached a provider',
    );
  }
  if (report.interrupted.length > 0) {
    logger.warn(
      { message_ids: report.interrupted },
      'sync messages were cut short by a restart; their clients got no answer',
    );
  }
}

function queueErrorLogger(logger: Logger): QueueErrorHandler {
  return (error, messageId, action) => {
    const fields = { err: error, message_id: messageId };
    switch (action) {
      case 'requeued':
        logger.error(fields, 'sending pass failed, message requeued');
        return;
      case 'requeue_failed':
        logger.error(
          fields,
          'sending pass and requeue failed, message stays in sending until a requeue succeeds',
        );
        return;
      case undefined:
        logger.error(fields, 'queue sender failed');
        return;
    }
  };
}

async function startCallbacks(gateway: Gateway, logger: Logger): Promise<void> {
  const released = await gateway.callbacks.start((error, eventId) =>
    logger.error({ err: error, event_id: eventId }, 'status callback sender failed'),
  );
  if (released > 0) {
    logger.warn(
      { callbacks: released },
      'status callbacks were cut short by a restart and will be posted again',
    );
  }
}

function startRetention(gateway: Gateway, logger: Logger): void {
  gateway.retention.start((pruned, error) => {
    if (error !== undefined) {
      logger.error({ err: error }, 'pruning old messages failed');
    } else if (
      pruned &&
      pruned.messages + pruned.idempotencyKeys + pruned.pendingDeliveryReports > 0
    ) {
      logger.info(
        {
          messages: pruned.messages,
          idempotency_keys: pruned.idempotencyKeys,
          pending_delivery_reports: pruned.pendingDeliveryReports,
        },
        'pruned old messages',
      );
    }
  });
}
