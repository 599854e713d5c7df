// The streams a command works with, and what they are attached to. Commands write only through an IO,
// so tests can hand them a TestIO and read back what a person would have seen.
import type { Readable } from 'node:stream';
import type { Env } from './settings/config.js';
import { sanitize } from './render/sanitize.js';

export interface OutStream {
  write(chunk: string): unknown;
}

export interface IO {
  stdout: OutStream;
  stderr: OutStream;
  stdin: Readable;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdinIsTTY: boolean;
  /** Terminal width of stdout (80 when unknown). */
  columns(): number;
  /** Terminal height of stdout, for full-screen output (24 when unknown). */
  rows?(): number;
  /** Calls `listener` when the terminal of stdout is resized (SIGWINCH); returns the function that stops it. */
  onResize?(listener: () => void): () => void;
  env: Env;
  /** The first error writing stdout other than EPIPE (ENOSPC, EIO), once one happened. */
  stdoutFailure?(): NodeJS.ErrnoException | undefined;
  /** Resolves once everything written to stdout so far has gone out (or failed). */
  flushStdout?(): Promise<void>;
  /** A promise while stdout's buffer is full (its reader is slow), resolved when it drains; else undefined. */
  stdoutReady?(): Promise<void> | undefined;
}

/** Colour is on for a terminal unless NO_COLOR or --no-color say no; FORCE_COLOR turns it on anywhere. */
export function colourEnabled(isTTY: boolean, env: Env, flag: boolean | undefined): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  return isTTY && env.TERM !== 'dumb';
}

export function processIO(): IO {
  // A reader that goes away (`micro-reg list | head`) is not an error: the rest of the output is dropped.
  // Any other failure (`list > /dev/full`) is kept for main() to report once the command has written.
  let failure: NodeJS.ErrnoException | undefined;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') failure ??= e;
  });
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    stdinIsTTY: process.stdin.isTTY === true,
    columns: () => process.stdout.columns || Number(process.env.COLUMNS) || 80,
    rows: () => process.stdout.rows || Number(process.env.LINES) || 24,
    onResize: (listener) => {
      process.stdout.on('resize', listener);
      return () => process.stdout.off('resize', listener);
    },
    env: process.env,
    stdoutFailure: () => failure,
    flushStdout: () => new Promise<void>((resolve) => process.stdout.write('', () => resolve())),
    stdoutReady: () => {
      const out = process.stdout;
      if (!out.writableNeedDrain || out.destroyed) return undefined;
      return new Promise<void>((resolve) => {
        const done = (): void => {
          out.off('drain', done).off('close', done).off('error', done);
          resolve();
        };
        out.on('drain', done).on('close', done).on('error', done);
      });
    },
  };
}

/**
 * Everything on a stream up to its end, as UTF-8; undefined when it holds more than `maxBytes` (reading
 * stops there). For small inputs: a password, a Service file.
 */
export function readToEnd(stream: Readable, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (value: string | undefined): void => {
      stream.off('data', onData).off('end', onEnd).off('error', onError);
      stream.pause();
      resolve(value);
    };
    const onData = (chunk: Buffer | string): void => {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += b.length;
      if (size > maxBytes) return done(undefined);
      chunks.push(b);
    };
    const onEnd = (): void => done(Buffer.concat(chunks).toString('utf8'));
    const onError = (e: Error): void => {
      stream.off('data', onData).off('end', onEnd).off('error', onError);
      reject(e);
    };
    stream.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

const spinnerFrames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A spinner on stderr for reads that take longer than ~300 ms; never when stderr is not a terminal.
 * Returns the function that stops it and clears its line.
 */
export function startSpinner(io: IO, text: string, delayMs = 300): () => void {
  if (!io.stderrIsTTY) return () => undefined;
  // The message may name a service from the command line: its own escapes are the only ones written.
  const message = sanitize(text);
  let frame = 0;
  let shown = false;
  let interval: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    shown = true;
    interval = setInterval(() => {
      io.stderr.write(`\r${spinnerFrames[frame++ % spinnerFrames.length]} ${message}`);
    }, 80);
    interval.unref();
  }, delayMs);
  timer.unref();
  return () => {
    clearTimeout(timer);
    if (interval) clearInterval(interval);
    if (shown) io.stderr.write('\r\x1b[2K');
  };
}
