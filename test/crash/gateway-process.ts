import { spawn, type ChildProcess } from 'node:child_process';

import { delay } from '../helpers/provider-fakes.js';

/** A gateway running `src/main.ts` in a child process. */
export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Resolves once the process has exited and its output streams have closed. */
  readonly exited: Promise<void>;
  stderr(): string;
}

/**
 * Starts `src/main.ts` with the config file `configPath` and `env`, and resolves once it logs
 * `listening`. Rejects when it exits first, with its stderr.
 */
export async function startGatewayProcess(
  configPath: string,
  env: Readonly<Record<string, string>>,
): Promise<GatewayProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts', '--config', configPath],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));

  for (;;) {
    const listening = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; url?: string })
      .find((line) => line.msg === 'listening');
    if (listening?.url) {
      return { child, url: listening.url, exited, stderr: () => stderr };
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the gateway exited before listening: ${stderr}`);
    }
    await delay(20);
  }
}

/** Kills the process with SIGKILL and waits until it is gone. */
export async function killHard(gateway: GatewayProcess): Promise<void> {
  if (gateway.child.exitCode === null && gateway.child.signalCode === null) {
    gateway.child.kill('SIGKILL');
  }
  await gateway.exited;
}

/** Returns a pseudo-random generator in [0, 1) from `seed` (mulberry32), for repeatable runs. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}
