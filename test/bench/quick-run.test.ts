import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { BenchResults } from '../../bench/report.js';

// The quick run takes about 45 s on two cores; the kill timer ends a run that hangs.
const RUN_TIMEOUT_MS = 150_000;

interface RunOutput {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runQuickBench(jsonPath: string): Promise<RunOutput> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--json', jsonPath],
      {
        cwd: join(import.meta.dirname, '..', '..'),
        timeout: RUN_TIMEOUT_MS,
        killSignal: 'SIGKILL',
      },
      (error, stdout, stderr) => {
        let code: number | null = null;
        if (error === null) {
          code = 0;
        } else if (typeof error.code === 'number') {
          code = error.code;
        }
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('npm run bench -- --quick', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sms-relay-bench-test-'));
  const jsonPath = join(dir, 'results.json');
  let run: RunOutput;
  let results: BenchResults;

  beforeAll(async () => {
    run = await runQuickBench(jsonPath);
    if (run.code === 0) {
      results = JSON.parse(readFileSync(jsonPath, 'utf8')) as BenchResults;
    }
  }, RUN_TIMEOUT_MS + 10_000);

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits with status 0', () => {
    expect(run.code, run.stderr).toBe(0);
  });

  it('prints a table for every scenario', () => {
    expect(run.stdout).toContain('### overhead');
    expect(run.stdout).toContain('### drill');
    expect(run.stdout).toContain('### scaling');
  });

  it('writes JSON naming every scenario', () => {
    expect(Object.keys(results.scenarios).sort()).toEqual(['drill', 'overhead', 'scaling']);
  });

  it('records a quick-mode run', () => {
    expect(results.mode).toBe('quick');
  });

  it('samples the load average', () => {
    expect(results.loadAverage.samples).toBeGreaterThanOrEqual(2);
    expect(results.loadAverage.min).toBeGreaterThanOrEqual(0);
    expect(results.loadAverage.max).toBeGreaterThanOrEqual(results.loadAverage.min);
  });

  it('measures requests per second for both servers', () => {
    expect(results.scenarios.overhead.baseline.requestsPerSecond).toBeGreaterThan(0);
    expect(results.scenarios.overhead.gateway.requestsPerSecond).toBeGreaterThan(0);
  });

  it('gets every overhead request answered with 2xx', () => {
    expect(results.scenarios.overhead.baseline.failures).toBe(0);
    expect(results.scenarios.overhead.gateway.failures).toBe(0);
  });

  it('reports the gateway memory before and after', () => {
    expect(results.scenarios.overhead.gateway.rssBeforeBytes).toBeGreaterThan(0);
    expect(results.scenarios.overhead.gateway.rssAfterBytes).toBeGreaterThan(0);
  });

  it('sends drill messages in the outage window', () => {
    expect(results.scenarios.drill.naive.window.messages).toBeGreaterThan(0);
    expect(results.scenarios.drill.gateway.window.messages).toBeGreaterThan(0);
  });

  it('counts naive messages sent twice', () => {
    expect(results.scenarios.drill.naive.window.sentTwice).toBeGreaterThan(0);
  });

  it('measures all three scaling pairs', () => {
    const { scaling } = results.scenarios;
    expect(scaling.providers4.gateway.requests).toBeGreaterThan(0);
    expect(scaling.providers16.gateway.requests).toBeGreaterThan(0);
    expect(scaling.ucs2.gateway.requests).toBeGreaterThan(0);
  });
});
