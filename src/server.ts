import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

import { serve } from '@hono/node-server';
import type { Logger } from 'pino';

import type { Gateway } from './gateway.js';
import { createApp } from './http/app.js';
import { logGatewayEvents } from './observability/log-events.js';

/** Time after the last message finished for its response to be written before sockets close. */
const RESPONSE_GRACE_MS = 1000;

/** A running gateway server. */
export interface RunningServer {
  readonly server: Server;
  /** The bound address, such as `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops the server gracefully: refuses new connections, closes idle keep-alive sockets, lets
   * messages in flight finish and flushes escalations (together up to
   * `server.shutdown_timeout_ms`), gives their responses up to 1 s, then closes every socket
   * left. Escalations still pending near the end of the timeout are written to the error log.
   * When the timeout passes first, it closes every socket at once. Resolves once the server is
   * closed.
   */
  shutdown(): Promise<void>;
}

/** Starts the HTTP server of `gateway` and resolves once it listens. */
export async function startServer(gateway: Gateway, logger: Logger): Promise<RunningServer> {
  let draining = false;
  logGatewayEvents(gateway.events, logger);
  const app = createApp(gateway, { logger, isDraining: () => draining });
  const { host, port, shutdown_timeout_ms: shutdownTimeoutMs } = gateway.config.server;
  await startBackgroundWork(gateway, logger);

  const server = await new Promise<Server>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, hostname: host, port }, () => {
      started.off('error', reject);
      resolve(started as Server);
    }) as Server;
    started.once('error', reject);
  });
  // Without this listener an error after listening, such as a failed accept, would go unnoticed.
  server.on('error', (error) => logger.error({ err: error }, 'server error'));
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostPart}:${address.port}`;
  logger.info({ address: address.address, port: address.port, url }, 'listening');
  // The result shows in GET /health and the log; start-up does not wait for it.
  void gateway.escalator.verify();

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      draining = true;
      logger.info({ in_flight: gateway.dispatcher.inFlight }, 'shutting down');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();

      const closing = gateway.close({ timeoutMs: shutdownTimeoutMs });
      const drained = await withTimeout(closing, shutdownTimeoutMs);
      if (drained) {
        // The last responses may still be on their way out; give them a moment.
        server.closeIdleConnections();
        if (!(await withTimeout(closed, RESPONSE_GRACE_MS))) {
          server.closeAllConnections();
        }
      } else {
        // The deadline has passed, so nothing that is still open gets more time.
        logger.error(
          { in_flight: gateway.dispatcher.inFlight, timeout_ms: shutdownTimeoutMs },
          'shutdown timed out with messages still in flight',
        );
        server.closeAllConnections();
      }
      await closed;
      logger.info('stopped');
    })();
    return stopping;
  };

  return { server, url, port: address.port, shutdown };
}

/**
 * Recovers what a crash left in the store, then starts the async queue sender, the delivery
 * monitor and the retention runs, before the server accepts requests.
 */
async function startBackgroundWork(gateway: Gateway, logger: Logger): Promise<void> {
  const report = await gateway.queue.start((error, messageId) =>
    logger.error({ err: error, message_id: messageId }, 'queue sender failed'),
  );
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

  gateway.deliveryMonitor.start((error, messageId) =>
    logger.error({ err: error, message_id: messageId }, 'delivery check failed'),
  );
  gateway.callbacks.onFailure = (messageId, error) =>
    logger.warn({ message_id: messageId, error }, 'status callback not delivered');
  gateway.retention.start((pruned, error) => {
    if (error !== undefined) {
      logger.error({ err: error }, 'pruning old messages failed');
    } else if (pruned && pruned.messages + pruned.idempotencyKeys + pruned.pendingDeliveryReports) {
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

/** Resolves true when `work` settles within `ms`, false otherwise. */
async function withTimeout(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
