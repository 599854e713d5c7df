// Runs the built bin/micro-reg in a real pseudo-terminal (tmux), for prompts: send keys, read the screen,
// get the exit code. Each session has its own name and socket and is killed by name afterwards.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './poll.js';

export const binPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'micro-reg');

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export class TmuxSession {
  readonly name = `micro-reg-test-${randomBytes(4).toString('hex')}`;
  private readonly dir = mkdtempSync(join(tmpdir(), 'micro-reg-tmux-'));
  private readonly socket = join(this.dir, 'sock');
  private readonly exitFile = join(this.dir, 'exit');

  /** Starts `bin/micro-reg args…` in a detached 120x40 terminal, with extra environment. */
  constructor(args: readonly string[], env: Record<string, string> = {}, shellCommand?: string) {
    const envs = Object.entries(env).map(([k, v]) => `${k}=${quote(v)}`).join(' ');
    const program = shellCommand ?? `${quote(process.execPath)} ${quote(binPath)} ${args.map(quote).join(' ')}`;
    const command = `env ${envs} ${program}; echo $? > ${quote(this.exitFile)}; sleep 60`;
    this.tmux('new-session', '-d', '-s', this.name, '-x', '120', '-y', '40', command);
  }

  /** Starts any command line (e.g. an interactive shell) instead of micro-reg. */
  static shell(commandLine: string, env: Record<string, string> = {}): TmuxSession {
    return new TmuxSession([], env, commandLine);
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8' });
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', this.name);
  }

  waitForScreen(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    return waitFor(() => {
      const s = this.screen();
      return pattern.test(s) ? s : undefined;
    }, timeoutMs, `${pattern} on the screen`);
  }

  sendKeys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys);
  }

  exitCode(timeoutMs = 15_000): Promise<number> {
    return waitFor(() => (existsSync(this.exitFile) && readFileSync(this.exitFile, 'utf8').trim() !== '' ? Number(readFileSync(this.exitFile, 'utf8').trim()) : undefined), timeoutMs, 'the command to exit');
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // Already gone.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
