import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

/** Time the child gets to exit on its own before the test fails it. Start-up takes a few seconds. */
const EXIT_LIMIT_MS = 20_000;

let directory: string | undefined;
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
  }
  child = undefined;
  if (directory !== undefined) {
    rmSync(directory, { recursive: true, force: true });
  }
  directory = undefined;
});

/** Resolves with the exit code, or with 'running' when the child is still alive after `ms`. */
function exitOf(subprocess: ChildProcess, ms: number): Promise<number | null | 'running'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('running'), ms);
    subprocess.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('background work', () => {
  it('keeps no process alive', async () => {
    directory = mkdtempSync(join(tmpdir(), 'sms-relay-timers-'));
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/server/start-background.ts', directory],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    const code = await exitOf(child, EXIT_LIMIT_MS);

    expect(stderr).toBe('');
    expect(stdout).toBe('started\n');
    expect(code, 'a timer or socket that keeps the event loop alive').toBe(0);
  }, 30_000);
});
