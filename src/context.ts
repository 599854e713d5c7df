// What a command receives: its IO, the global options, and a registry client made on first use
// (so `--help` and usage errors never load gRPC).
import { Chalk, type ChalkInstance } from 'chalk';
import { type GlobalFlags, type RegistryConfig, type Secrets, checkPasswordFlags, resolveRegistryConfig } from './config.js';
import { loadConfigFile } from './config-file.js';
import { selectContext } from './contexts.js';
import { MalformedRecordError, UsageError } from './errors.js';
import { type IO, colourEnabled, readToEnd } from './io.js';
import type { Registry } from './registry/registry.js';
import type { MalformedRecord } from './registry/model.js';
import { sanitize } from './render/sanitize.js';
import type { Style } from './render/table.js';

export type OutputFormat = 'table' | 'wide' | 'json' | 'names';
export const outputFormats: readonly OutputFormat[] = ['table', 'wide', 'json', 'names'];

export interface GlobalOptions extends GlobalFlags {
  output?: string;
  /** A named context of the config file (else MICRO_REG_CONTEXT, else its current context). */
  context?: string;
  color?: boolean;
  debug?: boolean;
}

const maxPasswordBytes = 64 * 1024;

export class CommandContext {
  readonly output: OutputFormat;
  readonly paintOut: ChalkInstance;
  readonly paintErr: ChalkInstance;
  private registryPromise: Promise<Registry> | undefined;
  private cachedConfig: RegistryConfig | undefined;
  private closers: (() => void)[] = [];
  private secrets: Secrets = {};

  constructor(
    readonly io: IO,
    readonly flags: GlobalOptions,
  ) {
    const output = (flags.output ?? 'table') as OutputFormat;
    if (!outputFormats.includes(output)) throw new UsageError(`invalid --output "${flags.output}": expected one of ${outputFormats.join(', ')}`);
    this.output = output;
    this.paintOut = new Chalk({ level: colourEnabled(io.stdoutIsTTY, io.env, flags.color) ? 1 : 0 });
    this.paintErr = new Chalk({ level: colourEnabled(io.stderrIsTTY, io.env, flags.color) ? 1 : 0 });
  }

  /** Flags, then the environment, then the selected context of the config file, then defaults. */
  get config(): RegistryConfig {
    if (this.cachedConfig === undefined) {
      const loaded = loadConfigFile(this.io.env);
      if (loaded.warning !== undefined) this.warn(loaded.warning);
      const selected = selectContext(loaded.file, this.flags.context, this.io.env, loaded.path);
      this.cachedConfig = resolveRegistryConfig(this.flags, this.io.env, selected?.settings, this.secrets);
    }
    return this.cachedConfig;
  }

  /**
   * Reads what must come from outside before the configuration is resolved: with --password-stdin, the
   * password (all of standard input, one trailing newline trimmed, as `docker login --password-stdin`).
   */
  async readSecrets(): Promise<void> {
    if (!this.flags.passwordStdin) return;
    // A usage error must not wait for input first.
    checkPasswordFlags(this.flags, this.io.env);
    const text = await readToEnd(this.io.stdin, maxPasswordBytes);
    if (text === undefined) throw new UsageError(`--password-stdin: standard input holds more than ${maxPasswordBytes / 1024} KiB; expected one password`);
    const password = text.replace(/\r?\n$/, '');
    if (password === '') throw new UsageError('--password-stdin: standard input is empty', 'pipe the password in, e.g. printf %s "$ETCD_PW" | micro-reg --user root --password-stdin list');
    this.secrets = { stdinPassword: password };
  }

  /** The registry for this invocation; etcd3 is imported on first use only. */
  registry(): Promise<Registry> {
    this.registryPromise ??= (async () => {
      const config = this.config;
      // Load only the clients this layout can use: etcd3 and gRPC cost ~130 ms to load, which `--layout v2` never needs.
      const [{ Registry }, v3, v2] = await Promise.all([
        import('./registry/registry.js'),
        config.layout !== 'v2' ? import('./registry/client.js') : undefined,
        config.layout === 'v2' || config.layout === 'auto' ? import('./registry/v2.js') : undefined,
      ]);
      return new Registry(config, {
        ...(v3 && { v3: () => this.closing(new v3.EtcdClient(config.connection)) }),
        ...(v2 && { v2: () => this.closing(new v2.V2Client(config.connection)) }),
      });
    })();
    return this.registryPromise;
  }

  /** Closes the client when the command ends. */
  private closing<T extends { close(): void }>(client: T): T {
    this.closers.push(() => client.close());
    return client;
  }

  /** Style for human output on stdout. */
  style(): Style {
    return { tty: this.io.stdoutIsTTY, paint: this.paintOut, width: this.io.columns(), wide: this.output === 'wide' };
  }

  /** Refuses output formats a command does not have. */
  requireOutput(allowed: readonly OutputFormat[], command: string): void {
    if (!allowed.includes(this.output)) {
      throw new UsageError(`${command} does not support -o ${this.output}: use one of ${allowed.join(', ')}`);
    }
  }

  get json(): boolean {
    return this.output === 'json';
  }

  /** Untrusted text in a message (keys, names, reasons quoting them) is shown through the sanitiser. */
  warn(message: string): void {
    this.io.stderr.write(`${this.paintErr.yellow('warning:')} ${this.safeErr(message)}\n`);
  }

  /** A line on stderr; `lead` is micro-reg's own (painted) text put before the sanitised message. */
  info(message: string, lead?: string): void {
    this.io.stderr.write(`${lead === undefined ? '' : `${lead} `}${this.safeErr(message)}\n`);
  }

  /** Text for stderr through the one sanitiser, escapes dim when stderr has colour. */
  safeErr(text: string): string {
    return sanitize(text, this.paintErr.dim);
  }

  /** Malformed records are skipped with a warning each, or with --strict end the command with exit 6. */
  reportMalformed(malformed: readonly MalformedRecord[]): void {
    if (malformed.length === 0) return;
    if (this.config.strict) {
      const first = malformed[0]!;
      const more = malformed.length > 1 ? ` (and ${malformed.length - 1} more)` : '';
      throw new MalformedRecordError(`malformed record ${first.key}: ${first.reason}${more}`, 'run without --strict to skip malformed records with a warning');
    }
    for (const m of malformed) this.warn(`skipped malformed record ${m.key}: ${m.reason}`);
  }

  close(): void {
    for (const close of this.closers.splice(0)) close();
  }
}
