import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

/** Root of the repository, the working directory of every child process. */
export const repoRoot = join(import.meta.dirname, '..');

/** A server under benchmark, running as a child process on 127.0.0.1. */
export interface TargetProcess {
  readonly url: string;
  readonly pid: number;
  /** Resident set size of the process now, in bytes. */
  rssBytes(): number;
  /** CPU time (user and system) the process has used so far, in seconds. */
  cpuSeconds(): number;
  /** Sends SIGTERM and resolves once the process exited (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

export interface SpawnTargetOptions {
  /** The TypeScript entry file, relative to the repository root. */
  readonly entry: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly port: number;
  /** File that receives the child's stdout and stderr (the gateway's JSON log). */
  readonly logFile: string;
  /** Directory for a `--cpu-prof` profile; no profiling when undefined. */
  readonly cpuProfileDir?: string | undefined;
}

const children = new Set<ChildProcess>();

/**
 * Spawns `entry` under Node.js with tsx, waits until `GET /health` responds with 200, and returns it.
 * The child gets an IPC channel, so it exits by itself if this process dies.
 */
export async function spawnTarget(options: SpawnTargetOptions): Promise<TargetProcess> {
  const profiling =
    options.cpuProfileDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`];
  const log = openSync(options.logFile, 'a');
  const child = spawn(
    process.execPath,
    [...profiling, '--import', 'tsx', options.entry, ...(options.args ?? [])],
    {
      cwd: repoRoot,
      env: { ...process.env, ...options.env, NODE_ENV: 'production' },
      stdio: ['ignore', log, log, 'ipc'],
    },
  );
  closeSync(log);
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => children.delete(child));

  const url = `http://127.0.0.1:${options.port}`;
  try {
    await waitForHealth(url, child, options.logFile);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const pid = child.pid ?? 0;

  return {
    url,
    pid,
    rssBytes: () => readRssBytes(pid),
    cpuSeconds: () => readCpuSeconds(pid),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Kills every child process still running; for exits on errors and signals. */
export function killChildren(): void {
  for (const child of children) {
    child.kill('SIGKILL');
  }
}

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `GET url/health` every 100 ms for up to 30 s. */
async function waitForHealth(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the process exited before ${url}/health responded; see ${logFile}`);
    }
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.ok) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url}/health did not respond with 200 within 30 s; see ${logFile}`);
}

/** Reads VmRSS from /proc (Linux); returns NaN where /proc is missing. */
function readRssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match?.[1] === undefined ? Number.NaN : Number(match[1]) * 1024;
  } catch {
    return Number.NaN;
  }
}

/** Clock ticks per second of /proc/PID/stat; 100 on Linux for x86-64 and arm64. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Reads utime and stime from /proc (Linux); returns NaN where /proc is missing. */
function readCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in field 2 may contain spaces, so count the fields after its `)`.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const userTicks = Number(fields[11]);
    const systemTicks = Number(fields[12]);
    return (userTicks + systemTicks) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}
