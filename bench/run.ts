import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

import * as prettier from 'prettier';

import { runDrill, type DrillSettings } from './drill.js';
import { renderBenchmarksPage } from './page.js';
import { createWorkDir, runLoadPair, SHORT_BODY, UCS2_BODY, type LoadSettings } from './load.js';
import { killChildren, repoRoot } from './processes.js';
import { formatTables, machineInfo, sampleLoadAverage, type BenchResults } from './report.js';

/**
 * Benchmark runner: gateway overhead against a bare forwarding app, an outage drill against a
 * naive fallback client, and how the overhead grows with the route's size and the message size.
 * Every server runs on 127.0.0.1 and every run stops by itself.
 */

const fullLoad: LoadSettings = { connections: 32, durationS: 8, warmupS: 2, providerLatencyMs: 10 };
const quickLoad: LoadSettings = {
  connections: 32,
  durationS: 2,
  warmupS: 1,
  providerLatencyMs: 10,
};

const fullDrill: DrillSettings = {
  rate: 20,
  healthyS: 10,
  hangS: 20,
  recoveredS: 25,
  attemptTimeoutMs: 5000,
  deadlineMs: 15_000,
  openDurationMs: 10_000,
  providerLatencyMs: 20,
};
const quickDrill: DrillSettings = {
  rate: 20,
  healthyS: 1,
  hangS: 3,
  recoveredS: 3,
  attemptTimeoutMs: 1000,
  deadlineMs: 4000,
  openDurationMs: 1000,
  providerLatencyMs: 20,
};

// How often the machine's load average is read during a run.
const LOAD_SAMPLE_INTERVAL_MS = 5000;

const usage = `Usage: npm run bench -- [--quick] [--json FILE] [--cpu-prof DIR] [--no-write]

  --quick         run every scenario briefly (about 45 s) and do not write docs/benchmarks.md
  --json FILE     also write the figures as JSON to FILE
  --cpu-prof DIR  run the overhead gateway under node --cpu-prof and write its profile to DIR
  --no-write      do not write docs/benchmarks.md after a full run
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage);
    return;
  }

  const quick = values.quick;
  const load = quick ? quickLoad : fullLoad;
  const drillSettings = quick ? quickDrill : fullDrill;
  const profileDir = values['cpu-prof'];
  const workDir = createWorkDir();
  const log = (line: string): void => {
    process.stderr.write(`bench: ${line}\n`);
  };

  const loadSampler = sampleLoadAverage(LOAD_SAMPLE_INTERVAL_MS);
  try {
    log(
      `overhead: baseline and gateway, ${load.connections} connections, ${load.durationS} s each`,
    );
    const overhead = await runLoadPair(
      { providers: 1, body: SHORT_BODY },
      load,
      workDir,
      profileDir,
    );

    log('drill: naive fallback client');
    const naiveDrill = await runDrill('naive', drillSettings, workDir);
    log('drill: gateway');
    const gatewayDrill = await runDrill('gateway', drillSettings, workDir);

    log('scaling: 4 providers');
    const providers4 = await runLoadPair({ providers: 4, body: SHORT_BODY }, load, workDir);
    log('scaling: 16 providers');
    const providers16 = await runLoadPair({ providers: 16, body: SHORT_BODY }, load, workDir);
    log('scaling: 1,000-character UCS-2 body');
    const ucs2 = await runLoadPair({ providers: 1, body: UCS2_BODY }, load, workDir);

    const loadAverage = loadSampler.stop();
    log(
      `load average (1 min) during the run: ${loadAverage.min.toFixed(1)} to ${loadAverage.max.toFixed(1)}`,
    );
    const results: BenchResults = {
      mode: quick ? 'quick' : 'full',
      date: new Date().toISOString(),
      command: `npm run bench${quick ? ' -- --quick' : ''}`,
      machine: machineInfo(),
      loadAverage,
      load,
      drillSettings,
      scenarios: {
        overhead,
        scaling: { providers4, providers16, ucs2 },
        drill: { naive: naiveDrill, gateway: gatewayDrill },
      },
    };

    process.stdout.write(`${formatTables(results)}\n`);
    if (values.json !== undefined) {
      mkdirSync(dirname(values.json), { recursive: true });
      writeFileSync(values.json, `${JSON.stringify(results, null, 2)}\n`);
    }
    if (!quick && !values['no-write']) {
      const page = join(repoRoot, 'docs', 'benchmarks.md');
      // Formatted with the repository's prettier config, so that the format check passes.
      const options = (await prettier.resolveConfig(page)) ?? {};
      const text = await prettier.format(renderBenchmarksPage(results), {
        ...options,
        filepath: page,
      });
      writeFileSync(page, text);
      log(`wrote ${page}`);
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killChildren();
    process.exit(130);
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    killChildren();
    process.stderr.write(
      `bench: failed: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  },
);
