import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem, type } from 'node:os';

import type { DrillFigures, DrillGroup, DrillSettings } from './drill.js';
import type { LoadFigures, LoadPair, LoadSettings } from './load.js';

/** Everything one benchmark run measured; `--json` writes it as it is. */
export interface BenchResults {
  readonly mode: 'full' | 'quick';
  readonly date: string;
  readonly command: string;
  readonly machine: MachineInfo;
  readonly loadAverage: LoadAverageRange;
  readonly load: LoadSettings;
  readonly drillSettings: DrillSettings;
  readonly scenarios: {
    readonly overhead: LoadPair;
    readonly scaling: {
      readonly providers4: LoadPair;
      readonly providers16: LoadPair;
      readonly ucs2: LoadPair;
    };
    readonly drill: { readonly naive: DrillFigures; readonly gateway: DrillFigures };
  };
}

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  /** Short hash of the checked-out commit, with `+changes` when the work tree differs from it. */
  readonly commit: string;
}

/**
 * The machine's 1-minute load average (`os.loadavg()`) during a run, which counts the run's own
 * processes and any other work on the machine.
 */
export interface LoadAverageRange {
  readonly min: number;
  readonly max: number;
  readonly samples: number;
  /** Time between two samples. */
  readonly intervalMs: number;
}

/**
 * Samples the 1-minute load average now and every `intervalMs` until `stop`, which returns the
 * range. The timer does not keep the process alive.
 */
export function sampleLoadAverage(intervalMs: number): { stop(): LoadAverageRange } {
  const samples = [loadavg()[0] ?? 0];
  const timer = setInterval(() => samples.push(loadavg()[0] ?? 0), intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      samples.push(loadavg()[0] ?? 0);
      return {
        min: Math.min(...samples),
        max: Math.max(...samples),
        samples: samples.length,
        intervalMs,
      };
    },
  };
}

/** Names of the scenarios, as the report's headings and the JSON keys spell them. */
export const scenarioNames = ['overhead', 'drill', 'scaling'] as const;

export function machineInfo(): MachineInfo {
  const cpuList = cpus();
  return {
    cpu: cpuList[0]?.model.trim() ?? 'unknown',
    cores: cpuList.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    commit: describeCommit(),
  };
}

/**
 * Describes the commit under test. BENCH_COMMIT overrides it for a run from an exported tree
 * (`git archive`), which has no repository to ask.
 */
function describeCommit(): string {
  const override = process.env['BENCH_COMMIT'];
  if (override !== undefined && override !== '') {
    return override;
  }
  try {
    const git = (...args: string[]): string =>
      execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const hash = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? hash : `${hash}+changes`;
  } catch {
    return 'unknown';
  }
}

/** Formats the three scenario tables as Markdown, for the terminal and the docs page. */
export function formatTables(results: BenchResults): string {
  const { overhead, scaling, drill } = results.scenarios;
  const base = overhead.baseline;
  const lines: string[] = [];

  lines.push('### overhead', '');
  lines.push(loadHeader());
  lines.push(loadRow('baseline (bare Hono + fetch)', base, base));
  lines.push(loadRow('gateway, 1 provider', overhead.gateway, base));
  lines.push('');
  lines.push(
    `Gateway resident memory: ${mib(overhead.gateway.rssBeforeBytes)} before the load, ` +
      `${mib(overhead.gateway.rssAfterBytes)} after it.`,
    '',
  );

  lines.push('### drill', '');
  lines.push(
    '| client | group | messages | p50 ms | p99 ms | failed | sent twice | flagged as possible duplicate |',
  );
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, figures] of [
    ['naive fallback', drill.naive],
    ['gateway', drill.gateway],
  ] as const) {
    lines.push(drillRow(name, 'outage window', figures.window));
    lines.push(drillRow(name, 'whole run', figures.overall));
  }
  lines.push('');
  lines.push(
    '| client | primary accepted again after the outage | primary share after the outage |',
  );
  lines.push('| --- | ---: | ---: |');
  for (const [name, figures] of [
    ['naive fallback', drill.naive],
    ['gateway', drill.gateway],
  ] as const) {
    const back =
      figures.primaryBackAfterMs === null
        ? 'not in this run'
        : `${seconds(figures.primaryBackAfterMs)} s`;
    lines.push(`| ${name} | ${back} | ${percent(figures.primaryShareAfter)} |`);
  }
  lines.push('');

  lines.push('### scaling', '');
  lines.push(
    'Each gateway row is measured beside its own baseline run, which forwards the same body.',
    '',
  );
  lines.push(loadHeader());
  for (const [name, pair] of [
    ['1 provider, short body', overhead],
    ['4 providers, short body', scaling.providers4],
    ['16 providers, short body', scaling.providers16],
    ['1 provider, 1,000-char UCS-2 body', scaling.ucs2],
  ] as const) {
    lines.push(loadRow(`baseline, ${name}`, pair.baseline, pair.baseline));
    lines.push(loadRow(`gateway, ${name}`, pair.gateway, pair.baseline));
  }
  lines.push('');
  return lines.join('\n');
}

function loadHeader(): string {
  return [
    '| server | req/s | req/s ratio | server CPU µs/req | CPU ratio | p50 ms | p99 ms | max ms | requests | failed |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ].join('\n');
}

function loadRow(name: string, figures: LoadFigures, baseline: LoadFigures): string {
  const ratio = figures.requestsPerSecond / baseline.requestsPerSecond;
  const cpuRatio = figures.cpuMicrosPerRequest / baseline.cpuMicrosPerRequest;
  return (
    `| ${name} | ${Math.round(figures.requestsPerSecond)} | ${ratio.toFixed(2)} | ` +
    `${figures.cpuMicrosPerRequest} | ${cpuRatio.toFixed(2)} | ` +
    `${figures.p50} | ${figures.p99} | ${figures.max} | ${figures.requests} | ${figures.failures} |`
  );
}

function drillRow(client: string, group: string, figures: DrillGroup): string {
  return (
    `| ${client} | ${group} | ${figures.messages} | ${Math.round(figures.p50)} | ` +
    `${Math.round(figures.p99)} | ${figures.failed} | ${figures.sentTwice} | ` +
    `${figures.flaggedDuplicate} |`
  );
}

function mib(bytes: number | undefined): string {
  return bytes === undefined || Number.isNaN(bytes) ? 'n/a' : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

function percent(share: number): string {
  return `${Math.round(share * 100)} %`;
}
