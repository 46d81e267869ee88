#!/usr/bin/env node
import { ConfigError, configWarnings, loadConfig } from './config/index.js';
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
  for (const warning of configWarnings(config)) {
    logger.warn({ code: warning.code, path: warning.path }, warning.message);
  }

  // Escalation failures are logged from the gateway's `escalation` events.
  const gateway = createGateway(config);
  try {
    await gateway.errorLog.open();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `sms-relay: cannot write the escalation error log ${gateway.errorLog.path}: ${reason}\n` +
        'Set data_dir (or SMS_RELAY_DATA_DIR) to a writable directory.\n',
    );
    process.exit(73);
  }
  const running = await startServer(gateway, logger);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'signal received while shutting down; shutdown continues');
      return;
    }
    stopping = true;
    logger.info({ signal }, 'signal received');
    running.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.fatal({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `sms-relay: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
