// Runs the built bin/micro-reg as a separate process, as a user or a script would, and drives it
// through tmux when a test needs a real terminal.
import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const binPath = join(repoRoot, 'bin', 'micro-reg');

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs bin/micro-reg to completion (killed by PID after timeoutMs). */
export function runBin(args: string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binPath, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
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

/** A tmux session running one command in a real pseudo-terminal. */
export class TmuxSession {
  private constructor(readonly name: string) {}

  static async start(command: string, opts: { width?: number; height?: number; env?: Record<string, string> } = {}): Promise<TmuxSession> {
    const name = `micro-reg-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const env = Object.entries(opts.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    // remain-on-exit keeps the final screen readable after the command ends.
    execFileSync('tmux', ['new-session', '-d', '-s', name, '-x', String(opts.width ?? 120), '-y', String(opts.height ?? 40), ...env, `${command}; echo "[exit $?]"; sleep 600`]);
    return new TmuxSession(name);
  }

  screen(withColour = false): string {
    return execFileSync('tmux', ['capture-pane', '-p', ...(withColour ? ['-e'] : []), '-t', this.name], { encoding: 'utf8' });
  }

  keys(...keys: string[]): void {
    execFileSync('tmux', ['send-keys', '-t', this.name, ...keys]);
  }

  waitForScreen(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    return waitFor(() => {
      const s = this.screen();
      return pattern.test(s) ? s : undefined;
    }, `screen to match ${pattern}`, timeoutMs);
  }

  stop(): void {
    try {
      execFileSync('tmux', ['kill-session', '-t', this.name], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}
