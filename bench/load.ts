import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import autocannon from 'autocannon';

import { BENCH_API_KEY, benchEnv, gatewayToml, twilioAuthorization } from './configs.js';
import { startBenchFake, twilioAccount, type BenchFake } from './fake-providers.js';
import { freePort, spawnTarget, type TargetProcess } from './processes.js';

/** Fixed load: autocannon with `connections`, for `durationS` seconds in total per target. */
export interface LoadSettings {
  readonly connections: number;
  readonly durationS: number;
  /** Load before the measurement, discarded, so that both servers are past JIT warm-up. */
  readonly warmupS: number;
  /** Delay before the fake provider responds. */
  readonly providerLatencyMs: number;
}

/** Measurements of one server under load. Latencies are in milliseconds. */
export interface LoadFigures {
  readonly requestsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly requests: number;
  /**
   * CPU time the server process used per request, in microseconds: its user and system time over
   * the measured slices divided by the requests. Unlike requests per second, this hardly depends
   * on what else the machine is doing.
   */
  readonly cpuMicrosPerRequest: number;
  /** Responses other than 2xx plus connection errors and timeouts; a valid run has 0. */
  readonly failures: number;
  /** The gateway's resident set size before the warm-up and after the last slice. */
  readonly rssBeforeBytes?: number;
  readonly rssAfterBytes?: number;
}

/** A server to measure and the route and message it gets. */
export interface LoadCase {
  readonly target: 'baseline' | 'gateway';
  /** Number of providers in the gateway's route, all healthy; the first takes every message. */
  readonly providers: number;
  /** The message text sent with every request. */
  readonly body: string;
}

/** Short GSM-7 text of an ordinary alert. */
export const SHORT_BODY = 'db-1: disk 95% full on /var (bench)';

/** 1,000 characters of Cyrillic text, which needs UCS-2 encoding: 15 segments of 67. */
export const UCS2_BODY = buildUcs2Body(1000);

/** Figures of a gateway case and of the baseline measured beside it. */
export interface LoadPair {
  readonly baseline: LoadFigures;
  readonly gateway: LoadFigures;
}

/**
 * Measures the baseline and the gateway side by side. Each gets its own fake Twilio API and runs
 * as a child process. Both are warmed up, then loaded in alternating slices (baseline, gateway,
 * gateway, baseline) of `durationS / 2` seconds. A change in the machine's background load during
 * the run then affects both alike. `workDir` receives configs, logs and data directories.
 */
export async function runLoadPair(
  gatewayCase: Omit<LoadCase, 'target'>,
  settings: LoadSettings,
  workDir: string,
  cpuProfileDir?: string,
): Promise<LoadPair> {
  const baselineFake = await startBenchFake('twilio', settings.providerLatencyMs);
  const gatewayFake = await startBenchFake('twilio', settings.providerLatencyMs);
  const targets: TargetProcess[] = [];
  try {
    const baseline = await startTarget(
      { ...gatewayCase, target: 'baseline' },
      baselineFake,
      workDir,
      undefined,
    );
    targets.push(baseline);
    const gateway = await startTarget(
      { ...gatewayCase, target: 'gateway' },
      gatewayFake,
      workDir,
      cpuProfileDir,
    );
    targets.push(gateway);

    const body = JSON.stringify({ to: '+447700900123', body: gatewayCase.body });
    const rssBeforeBytes = gateway.rssBytes();
    if (settings.warmupS > 0) {
      await loadOnce(baseline.url, body, settings.connections, settings.warmupS);
      await loadOnce(gateway.url, body, settings.connections, settings.warmupS);
    }
    const sliceS = settings.durationS / 2;
    const baselineSlices: Slice[] = [];
    const gatewaySlices: Slice[] = [];
    const measure = async (target: TargetProcess): Promise<Slice> => {
      const cpuBefore = target.cpuSeconds();
      const result = await loadOnce(target.url, body, settings.connections, sliceS);
      return { result, cpuSeconds: target.cpuSeconds() - cpuBefore };
    };
    baselineSlices.push(await measure(baseline));
    gatewaySlices.push(await measure(gateway));
    gatewaySlices.push(await measure(gateway));
    baselineSlices.push(await measure(baseline));
    const rssAfterBytes = gateway.rssBytes();

    return {
      baseline: mergeSlices(baselineSlices),
      gateway: { ...mergeSlices(gatewaySlices), rssBeforeBytes, rssAfterBytes },
    };
  } finally {
    for (const target of targets) {
      await target.stop();
    }
    await baselineFake.close();
    await gatewayFake.close();
  }
}

/** One autocannon run and the CPU time that the server used during it. */
interface Slice {
  readonly result: autocannon.Result;
  readonly cpuSeconds: number;
}

function loadOnce(
  url: string,
  body: string,
  connections: number,
  durationS: number,
): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/v1/messages`,
    method: 'POST',
    headers: { Authorization: `Bearer ${BENCH_API_KEY}`, 'Content-Type': 'application/json' },
    body,
    connections,
    duration: durationS,
  });
}

/**
 * Combines the slices of one target: requests per second over their whole time, p50 and p99 as
 * the mean of the slices' values (an approximation, since autocannon returns no histogram), and
 * the largest max.
 */
function mergeSlices(measured: readonly Slice[]): LoadFigures {
  const slices = measured.map((slice) => slice.result);
  const cpuSeconds = sum(measured.map((slice) => slice.cpuSeconds));
  const requests = sum(slices.map((slice) => slice.requests.total));
  const seconds = sum(slices.map((slice) => slice.duration));
  const mean = (values: readonly number[]): number =>
    Math.round((sum(values) / values.length) * 10) / 10;
  return {
    requestsPerSecond: requests / seconds,
    p50: mean(slices.map((slice) => slice.latency.p50)),
    p99: mean(slices.map((slice) => slice.latency.p99)),
    max: Math.max(...slices.map((slice) => slice.latency.max)),
    requests,
    cpuMicrosPerRequest: Math.round((cpuSeconds / requests) * 1e6),
    failures: sum(slices.map((slice) => slice.non2xx + slice.errors + slice.timeouts)),
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

async function startTarget(
  loadCase: LoadCase,
  fake: BenchFake,
  workDir: string,
  cpuProfileDir: string | undefined,
): Promise<TargetProcess> {
  const port = await freePort();
  const name = `${loadCase.target}-${loadCase.providers}p-${loadCase.body.length}c-`;
  const dir = mkdtempSync(join(workDir, name));
  if (loadCase.target === 'baseline') {
    return spawnTarget({
      entry: 'bench/baseline-server.ts',
      port,
      logFile: join(dir, 'baseline.log'),
      env: {
        BENCH_PORT: String(port),
        BENCH_TARGET: fake.sendUrl,
        BENCH_AUTHORIZATION: twilioAuthorization,
        BENCH_FROM: twilioAccount.from,
      },
    });
  }
  const configPath = join(dir, 'gateway.toml');
  const twilioUrls = Array.from({ length: loadCase.providers }, () => fake.url);
  writeFileSync(configPath, gatewayToml({ port, dataDir: join(dir, 'data'), twilioUrls }));
  return spawnTarget({
    entry: 'bench/gateway-process.ts',
    args: ['--config', configPath],
    port,
    logFile: join(dir, 'gateway.log'),
    env: benchEnv,
    cpuProfileDir,
  });
}

/** Creates a temporary directory for one benchmark run. */
export function createWorkDir(): string {
  return mkdtempSync(join(tmpdir(), 'sms-relay-bench-'));
}

function buildUcs2Body(length: number): string {
  const line = 'Сервер db-1: диск заполнен на 95%, требуется вмешательство дежурного. ';
  return line.repeat(Math.ceil(length / line.length)).slice(0, length);
}
