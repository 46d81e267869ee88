// Starts a gateway's background work (queue sender, callback sender, retention runs) on
// config/default.toml with the data directory in argv[2], and then returns. The process exits on
// its own only if none of that work keeps the event loop alive.
import { loadConfig } from '../../src/config/index.js';
import { createGateway } from '../../src/gateway.js';

const dataDir = process.argv[2];
if (dataDir === undefined) {
  throw new Error('usage: start-background.ts DATA_DIR');
}
const config = loadConfig({
  path: 'config/default.toml',
  env: { SMS_RELAY_DATA_DIR: dataDir },
  argv: [],
});
const gateway = createGateway(config);
await gateway.queue.start(() => undefined);
await gateway.callbacks.start(() => undefined);
gateway.retention.start(() => undefined);
process.stdout.write('started\n');
