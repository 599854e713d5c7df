// Runs micro-reg in-process with a TestIO, and writes raw records into etcd, for integration tests.
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli.js';
import type { IO } from '../../src/io.js';
import type { Env } from '../../src/settings/config.js';
import { EtcdClient } from '../../src/registry/v3/client.js';
import { noConfigHome } from './process.js';

export class TestIO implements IO {
  out = '';
  err = '';
  stdin = new PassThrough();
  stdout = { write: (s: string) => (this.out += s) };
  stderr = { write: (s: string) => (this.err += s) };
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  stdinIsTTY = false;
  env: Env;
  constructor(opts: CliOptions = {}) {
    // Given input is all there is: the stream ends after it, as a pipe does.
    if (opts.stdin !== undefined) this.stdin.end(opts.stdin);
    this.stdoutIsTTY = opts.tty ?? false;
    this.stderrIsTTY = opts.tty ?? false;
    this.env = { XDG_CONFIG_HOME: noConfigHome, ...opts.env };
    this.width = opts.columns ?? 120;
  }
  private width: number;
  columns(): number {
    return this.width;
  }
}

export interface CliOptions {
  tty?: boolean;
  env?: Env;
  columns?: number;
  /** Standard input, ended after it; without it stdin stays open and empty. */
  stdin?: string;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  const io = new TestIO(opts);
  const code = await main(args, io);
  return { code, stdout: io.out, stderr: io.err };
}

/** A plain v3 client of a test etcd on loopback, for writing and reading keys as go-micro or etcdctl would. */
export function etcdClient(endpoint: string, timeoutMs = 5000): EtcdClient {
  return new EtcdClient({ endpoints: [endpoint], tls: false, insecureSkipVerify: false, timeoutMs });
}

/** A key directory no other test uses. */
export function randomPrefix(): string {
  return `/test-${randomBytes(6).toString('hex')}/`;
}

export interface SeedEntry {
  key: string;
  value: string;
  /** Put on a fresh lease of this many seconds. */
  ttl?: number;
}

/** Writes raw keys as go-micro would (plain put, or put on a lease). */
export async function seed(endpoint: string, entries: readonly SeedEntry[]): Promise<void> {
  const client = etcdClient(endpoint);
  try {
    for (const e of entries) {
      const lease = e.ttl ? await client.grant(e.ttl) : undefined;
      await client.put(e.key, e.value, lease);
    }
  } finally {
    client.close();
  }
}
