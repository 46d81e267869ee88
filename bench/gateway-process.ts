/**
 * Child-process entry for the gateway under benchmark. It runs the real `src/main.ts`, so
 * `--config` and the environment work as in production. It also exits when the benchmark runner
 * that spawned it over IPC goes away, so that a killed run leaves no gateway behind.
 */
process.on('disconnect', () => process.exit(0));
await import('../src/main.js');
