import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { BENCH_API_KEY, benchEnv, gatewayToml, twilioAuthorization } from './configs.js';
import {
  basicAuth,
  startBenchFake,
  twilioAccount,
  vonageAccount,
  type BenchFake,
} from './fake-providers.js';
import { freePort, spawnTarget, type TargetProcess } from './processes.js';
import { percentile } from './stats.js';

/** Timing of an outage drill. Every duration is in milliseconds unless its name says seconds. */
export interface DrillSettings {
  /** Messages started per second, at fixed intervals, whether earlier ones finished or not. */
  readonly rate: number;
  readonly healthyS: number;
  /** Length of the outage window, during which the primary reads requests and never responds. */
  readonly hangS: number;
  readonly recoveredS: number;
  /** The gateway's per-attempt timeout, and the naive client's timeout per provider. */
  readonly attemptTimeoutMs: number;
  readonly deadlineMs: number;
  /** The gateway breaker's `open_duration_ms`. */
  readonly openDurationMs: number;
  readonly providerLatencyMs: number;
}

/** Figures for one group of messages (those started in the window, or all of them). */
export interface DrillGroup {
  readonly messages: number;
  readonly p50: number;
  readonly p99: number;
  /** Messages that no provider accepted, as far as the sender learned. */
  readonly failed: number;
  /** Messages whose send request reached the fake providers two or more times. */
  readonly sentTwice: number;
  /** Messages that the sender marked as possible duplicates (the gateway's `possible_duplicate`). */
  readonly flaggedDuplicate: number;
}

export interface DrillFigures {
  readonly window: DrillGroup;
  readonly overall: DrillGroup;
  /**
   * Time from the end of the outage to the first message that the primary accepted, in
   * milliseconds. It is null when the primary accepted none before the run ended.
   */
  readonly primaryBackAfterMs: number | null;
  /** Share of the messages started after the outage that the primary accepted. */
  readonly primaryShareAfter: number;
}

export type DrillClient = 'naive' | 'gateway';

interface Outcome {
  readonly reference: string;
  readonly startedAt: number;
  readonly latencyMs: number;
  readonly ok: boolean;
  readonly flaggedDuplicate: boolean;
}

/** Type of a function that sends one message and reports whether a provider accepted it. */
type Sender = (reference: string) => Promise<{ ok: boolean; flaggedDuplicate: boolean }>;

/**
 * Runs one outage drill for `client`: a primary (Twilio) and a secondary (Vonage) fake, a fixed
 * stream of messages, and the primary hanging for `hangS` seconds in the middle. Stops by itself
 * once every message has finished, which the timeouts bound.
 */
export async function runDrill(
  client: DrillClient,
  settings: DrillSettings,
  workDir: string,
): Promise<DrillFigures> {
  const primary = await startBenchFake('twilio', settings.providerLatencyMs);
  const secondary = await startBenchFake('vonage', settings.providerLatencyMs);
  primary.recordDeliveries = true;
  secondary.recordDeliveries = true;
  let gateway: TargetProcess | undefined;
  try {
    let send: Sender;
    if (client === 'gateway') {
      gateway = await startDrillGateway(primary, secondary, settings, workDir);
      send = gatewaySender(gateway.url, settings);
    } else {
      send = naiveSender(primary, secondary, settings);
    }
    return await driveStream(send, primary, secondary, settings);
  } finally {
    await gateway?.stop();
    await primary.close();
    await secondary.close();
  }
}

async function driveStream(
  send: Sender,
  primary: BenchFake,
  secondary: BenchFake,
  settings: DrillSettings,
): Promise<DrillFigures> {
  const intervalMs = 1000 / settings.rate;
  const hangStart = settings.healthyS * 1000;
  const hangEnd = hangStart + settings.hangS * 1000;
  const total = Math.round((hangEnd + settings.recoveredS * 1000) / intervalMs);
  const start = performance.now();

  const hangTimer = setTimeout(() => {
    primary.mode = 'hang';
  }, hangStart);
  const recoverTimer = setTimeout(() => {
    primary.mode = 'ok';
  }, hangEnd);

  const outcomes: Array<Promise<Outcome>> = [];
  try {
    for (let index = 0; index < total; index += 1) {
      const due = start + index * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) {
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const reference = `drill-${index.toString().padStart(6, '0')}`;
      const startedAt = performance.now() - start;
      outcomes.push(
        send(reference).then((result) => ({
          reference,
          startedAt,
          latencyMs: performance.now() - start - startedAt,
          ...result,
        })),
      );
    }
    const finished = await Promise.all(outcomes);
    return summarize(finished, primary, secondary, { start, hangStart, hangEnd });
  } finally {
    clearTimeout(hangTimer);
    clearTimeout(recoverTimer);
    primary.mode = 'ok';
  }
}

function summarize(
  outcomes: readonly Outcome[],
  primary: BenchFake,
  secondary: BenchFake,
  times: { start: number; hangStart: number; hangEnd: number },
): DrillFigures {
  const deliveries = new Map<string, number>();
  for (const delivery of [...primary.deliveries, ...secondary.deliveries]) {
    if (delivery.reference !== undefined) {
      deliveries.set(delivery.reference, (deliveries.get(delivery.reference) ?? 0) + 1);
    }
  }
  const group = (selected: readonly Outcome[]): DrillGroup => {
    const latencies = selected.map((outcome) => outcome.latencyMs).sort((a, b) => a - b);
    return {
      messages: selected.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      failed: selected.filter((outcome) => !outcome.ok).length,
      sentTwice: selected.filter((outcome) => (deliveries.get(outcome.reference) ?? 0) >= 2).length,
      flaggedDuplicate: selected.filter((outcome) => outcome.flaggedDuplicate).length,
    };
  };

  const recoveredAt = times.start + times.hangEnd;
  const backOnPrimary = primary.deliveries.find(
    (delivery) => delivery.accepted && delivery.arrivedAt >= recoveredAt,
  );
  const startedAfter = new Set(
    outcomes.filter((outcome) => outcome.startedAt >= times.hangEnd).map((o) => o.reference),
  );
  const acceptedAfter = primary.deliveries.filter(
    (delivery) =>
      delivery.accepted && delivery.reference !== undefined && startedAfter.has(delivery.reference),
  ).length;

  return {
    window: group(
      outcomes.filter(
        (outcome) => outcome.startedAt >= times.hangStart && outcome.startedAt < times.hangEnd,
      ),
    ),
    overall: group(outcomes),
    primaryBackAfterMs: backOnPrimary === undefined ? null : backOnPrimary.arrivedAt - recoveredAt,
    primaryShareAfter: startedAfter.size === 0 ? 0 : acceptedAfter / startedAfter.size,
  };
}

function messageText(reference: string): string {
  return `drill alert: db-1 unreachable ref=${reference}`;
}

/**
 * Returns the naive fallback that most applications use. It tries the primary with a timeout, and
 * on any error (timeout, connection error, non-2xx) the secondary with the same timeout. It has no
 * retry, no breaker and no memory between messages.
 */
function naiveSender(primary: BenchFake, secondary: BenchFake, settings: DrillSettings): Sender {
  const twilioRequest = (reference: string): Promise<Response> =>
    fetch(primary.sendUrl, {
      method: 'POST',
      headers: {
        Authorization: twilioAuthorization,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        To: '+447700900123',
        From: twilioAccount.from,
        Body: messageText(reference),
      }).toString(),
      signal: AbortSignal.timeout(settings.attemptTimeoutMs),
    });
  const vonageRequest = (reference: string): Promise<Response> =>
    fetch(secondary.sendUrl, {
      method: 'POST',
      headers: {
        Authorization: basicAuth(vonageAccount.apiKey, vonageAccount.apiSecret),
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        to: '447700900123',
        from: vonageAccount.from,
        text: messageText(reference),
      }),
      signal: AbortSignal.timeout(settings.attemptTimeoutMs),
    });

  const attempt = async (request: () => Promise<Response>): Promise<boolean> => {
    try {
      const response = await request();
      await response.arrayBuffer();
      return response.ok;
    } catch {
      return false;
    }
  };
  return async (reference) => {
    const ok =
      (await attempt(() => twilioRequest(reference))) ||
      (await attempt(() => vonageRequest(reference)));
    return { ok, flaggedDuplicate: false };
  };
}

function gatewaySender(url: string, settings: DrillSettings): Sender {
  return async (reference) => {
    try {
      const response = await fetch(`${url}/v1/messages`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${BENCH_API_KEY}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ to: '+447700900123', body: messageText(reference), reference }),
        // A bound on the client side as well, so that the run ends even if the gateway hangs.
        signal: AbortSignal.timeout(settings.deadlineMs + 5000),
      });
      const result = (await response.json()) as { possible_duplicate?: unknown };
      return { ok: response.ok, flaggedDuplicate: result.possible_duplicate === true };
    } catch {
      return { ok: false, flaggedDuplicate: false };
    }
  };
}

async function startDrillGateway(
  primary: BenchFake,
  secondary: BenchFake,
  settings: DrillSettings,
  workDir: string,
): Promise<TargetProcess> {
  const dir = mkdtempSync(join(workDir, 'drill-gateway-'));
  const port = await freePort();
  const configPath = join(dir, 'gateway.toml');
  const toml = gatewayToml({
    port,
    dataDir: join(dir, 'data'),
    twilioUrls: [primary.url],
    vonageUrl: secondary.url,
    attemptTimeoutMs: settings.attemptTimeoutMs,
    deadlineMs: settings.deadlineMs,
    openDurationMs: settings.openDurationMs,
  });
  writeFileSync(configPath, toml);
  return spawnTarget({
    entry: 'bench/gateway-process.ts',
    args: ['--config', configPath],
    port,
    logFile: join(dir, 'gateway.log'),
    env: benchEnv,
  });
}
