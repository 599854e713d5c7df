// `micro-reg config get-contexts | current-context | use-context | set-context | delete-context`:
// named contexts in the config file, in kubectl's manner.
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { type ContextSettings, type GlobalFlags, resolveRegistryConfig } from '../settings/config.js';
import { defaultConfigFilePath, loadConfigFile, saveConfigFile, withConfigFileLock } from '../settings/config-file.js';
import type { CommandContext } from '../command-context.js';
import { type ConfigFile, type ContextField, checkContextName, contextFields, contextViews, deleteContext, emptyConfigFile, setContext, useContext } from '../settings/contexts.js';
import { CliError, NotFoundError, UsageError } from '../errors.js';
import { renderContextNames, renderContexts } from '../render/contexts.js';
import { type Runner, collect, withExamples } from './command.js';
import { sanitize } from '../render/sanitize.js';

function load(ctx: CommandContext): { path: string; file: ConfigFile } {
  const loaded = loadConfigFile(ctx.io.env);
  if (loaded.warning !== undefined) ctx.warn(loaded.warning);
  return { path: loaded.path, file: loaded.file ?? emptyConfigFile() };
}

type SetContextOptions = Omit<GlobalFlags, 'strict'> & { unset?: string[] };

/** The fields set-context was given; TLS file paths are made absolute, so the context works from anywhere. */
function changesFrom(opts: SetContextOptions): ContextSettings {
  const changes: ContextSettings = {};
  if (opts.endpoints !== undefined) {
    changes.endpoints = opts.endpoints
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
  }
  if (opts.user !== undefined) {
    const i = opts.user.indexOf(':');
    changes.user = i < 0 ? opts.user : opts.user.slice(0, i);
    // A context with an empty user would silently drop its password when used.
    if (changes.user.trim() === '') throw new UsageError('invalid --user: the user name is empty');
    if (i >= 0) changes.password = opts.user.slice(i + 1);
  }
  if (opts.password !== undefined) changes.password = opts.password;
  for (const file of ['cacert', 'cert', 'key'] as const) if (opts[file] !== undefined) changes[file] = resolve(opts[file]);
  if (opts.insecureSkipTlsVerify !== undefined) changes.insecureSkipTlsVerify = opts.insecureSkipTlsVerify;
  for (const field of ['timeout', 'layout', 'prefix', 'domain'] as const) if (opts[field] !== undefined) changes[field] = opts[field];
  return changes;
}

function parseUnset(specs: readonly string[] | undefined): ContextField[] {
  return (specs ?? []).map((spec) => {
    const field = contextFields.find((f) => f.toLowerCase() === spec.replaceAll('-', '').toLowerCase());
    if (field === undefined) throw new UsageError(`invalid --unset "${spec}": expected one of ${contextFields.join(', ')}`);
    return field;
  });
}

/** Refuses a context that could never connect: bad endpoints, layout, timeout, a cert without its key. */
function validate(name: string, settings: ContextSettings): void {
  try {
    // A user without a stored password is fine: the password may come from ETCD_PASSWORD when it is used.
    resolveRegistryConfig({}, { ETCD_PASSWORD: settings.password ?? 'unchecked' }, settings);
  } catch (e) {
    if (e instanceof CliError) throw new UsageError(`context "${name}": ${e.message}`, e.hint);
    throw e;
  }
}

export function configCommand(run: Runner): Command {
  const config = new Command('config')
    // Options after a subcommand belong to it: set-context has its own --endpoints, --user …
    .enablePositionalOptions();

  const getContexts = new Command('get-contexts')
    .description('list the contexts; * marks the current one (passwords are masked)')
    .action(
      run(async (ctx) => {
        ctx.requireOutput('config get-contexts');
        const { path, file } = load(ctx);
        const views = contextViews(file);
        if (ctx.document) await ctx.writeDocument(views);
        else if (ctx.output === 'names') ctx.io.stdout.write(renderContextNames(views));
        else if (views.length > 0) ctx.io.stdout.write(renderContexts(views, ctx.style()));
        else if (ctx.io.stderrIsTTY) ctx.info(`No contexts in ${path}: create one with micro-reg config set-context NAME --endpoints HOST:PORT`);
      }),
    );
  withExamples(getContexts, ['micro-reg config get-contexts', 'micro-reg config get-contexts -o json']);

  const currentContext = new Command('current-context').description("print the current context's name").action(
    run(async (ctx) => {
      const { path, file } = load(ctx);
      if (file.currentContext === undefined) throw new NotFoundError(`no current context is set in ${path}`, 'choose one with micro-reg config use-context NAME');
      ctx.io.stdout.write(`${sanitize(file.currentContext)}\n`);
    }),
  );
  withExamples(currentContext, ['micro-reg config current-context', 'micro-reg --context staging list   # one command in another context']);

  const use = new Command('use-context')
    .description('make a context the current one: every later command uses it')
    .argument('<context>', 'context name')
    .action(
      run(async (ctx, name: string) => {
        const path = await withConfigFileLock(defaultConfigFilePath(ctx.io.env), () => {
          const { path, file } = load(ctx);
          saveConfigFile(path, useContext(file, name));
          return path;
        });
        ctx.info(`Switched to context "${name}".`);
      }),
    );
  withExamples(use, ['micro-reg config use-context prod', 'MICRO_REG_CONTEXT=staging micro-reg list   # without switching']);

  const set = new Command('set-context')
    .description('create a context, or change the given fields of an existing one')
    .argument('<context>', 'context name')
    .option('--endpoints <list>', 'etcd endpoints, comma-separated')
    .option('--user <user[:password]>', 'etcd user (and password)')
    .option('--password <password>', 'etcd password (stored in the file, which is written with mode 0600)')
    .option('--cacert <file>', 'CA bundle to verify etcd')
    .option('--cert <file>', 'client certificate')
    .option('--key <file>', 'client key')
    .addOption(new Option('--insecure-skip-tls-verify', 'do not verify the server certificate'))
    .option('--timeout <duration>', 'deadline of every etcd request')
    .option('--layout <layout>', 'registry layout: micro, domain, legacy, v2, auto')
    .option('--prefix <prefix>', "override the layout's key prefix")
    .option('--domain <domain>', 'micro v3 domain for --layout domain')
    .option('--unset <field>', `remove a field (repeatable): ${contextFields.join(', ')}`, collect)
    .action(
      run(async (ctx, name: string, opts: SetContextOptions) => {
        checkContextName(name);
        const changes = changesFrom(opts);
        const unset = parseUnset(opts.unset);
        const { path, result } = await withConfigFileLock(defaultConfigFilePath(ctx.io.env), () => {
          const { path, file } = load(ctx);
          const result = setContext(file, name, changes, unset);
          validate(name, result.file.contexts[name]!);
          saveConfigFile(path, result.file);
          return { path, result };
        });
        ctx.info(`Context "${name}" ${result.created ? 'created' : 'modified'} in ${path}.`);
      }),
    );
  withExamples(set, [
    'micro-reg config set-context prod --endpoints https://etcd-0:2379,https://etcd-1:2379 --cacert ca.pem',
    'micro-reg config set-context dev --endpoints 127.0.0.1:2379 --layout domain --domain dev',
    'micro-reg config set-context prod --user ops --unset cert --unset key',
  ]);

  const del = new Command('delete-context')
    .description('remove a context from the config file')
    .argument('<context>', 'context name')
    .action(
      run(async (ctx, name: string) => {
        const { path, result } = await withConfigFileLock(defaultConfigFilePath(ctx.io.env), () => {
          const { path, file } = load(ctx);
          const result = deleteContext(file, name);
          saveConfigFile(path, result.file);
          return { path, result };
        });
        if (result.wasCurrent) ctx.warn(`this removed the current context; choose another with micro-reg config use-context NAME`);
        ctx.info(`Deleted context "${name}" from ${path}.`);
      }),
    );
  withExamples(del, ['micro-reg config delete-context old-staging', 'micro-reg config get-contexts -o names | grep tmp- | xargs -n1 micro-reg config delete-context']);

  for (const sub of [getContexts, currentContext, use, set, del]) config.addCommand(sub);
  return withExamples(config, [
    'micro-reg config set-context prod --endpoints https://etcd-0:2379 --cacert ca.pem',
    'micro-reg config use-context prod',
    'micro-reg config get-contexts',
  ]);
}
