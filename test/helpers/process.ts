// Runs the built bin/micro-reg as a separate process, as a user or a script would: to completion
// (runBin), or long-running (watch, wait, register --keepalive) followed line by line, signalled and
// killed by PID (spawnCli).
import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const binPath = join(repoRoot, 'bin', 'micro-reg');

/**
 * Where micro-reg looks for its config file in tests unless a test says otherwise: a directory that does
 * not exist, so that a developer's own contexts (~/.config/micro-reg) never change what a test talks to.
 */
export const noConfigHome = join(tmpdir(), 'micro-reg-tests-have-no-config');

/**
 * What a child process inherits from the person running the tests: only where programs and temporary
 * files are. Everything else that changes what micro-reg, etcdctl or a shell does (NO_COLOR, FORCE_COLOR,
 * TERM, COLUMNS, XDG_CONFIG_HOME, MICRO_REGISTRY_ADDRESS, MICRO_REG_CONTEXT, ETCDCTL_*, ETCD_USERNAME,
 * ETCD_PASSWORD, proxies…) is left out, so a test sees the same program whatever is exported.
 */
const inheritedVariables = ['PATH', 'HOME', 'TMPDIR'] as const;

/**
 * The environment for a process a test starts: the inherited variables above, no config file (unless
 * `extra` names one), then `extra`. Every helper that spawns a process builds its environment here.
 */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp' };
  for (const name of inheritedVariables) {
    const value = process.env[name];
    if (value !== undefined && value !== '') env[name] = value;
  }
  return { ...env, XDG_CONFIG_HOME: noConfigHome, ...extra };
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/micro-reg to completion (killed by PID after timeoutMs). */
export function runBin(args: string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], { env: childEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export interface CliProcess {
  child: ChildProcess;
  pid: number;
  /** Complete stdout lines so far. */
  lines(): string[];
  stderr(): string;
  /** Waits until at least `n` stdout lines have arrived; returns them all. */
  waitForLines(n: number, timeoutMs?: number): Promise<string[]>;
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Waits for the exit: the exit code, or the signal that ended it. */
  exited(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(sig: NodeJS.Signals): void;
  /** With stallStdout: start reading stdout (once). */
  resumeStdout(): void;
}

/** Live processes, so a failing test still kills them (see killAll). */
const running = new Set<ChildProcess>();

export interface SpawnOptions {
  /** A file descriptor to give the process as stdout (e.g. /dev/full) instead of a pipe. */
  stdoutFd?: number;
  /** Leave stdout unread until resumeStdout(): a reader that stalls, so the pipe fills. */
  stallStdout?: boolean;
}

export function spawnCli(args: string[], env: Record<string, string> = {}, opts: SpawnOptions = {}): CliProcess {
  const child = spawn(process.execPath, [binPath, ...args], {
    stdio: ['ignore', opts.stdoutFd ?? 'pipe', 'pipe'],
    env: childEnv(env),
  });
  running.add(child);
  let out = '';
  let err = '';
  const readStdout = (): void => {
    child.stdout?.setEncoding('utf8').on('data', (s: string) => (out += s));
  };
  if (!opts.stallStdout) readStdout();
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const lines = (): string[] => out.split('\n').slice(0, -1);
  return {
    child,
    pid: child.pid!,
    lines,
    stderr: () => err,
    waitForLines: (n, timeoutMs = 10_000) => waitFor(() => (lines().length >= n ? lines() : undefined), timeoutMs, `${n} stdout lines (have ${lines().length}: ${out.slice(-500)}; stderr: ${err.slice(-500)})`),
    waitForStderr: async (pattern, timeoutMs = 10_000) => {
      await waitFor(() => pattern.test(err), timeoutMs, `stderr matching ${pattern} (stderr: ${err.slice(-500)})`);
    },
    exited: (timeoutMs = 10_000) =>
      Promise.race([exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`process ${child.pid} did not exit within ${timeoutMs} ms; stderr: ${err.slice(-500)}`)), timeoutMs).unref())]),
    resumeStdout: readStdout,
    signal: (sig) => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, sig);
    },
  };
}

/** Kills every process spawnCli started that is still running (afterEach / afterAll). */
export function killAll(): void {
  for (const child of running) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGCONT');
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  running.clear();
}
