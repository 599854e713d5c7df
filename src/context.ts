// What a command receives: its IO, the global options, and a registry client made on first use
// (so `--help` and usage errors never load gRPC).
import { Chalk, type ChalkInstance } from 'chalk';
import { type GlobalFlags, MissingPasswordError, type RegistryConfig, type Secrets, checkPasswordFlags, resolveRegistryConfig } from './config.js';
import { canPrompt, loadPrompts } from './prompts.js';
import { loadConfigFile } from './config-file.js';
import { environmentForContext, selectContext } from './contexts.js';
import { MalformedRecordError, UsageError } from './errors.js';
import { type IO, colourEnabled, readToEnd } from './io.js';
import type { Registry } from './registry/registry.js';
import type { MalformedRecord } from './registry/model.js';
import { sanitize } from './render/sanitize.js';
import type { Style } from './render/table.js';
import { type OutputFormat, commandOutputs, outputAliases, outputFormats } from './outputs.js';

export { type OutputFormat, outputFormats } from './outputs.js';

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
    const output = (outputAliases[flags.output ?? ''] ?? flags.output ?? 'table') as OutputFormat;
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
      const { env, warning } = environmentForContext(this.io.env, selected, this.flags as Record<string, unknown>);
      this.cachedConfig = resolveRegistryConfig(this.flags, env, selected?.settings, this.secrets);
      if (warning !== undefined) this.warn(warning);
    }
    return this.cachedConfig;
  }

  /**
   * Reads what must come from outside before the configuration is resolved: with --password-stdin, the
   * password (all of standard input, one trailing newline trimmed, as `docker login --password-stdin`);
   * for a command that talks to etcd, on a terminal, a password the user was named without.
   */
  async readSecrets(talksToEtcd = true): Promise<void> {
    // `config set-context --user ops` stores a user; it does not log in with it.
    if (!this.flags.passwordStdin) return talksToEtcd ? this.askPassword() : undefined;
    // A usage error must not wait for input first.
    checkPasswordFlags(this.flags, this.io.env);
    const text = await readToEnd(this.io.stdin, maxPasswordBytes);
    if (text === undefined) throw new UsageError(`--password-stdin: standard input holds more than ${maxPasswordBytes / 1024} KiB; expected one password`);
    const password = text.replace(/\r?\n$/, '');
    if (password === '') throw new UsageError('--password-stdin: standard input is empty', 'pipe the password in, e.g. printf %s "$ETCD_PW" | micro-reg --user root --password-stdin list');
    this.secrets = { stdinPassword: password };
  }

  /**
   * A user named without a password: on a terminal, ask for it with a masked prompt, as etcdctl does.
   * Without one, or for any other problem with the settings, the command meets the error where it reads them.
   */
  private async askPassword(): Promise<void> {
    if (!canPrompt(this.io)) return;
    const named = this.flags.user ?? this.io.env.ETCDCTL_USER ?? this.io.env.ETCD_USERNAME ?? this.flags.context ?? this.io.env.MICRO_REG_CONTEXT;
    if (named === undefined && loadConfigFile(this.io.env).file === undefined) return;
    try {
      void this.config;
      return;
    } catch (e) {
      this.cachedConfig = undefined;
      if (!(e instanceof MissingPasswordError)) return;
      const prompts = await loadPrompts(this.io);
      const password = await prompts.password(`Password for etcd user "${e.username}":`);
      this.secrets = { promptedPassword: password };
    }
  }

  /** The registry for this invocation; etcd3 is imported on first use only. */
  registry(): Promise<Registry> {
    this.registryPromise ??= this.makeRegistry(this.config);
    return this.registryPromise;
  }

  /**
   * The registry of another context of the config file (`diff --against-context`): that context's
   * settings alone (neither this run's connection flags nor the environment, which describe this
   * run's own registry), with this run's --timeout and --strict.
   */
  contextRegistry(name: string): Promise<Registry> {
    const loaded = loadConfigFile(this.io.env);
    const selected = selectContext(loaded.file, name, {}, loaded.path);
    const flags = { ...(this.flags.timeout !== undefined ? { timeout: this.flags.timeout } : {}), ...(this.flags.strict !== undefined ? { strict: this.flags.strict } : {}) };
    return this.makeRegistry(resolveRegistryConfig(flags, {}, selected?.settings));
  }

  private makeRegistry(config: RegistryConfig): Promise<Registry> {
    return (async () => {
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

  /** Refuses output formats a command does not have (outputs.ts lists them). */
  requireOutput(command: string): void {
    const allowed = commandOutputs[command] ?? outputFormats;
    if (!allowed.includes(this.output)) {
      throw new UsageError(`${command} does not support -o ${this.output}: use one of ${allowed.join(', ')}`, `see micro-reg ${command} --help`);
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
