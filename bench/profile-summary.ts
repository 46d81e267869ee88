import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * Prints the functions and files with the most self time, and the functions with the most total
 * time, in each V8 `.cpuprofile` written by `node --cpu-prof`. Shares are of the busy time: the
 * sampled time without `(idle)`, because the gateway of the overhead scenario idles while the
 * baseline's slices run. A process writes one profile per thread, so `--cpu-prof`
 * leaves a small second profile of tsx's module loader thread beside the gateway's.
 *
 * Usage: tsx bench/profile-summary.ts FILE.cpuprofile... [TOP]
 */

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

// V8's pseudo-frame for samples taken while the thread waited for work.
const IDLE = '(idle)';

const args = process.argv.slice(2);
const files = args.filter((arg) => arg.endsWith('.cpuprofile'));
const topArgument = args.find((arg) => !arg.endsWith('.cpuprofile'));
const top = Number(topArgument ?? 25);
if (files.length === 0 || !Number.isInteger(top) || top < 1) {
  process.stderr.write('usage: tsx bench/profile-summary.ts FILE.cpuprofile... [TOP]\n');
  process.stderr.write('  TOP: rows per table, a whole number of at least 1 (default 25)\n');
  process.exit(2);
}
for (const file of files) {
  process.stdout.write(`== ${file}\n`);
  summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  process.stdout.write('\n');
}

function summarize(profile: CpuProfile): void {
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((nodeId, index) => {
    selfMicros.set(nodeId, (selfMicros.get(nodeId) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const sampledMicros = sum([...selfMicros.values()]);

  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const node of profile.nodes) {
    if (node.callFrame.functionName === IDLE) {
      selfMicros.delete(node.id);
      continue;
    }
    const micros = selfMicros.get(node.id) ?? 0;
    add(byFunction, functionKey(node), micros);
    add(byFile, shortUrl(node.callFrame.url), micros);
  }
  const busyMicros = sum([...selfMicros.values()]);

  process.stdout.write(
    `sampled: ${seconds(sampledMicros)} s, busy: ${seconds(busyMicros)} s; shares are of the busy time\n`,
  );
  print('self time by function', byFunction, busyMicros);
  print('self time by file or package', byFile, busyMicros);
  print(
    'total time (self and callees) by function',
    totalByFunction(profile, selfMicros),
    busyMicros,
  );
}

/**
 * Returns each function's total time: its nodes' own samples plus those of their descendants. A
 * function that appears more than once on one stack (recursion) is counted once per stack.
 */
function totalByFunction(
  profile: CpuProfile,
  selfMicros: ReadonlyMap<number, number>,
): Map<string, number> {
  const nodesById = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  const walk = (nodeId: number, onStack: ReadonlySet<string>): number => {
    const node = nodesById.get(nodeId);
    if (node === undefined) {
      return 0;
    }
    const key = functionKey(node);
    const stack = new Set(onStack).add(key);
    let micros = selfMicros.get(nodeId) ?? 0;
    for (const child of node.children ?? []) {
      micros += walk(child, stack);
    }
    if (!onStack.has(key)) {
      add(totals, key, micros);
    }
    return micros;
  };

  const root = profile.nodes[0];
  if (root !== undefined) {
    walk(root.id, new Set());
  }
  return totals;
}

function print(title: string, entries: Map<string, number>, busyMicros: number): void {
  process.stdout.write(`\n${title}\n`);
  const sorted = [...entries.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, micros] of sorted) {
    const share = busyMicros === 0 ? '0.0' : ((micros / busyMicros) * 100).toFixed(1);
    process.stdout.write(`${share.padStart(5)} %  ${key}\n`);
  }
}

function functionKey(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  return `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
}

function shortUrl(url: string): string {
  if (url === '') {
    return '(native)';
  }
  const path = url.replace(/^file:\/\//, '');
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (packageMatch?.[1] !== undefined) {
    return `npm:${packageMatch[1]}`;
  }
  return path.startsWith('/') ? relative(process.cwd(), path) : path;
}

function add(totals: Map<string, number>, key: string, micros: number): void {
  totals.set(key, (totals.get(key) ?? 0) + micros);
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function seconds(micros: number): string {
  return (micros / 1e6).toFixed(2);
}
