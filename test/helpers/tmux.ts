// Drives the built bin/micro-reg in a real pseudo-terminal (tmux), typing keys as a person would and
// reading the screen back. Each session has its own tmux server socket so tests never share one.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

export const binPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'micro-reg');

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

export class TmuxSession {
  private readonly dir = mkdtempSync(join(tmpdir(), 'micro-reg-tmux-'));
  private readonly socket = join(this.dir, 'sock');
  private readonly exitFile = join(this.dir, 'exit');
  private readonly stdoutFile = join(this.dir, 'stdout');

  /** Runs `micro-reg args…` in a 160x40 terminal; stdout goes to a file (the screen shows stderr: the prompts). */
  constructor(args: readonly string[], opts: { captureStdout?: boolean } = {}) {
    const redirect = opts.captureStdout ? ` > ${quote(this.stdoutFile)}` : '';
    const script = `${quote(process.execPath)} ${quote(binPath)} ${args.map(quote).join(' ')}${redirect}; echo $? > ${quote(this.exitFile)}; sleep 600`;
    this.tmux('new-session', '-d', '-s', 'test', '-x', '160', '-y', '40', 'sh', '-c', script);
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8', env: { ...process.env, TERM: 'xterm-256color' } });
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', 'test');
  }

  /** Keys as tmux names them: literal text, or 'Enter', 'Space', 'Down', 'C-c'… */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 'test', ...keys);
  }

  type(text: string): void {
    this.tmux('send-keys', '-t', 'test', '-l', text);
  }

  waitForScreen(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    return waitFor(() => {
      const s = this.screen();
      return pattern.test(s) ? s : undefined;
    }, timeoutMs, `screen to show ${pattern}`).catch((e: Error) => {
      throw new Error(`${e.message}\n--- screen ---\n${this.screen()}`);
    });
  }

  /** The exit code of micro-reg once it has exited. */
  exitCode(timeoutMs = 15_000): Promise<number> {
    return waitFor(() => {
      try {
        const t = readFileSync(this.exitFile, 'utf8').trim();
        return t === '' ? undefined : Number(t);
      } catch {
        return undefined;
      }
    }, timeoutMs, 'micro-reg to exit');
  }

  stdout(): string {
    return readFileSync(this.stdoutFile, 'utf8');
  }

  close(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
