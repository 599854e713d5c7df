// What a command receives: its IO, the global options, and a registry client made on first use
// (so `--help` and usage errors never load gRPC).
import { Chalk, type ChalkInstance } from 'chalk';
import { type GlobalFlags, MissingPasswordError, type RegistryConfig, type Secrets, checkPasswordFlags, resolveRegistryConfig } from './settings/config.js';
import { canPrompt, loadPrompts } from './prompts.js';
import { loadConfigFile } from './settings/config-file.js';
import { environmentForContext, selectContext } from './settings/contexts.js';
import { MalformedRecordError, UsageError } from './errors.js';
import { type IO, colourEnabled, readToEnd } from './io.js';
import type { Registry } from './registry/registry.js';
import type { MalformedRecord } from './registry/model.js';
import { sanitize } from './render/sanitize.js';
import type { Style } from './render/table.js';
import { type OutputFormat, commandOutputs, describeOutputs, documentFormats, outputFormats, parseOutputFlag } from './outputs.js';
import { readFileSync } from 'node:fs';
import type { DocumentFormat } from './render/document.js';
import { type Template, JsonPathError, parseTemplate } from './render/jsonpath.js';
import { type CustomColumn, CustomColumnsError, parseCustomColumns, parseCustomColumnsFile } from './render/custom-columns.js';

export { type OutputFormat, outputFormats } from './outputs.js';

export interface GlobalOptions extends GlobalFlags {
  output?: string;
  /** A named context of the config file (else MICRO_REG_CONTEXT, else its current context). */
  context?: string;
  color?: boolean;
  debug?: boolean;
  /** --no-headers sets it false. */
  headers?: boolean;
  /** -A: short for --layout domain --domain '*'. */
  allDomains?: boolean;
}

/** Reads the file of -o jsonpath-file= / custom-columns-file= (a user's file: a problem is a usage error). */
function readOutputFile(path: string, flag: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the ${flag} file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

const maxPasswordBytes = 64 * 1024;

export class CommandContext {
  readonly output: OutputFormat;
  /** -o jsonpath=…: the parsed template. */
  readonly template: Template | undefined;
  /** -o custom-columns=…: the parsed columns. */
  readonly customColumns: CustomColumn[] | undefined;
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
    const choice = parseOutputFlag(flags.output ?? 'table');
    const output = choice.format as OutputFormat;
    if (!outputFormats.includes(output)) throw new UsageError(`invalid --output "${flags.output}": expected one of ${outputFormats.join(', ')}`);
    this.output = output;
    const argument = choice.file !== undefined ? readOutputFile(choice.file, `-o ${output}-file`) : choice.argument;
    if ((output === 'jsonpath' || output === 'custom-columns') && argument === undefined) {
      throw new UsageError(`-o ${output} takes ${output === 'jsonpath' ? 'a template' : 'columns'}`, output === 'jsonpath' ? `e.g. -o jsonpath='{.[*].name}'` : 'e.g. -o custom-columns=NAME:.name,VERSION:.version');
    }
    try {
      this.template = output === 'jsonpath' ? parseTemplate(argument!) : undefined;
      this.customColumns = output !== 'custom-columns' ? undefined : choice.file !== undefined ? parseCustomColumnsFile(argument!) : parseCustomColumns(argument!);
    } catch (e) {
      if (e instanceof JsonPathError) throw new UsageError(`invalid jsonpath template: ${e.message}`, 'see "Output formats" in the README for the syntax');
      if (e instanceof CustomColumnsError) throw new UsageError(`invalid custom-columns: ${e.message}`, 'e.g. -o custom-columns=NAME:.name,VERSION:.version');
      throw e;
    }
    if (flags.allDomains) {
      if (flags.layout !== undefined && flags.layout !== 'domain') throw new UsageError(`-A (--all-domains) reads the domain layout: it does not go with --layout ${flags.layout}`);
      if (flags.domain !== undefined && flags.domain !== '*') throw new UsageError(`-A (--all-domains) reads every domain: it does not go with --domain ${flags.domain}`);
      flags.layout = 'domain';
      flags.domain = '*';
    }
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
        config.layout !== 'v2' ? import('./registry/v3/client.js') : undefined,
        config.layout === 'v2' || config.layout === 'auto' ? import('./registry/v2/client.js') : undefined,
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
    return { tty: this.io.stdoutIsTTY, paint: this.paintOut, width: this.io.columns(), wide: this.output === 'wide', noHeaders: this.flags.headers === false };
  }

  /** -o json, yaml or jsonpath: the output is the command's JSON document (for programs), not a table. */
  get document(): boolean {
    return documentFormats.includes(this.output);
  }

  private documentFormat(): DocumentFormat {
    return this.output === 'jsonpath' ? { kind: 'jsonpath', template: this.template! } : this.output === 'yaml' ? { kind: 'yaml' } : { kind: 'json' };
  }

  /**
   * The one way data documents are written: -o json, yaml and jsonpath render the same value. `write`
   * prints a command's document (pretty on a terminal); `writeStream` one document of a stream (watch's
   * events, register's records): a compact JSON line (pretty on a terminal when `prettyOnTerminal`), a
   * YAML document after `---`, or the template applied to it. Coloured only for a person at a terminal.
   */
  async documentWriter(): Promise<{ write: (doc: unknown) => void; writeStream: (doc: unknown, prettyOnTerminal: boolean) => void }> {
    const { documentRenderer } = await import('./render/document.js');
    const render = await documentRenderer(this.documentFormat());
    const tty = this.io.stdoutIsTTY;
    const colour = tty && this.paintOut.level > 0 ? this.paintOut : undefined;
    const yaml = this.output === 'yaml';
    return {
      write: (doc) => this.io.stdout.write(render(doc, { pretty: tty, colour })),
      writeStream: (doc, prettyOnTerminal) => {
        const pretty = prettyOnTerminal && tty;
        const text = render(doc, { pretty, colour: pretty || yaml ? colour : undefined });
        this.io.stdout.write(yaml ? `---\n${text}` : text);
      },
    };
  }

  /** The command's document, as -o asks (see documentWriter). */
  async writeDocument(doc: unknown): Promise<void> {
    (await this.documentWriter()).write(doc);
  }

  /** Refuses output formats a command does not have (outputs.ts lists them). */
  requireOutput(command: string): void {
    const allowed = commandOutputs[command] ?? outputFormats;
    if (!allowed.includes(this.output)) {
      throw new UsageError(`${command} does not support -o ${this.output}: use one of ${describeOutputs(allowed).join(', ')}`, `see micro-reg ${command} --help`);
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
