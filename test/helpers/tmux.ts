// Drives a program in a real pseudo-terminal (tmux), typing keys as a person would and reading the
// screen back. Each session has its own tmux server socket, so tests never share one, and is killed
// with its server afterwards.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binPath, childEnv } from './process.js';
import { waitFor } from './wait.js';

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

export interface TmuxOptions {
  env?: Record<string, string>;
  /** Send micro-reg's stdout to a file (the screen then shows stderr: prompts, progress). */
  captureStdout?: boolean;
  width?: number;
  height?: number;
  /** Run this shell command line instead of micro-reg. */
  shellCommand?: string;
}

export class TmuxSession {
  private readonly dir = mkdtempSync(join(tmpdir(), 'micro-reg-tmux-'));
  private readonly socket = join(this.dir, 'sock');
  private readonly exitFile = join(this.dir, 'exit');
  private readonly stdoutFile = join(this.dir, 'stdout');

  /** Runs `micro-reg args…` (or opts.shellCommand) in a detached terminal, 160x40 unless told. */
  constructor(args: readonly string[], opts: TmuxOptions = {}) {
    // The pane's shell gets its environment from this session's own tmux server, started with childEnv():
    // nothing the person running the tests exported (NO_COLOR, MICRO_REGISTRY_ADDRESS…) reaches it.
    const env = Object.entries(childEnv(opts.env)).map(([k, v]) => `${k}=${quote(v)}`).join(' ');
    const redirect = opts.captureStdout ? ` > ${quote(this.stdoutFile)}` : '';
    const program = opts.shellCommand ?? `${quote(process.execPath)} ${quote(binPath)} ${args.map(quote).join(' ')}${redirect}`;
    // The exit code goes to a file; the pane stays so that the last screen can be read.
    const script = `env ${env} ${program}; echo $? > ${quote(this.exitFile)}; sleep 600`;
    this.tmux('new-session', '-d', '-s', 'test', '-x', String(opts.width ?? 160), '-y', String(opts.height ?? 40), 'sh', '-c', script);
  }

  /** Starts any command line (an interactive shell, say) instead of micro-reg. */
  static shell(commandLine: string, env: Record<string, string> = {}): TmuxSession {
    return new TmuxSession([], { env, shellCommand: commandLine });
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8', env: childEnv({ TERM: 'xterm-256color' }) });
  }

  /** The screen as text; with escapes kept (colours) when asked. */
  screen(withEscapes = false): string {
    return this.tmux('capture-pane', '-p', ...(withEscapes ? ['-e'] : []), '-t', 'test');
  }

  /** A tmux format of the pane, e.g. '#{cursor_flag} #{alternate_on}': terminal state a screen dump does not show. */
  display(format: string): string {
    return this.tmux('display-message', '-p', '-t', 'test', format).trim();
  }

  /** Keys as tmux names them: literal text, or 'Enter', 'Space', 'Down', 'C-c'… */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 'test', ...keys);
  }

  /** Resizes the terminal, as a person dragging its window does (the program gets SIGWINCH). */
  resize(width: number, height: number): void {
    this.tmux('resize-window', '-t', 'test', '-x', String(width), '-y', String(height));
  }

  /** Literal text, typed as is. */
  type(text: string): void {
    this.tmux('send-keys', '-t', 'test', '-l', text);
  }

  /** Waits for a prompt, types the answer and presses Enter, as a person answers a form. */
  async answer(prompt: RegExp, text: string): Promise<void> {
    await this.waitForScreen(prompt);
    if (text !== '') this.type(text);
    this.keys('Enter');
  }

  waitForScreen(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    return waitFor(() => {
      const s = this.screen();
      return pattern.test(s) ? s : undefined;
    }, timeoutMs, `screen to show ${pattern}`).catch((e: Error) => {
      throw new Error(`${e.message}\n--- screen ---\n${this.screen()}`);
    });
  }

  /** The exit code of the program once it has exited. */
  exitCode(timeoutMs = 15_000): Promise<number> {
    return waitFor(() => {
      try {
        const t = readFileSync(this.exitFile, 'utf8').trim();
        return t === '' ? undefined : Number(t);
      } catch {
        return undefined;
      }
    }, timeoutMs, 'the program to exit');
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
