#!/usr/bin/env node
import {
  ConfigError,
  loadConfig,
  usesDevelopmentAdminToken,
  usesDevelopmentApiKey,
} from './config/index.js';
import { createGateway } from './gateway.js';
import { createLogger } from './observability/logger.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ argv: process.argv.slice(2), env: process.env });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`sms-relay: invalid configuration\n${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }

  const logger = createLogger(config.logging.level);
  if (usesDevelopmentApiKey(config)) {
    logger.warn('the development API key "dev-key" is in use; set SMS_RELAY_API_KEY in production');
  }
  if (usesDevelopmentAdminToken(config)) {
    logger.warn('the development admin token is in use; set SMS_RELAY_ADMIN_TOKEN in production');
  }

  // Escalation failures are logged from the gateway's `escalation` events.
  const gateway = createGateway(config);
  const running = await startServer(gateway, logger);

  const stop = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'signal received');
    running.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.fatal({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `sms-relay: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
