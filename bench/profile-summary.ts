import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

/**
 * Prints the functions and files with the most self time, and the functions with the most total
 * time, in a
 * V8 `.cpuprofile` written by `node --cpu-prof`.
 *
 * Usage: tsx bench/profile-summary.ts FILE.cpuprofile [TOP]
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

const [file, topArgument] = process.argv.slice(2);
if (file === undefined) {
  process.stderr.write('usage: tsx bench/profile-summary.ts FILE.cpuprofile [TOP]\n');
  process.exit(2);
}
const top = Number(topArgument ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;

const selfMicros = new Map<number, number>();
profile.samples.forEach((nodeId, index) => {
  selfMicros.set(nodeId, (selfMicros.get(nodeId) ?? 0) + (profile.timeDeltas[index] ?? 0));
});
const totalMicros = [...selfMicros.values()].reduce((sum, value) => sum + value, 0);

const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
for (const node of profile.nodes) {
  const micros = selfMicros.get(node.id) ?? 0;
  const where = shortUrl(node.callFrame.url);
  const key = functionKey(node);
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
  byFile.set(where, (byFile.get(where) ?? 0) + micros);
}

// Total time: a node's own samples plus those of its descendants. A function that appears more
// than once on one stack (recursion) is counted once per stack.
const nodesById = new Map(profile.nodes.map((node) => [node.id, node]));
const byFunctionTotal = new Map<string, number>();
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
    byFunctionTotal.set(key, (byFunctionTotal.get(key) ?? 0) + micros);
  }
  return micros;
};
const root = profile.nodes[0];
if (root !== undefined) {
  walk(root.id, new Set());
}

const print = (title: string, entries: Map<string, number>): void => {
  process.stdout.write(`\n${title}\n`);
  const sorted = [...entries.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [key, micros] of sorted) {
    const share = ((micros / totalMicros) * 100).toFixed(1).padStart(5);
    process.stdout.write(`${share} %  ${key}\n`);
  }
};
process.stdout.write(`total sampled: ${(totalMicros / 1e6).toFixed(2)} s\n`);
print('self time by function', byFunction);
print('self time by file or package', byFile);
print('total time (self and callees) by function', byFunctionTotal);

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
