// Builds the commander program and is the ONE place where errors become exit codes and `error:` lines.
import { Command, CommanderError, Option } from 'commander';
import type { Runner } from './commands/command.js';
import type { GlobalOptions } from './command-context.js';
import { CliError, ExitCode, UsageError } from './errors.js';
import { type IO, colourEnabled, processIO } from './io.js';
import { commandOutputs, describeOutputs } from './outputs.js';
import { outputFailed } from './signals.js';
import { safeJson, sanitize } from './render/sanitize.js';

export const version = '0.1.0';

/** Global options, on the program and (hidden from their help) on every command, so they go anywhere. */
function globalOptions(): Option[] {
  return [
    new Option('--endpoints <list>', 'etcd endpoints, comma-separated (env MICRO_REGISTRY_ADDRESS, ETCDCTL_ENDPOINTS; default 127.0.0.1:2379)'),
    new Option('--user <user[:password]>', 'etcd user (env ETCD_USERNAME / ETCD_PASSWORD, ETCDCTL_USER)'),
    new Option('--password <password>', 'etcd password (visible to other users of this machine: prefer --password-stdin or ETCD_PASSWORD)'),
    new Option('--password-stdin', 'read the etcd password from standard input'),
    new Option('--cacert <file>', 'CA bundle to verify etcd (env ETCDCTL_CACERT)'),
    new Option('--cert <file>', 'client certificate (env ETCDCTL_CERT)'),
    new Option('--key <file>', 'client key (env ETCDCTL_KEY)'),
    new Option('--insecure-skip-tls-verify', 'do not verify the server certificate'),
    new Option('--timeout <duration>', 'deadline of every etcd request (default 5s)'),
    new Option('--layout <layout>', 'registry layout: micro, domain, legacy, v2, auto (default micro)'),
    new Option('--prefix <prefix>', "override the layout's key prefix"),
    new Option('--domain <domain>', 'micro v3 domain for --layout domain ("*" = all; default micro)'),
    new Option('--context <name>', 'use this context of the config file (env MICRO_REG_CONTEXT; see micro-reg config)'),
    new Option('-o, --output <format>', 'output: table, wide, json, names, yaml, jsonpath=TEMPLATE, custom-columns=SPEC (default table; each command says which it takes)'),
    new Option('--no-headers', 'tables without their heading line'),
    new Option('-A, --all-domains', "every micro v3 domain: short for --layout domain --domain '*'"),
    new Option('--strict', 'exit 6 on a malformed record instead of skipping it'),
    new Option('--no-color', 'no colour (also NO_COLOR)'),
    new Option('--debug', 'print stack traces of errors'),
  ];
}

/**
 * Gives a command (and its subcommands, e.g. `config set-context`) the hidden global options, except
 * those it defines itself, and routes its output and errors like the program's.
 */
function withGlobalOptions(cmd: Command, io: IO): void {
  const own = new Set(cmd.options.map((o) => o.long));
  for (const o of globalOptions()) if (!own.has(o.long)) cmd.addOption(o.hideHelp());
  cmd.addHelpText('after', '\nGlobal options (--endpoints, --user, TLS, --timeout, --layout, --context, -o …): see micro-reg --help.');
  // commander writes to writeErr only the help it shows as an error (`micro-reg config` without a
  // subcommand): main() reports that as one `error:` line instead.
  cmd.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: () => undefined, outputError: () => undefined });
  for (const sub of cmd.commands) withGlobalOptions(sub, io);
}

/** Says under a command's help which `-o` values it takes (outputs.ts), for it and its subcommands. */
function withOutputHelp(cmd: Command, path: string): void {
  const formats = commandOutputs[path];
  if (formats !== undefined) cmd.addHelpText('after', `Output (-o): ${describeOutputs(formats).join(', ')}${formats.includes('names') ? ' (or name)' : ''}.`);
  for (const sub of cmd.commands) withOutputHelp(sub, `${path} ${sub.name()}`);
}

/**
 * The root help with the commands first: they are what a newcomer looks for, before twenty options.
 * commander's sections are blank-line separated; "Commands:" moves before "Options:".
 */
function commandsFirst(help: string): string {
  const sections = help.split(/\n\n(?=[A-Z][A-Za-z ]*:\n)/);
  const options = sections.findIndex((x) => x.startsWith('Options:'));
  const commands = sections.findIndex((x) => x.startsWith('Commands:'));
  if (options < 0 || commands < 0 || commands < options) return help;
  const [cmds] = sections.splice(commands, 1);
  sections.splice(options, 0, cmds!.replace(/\n+$/, ''));
  return `${sections.join('\n\n').replace(/\n*$/, '')}\n`;
}

interface CommandSpec {
  name: string;
  aliases?: string[];
  summary: string;
  /** Left out of the help (the completion scripts' own interface). */
  hidden?: boolean;
  load(): Promise<(run: Runner) => Command>;
}

/**
 * Every command, with what the program's help says of it. A run loads only the module of the command
 * it names (all of them for `help` and `completion`): `--help` and a `list` in a CI loop do not pay
 * for the other commands' code.
 */
const commandSpecs: readonly CommandSpec[] = [
  { name: 'list', aliases: ['ls'], summary: 'list registered services, one row per name and version', load: async () => (await import('./commands/list.js')).listCommand },
  { name: 'get', summary: 'show a service: its versions, nodes with lease TTLs, endpoints', load: async () => (await import('./commands/get.js')).getCommand },
  { name: 'watch', summary: 'stream registry changes live; nothing lost across reconnects', load: async () => (await import('./commands/watch.js')).watchCommand },
  { name: 'wait', summary: 'wait until a service has N nodes registered, or none (--gone)', load: async () => (await import('./commands/wait.js')).waitCommand },
  { name: 'register', summary: 'register nodes as go-micro does, on a lease', load: async () => (await import('./commands/register.js')).registerCommand },
  { name: 'deregister', summary: 'remove nodes: only those shown, never one re-registered since', load: async () => (await import('./commands/deregister.js')).deregisterCommand },
  { name: 'check', summary: 'probe every node over TCP; --prune removes the unreachable ones', load: async () => (await import('./commands/check.js')).checkCommand },
  { name: 'export', summary: 'print the registry as a snapshot document (JSON or YAML), optionally at a past revision', load: async () => (await import('./commands/export.js')).exportCommand },
  { name: 'diff', summary: 'compare two registries node by node: live, a file, a past revision, another context', load: async () => (await import('./commands/diff.js')).diffCommand },
  { name: 'apply', summary: 'make the registry match a file: create, update, --prune; idempotent', load: async () => (await import('./commands/apply.js')).applyCommand },
  { name: 'config', summary: 'manage named contexts (endpoints, credentials, TLS, layout)', load: async () => (await import('./commands/config.js')).configCommand },
  { name: 'completion', summary: 'print a bash, zsh or fish completion script', load: async () => (await import('./commands/completion.js')).completionCommand },
  { name: '__complete', summary: 'print versions or node ids of a service for the completion scripts', hidden: true, load: async () => (await import('./commands/complete-values.js')).completeValuesCommand },
  { name: 'version', summary: 'print the micro-reg version (-o json: with the Node and etcd3 versions)', load: async () => (await import('./commands/version.js')).versionCommand(version) },
];

/** The command the arguments name: the first word that is neither an option nor an option's value. */
function invokedCommand(argv: readonly string[]): string | undefined {
  const takesValue = new Set(globalOptions().flatMap((o) => (o.required || o.optional ? [o.long, o.short] : [])).filter((f): f is string => f !== undefined));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    // `micro-reg -- list`: options end there, and commander runs the word after `--` as the command.
    if (a === '--') return argv[i + 1];
    if (!a.startsWith('-')) return a;
    if (!a.includes('=') && takesValue.has(a)) i++;
  }
  return undefined;
}

/** Without a command commander prints the help to stderr; main() decides whether to show it (see noCommand). */
interface HelpBuffer {
  text: string;
}

async function buildProgram(io: IO, run: Runner, argv: readonly string[], helpWithoutCommand: HelpBuffer): Promise<Command> {
  const program = new Command('micro-reg')
    .description('Inspect and manage the Go Micro service registry in etcd.')
    .version(version, '-V, --version', 'print the micro-reg version')
    // Program options go before the command; every command carries its own copy of them.
    .enablePositionalOptions()
    .showHelpAfterError(false)
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => (helpWithoutCommand.text += s), outputError: () => undefined })
    .exitOverride();
  for (const o of globalOptions()) program.addOption(o);
  const defaultFormat = program.createHelp().formatHelp.bind(program.createHelp());
  program.configureHelp({ formatHelp: (cmd, helper) => (cmd === program ? commandsFirst(defaultFormat(cmd, helper)) : defaultFormat(cmd, helper)) });
  const invoked = invokedCommand(argv);
  const loadAll = invoked === 'help' || invoked === 'completion';
  for (const spec of commandSpecs) {
    const wanted = loadAll || invoked === spec.name || (spec.aliases ?? []).includes(invoked ?? '');
    // Commands not run here are listed in the help by name and summary only.
    // A stub never runs; should commander still reach one, it must not call process.exit.
    const cmd = wanted ? (await spec.load())(run) : new Command(spec.name).exitOverride();
    cmd.description(spec.summary).aliases(spec.aliases ?? []);
    if (wanted) {
      withOutputHelp(cmd, spec.name);
      withGlobalOptions(cmd, io);
    }
    program.addCommand(cmd, { hidden: spec.hidden ?? false });
  }
  program.addHelpText(
    'after',
    `
Examples:
  micro-reg list
  micro-reg get go.micro.srv.greeter -o json
  MICRO_REGISTRY_ADDRESS=etcd-0:2379 micro-reg list --layout auto -o wide

Exit codes: 0 ok, 1 internal error, 2 usage, 3 not found, 4 etcd unreachable, 5 auth refused,
6 malformed record (--strict), 7 wait timed out, 8 unreachable nodes, 9 differences (diff),
10 output could not be written, 11 held by another writer, 130 cancelled.`,
  );
  return program;
}

/**
 * The options of a command and its parents, given anywhere: where one is given twice, the one nearest the
 * command wins (`micro-reg --prefix /a/ list --prefix /b/` reads /b/). commander's optsWithGlobals lets
 * the program's win, and would let a command's default (`--no-color` defaults `color` to true) hide a
 * value the program was given.
 */
function mergedOptions(cmd: Command): GlobalOptions {
  const chain: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) chain.unshift(c);
  const out: Record<string, unknown> = {};
  for (const c of chain) {
    for (const [key, value] of Object.entries(c.opts())) {
      if (c.getOptionValueSource(key) !== 'default' || !(key in out)) out[key] = value;
    }
  }
  return out as GlobalOptions;
}

/** `-o json` decides the error format too; commander may fail before it has parsed it. */
function wantsJson(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '-o' || a === '--output') && argv[i + 1] === 'json') return true;
    if (a === '-ojson' || a === '--output=json') return true;
  }
  return false;
}

/** `micro-reg get` when a command was named (its help is what helps), else `micro-reg`. */
function helpCommand(argv: readonly string[]): string {
  const named = invokedCommand(argv);
  const spec = commandSpecs.find((c) => c.name === named || (c.aliases ?? []).includes(named ?? ''));
  return spec ? `micro-reg ${spec.name}` : 'micro-reg';
}

/**
 * An unknown option after a command: commander suggests only among the command's visible options, and
 * the global ones are hidden there. Ask the program, which shows them, for its "Did you mean".
 */
function withRootSuggestion(err: CommanderError, program: Command | undefined): CommanderError {
  if (err.code !== 'commander.unknownOption' || /Did you mean/.test(err.message) || program === undefined) return err;
  const flag = /'([^']+)'/.exec(err.message)?.[1];
  const root = program as unknown as { unknownOption?: (flag: string) => never };
  if (flag === undefined || typeof root.unknownOption !== 'function') return err;
  try {
    root.unknownOption.call(program, flag);
  } catch (rootErr) {
    if (rootErr instanceof CommanderError && /Did you mean/.test(rootErr.message)) return rootErr;
  }
  return err;
}

function report(err: unknown, io: IO, argv: readonly string[], debug: boolean): number {
  let exitCode: number = ExitCode.internal;
  let message: string;
  let hint: string | undefined;
  let code = 'internal';
  // A result told by the exit code alone (diff's 9: the differences are already on stdout).
  if (err instanceof CliError && (err as { quiet?: boolean }).quiet === true) return err.exitCode;
  if (err instanceof CliError) {
    exitCode = err.exitCode;
    message = err.message;
    hint = err.hint;
    code = err.codeName;
  } else if (err instanceof CommanderError) {
    exitCode = ExitCode.usage;
    message = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ');
    code = 'usage';
    hint = `see ${helpCommand(argv)} --help`;
  } else {
    message = err instanceof Error ? err.message : String(err);
    hint = debug ? undefined : 'this is a bug in micro-reg; run again with --debug for the stack trace';
  }
  if (wantsJson(argv)) {
    io.stderr.write(`${safeJson(JSON.stringify({ error: { code, exitCode, message, ...(hint ? { hint } : {}) } }))}\n`);
  } else {
    const paint = colourEnabled(io.stderrIsTTY, io.env, argv.includes('--no-color') ? false : undefined);
    // Messages quote names, ids, keys and hints (did you mean …) that came from etcd: one sanitiser, escapes dim.
    const safe = (text: string): string => sanitize(text, paint ? (e) => `\x1b[2m${e}\x1b[22m` : undefined);
    io.stderr.write(`${paint ? '\x1b[31merror:\x1b[39m' : 'error:'} ${safe(message)}\n`);
    if (hint) io.stderr.write(`hint: ${safe(hint)}\n`);
  }
  const safeLines = (text: string): string => text.split('\n').map((line) => sanitize(line)).join('\n');
  if (debug && err instanceof Error && err.stack) io.stderr.write(`${safeLines(err.stack)}\n`);
  // A mapped error keeps the transport's own words (gRPC's timing breakdown, status codes): --debug shows them.
  if (debug && err instanceof Error && err.cause !== undefined) io.stderr.write(`cause: ${safeLines(err.cause instanceof Error ? (err.cause.stack ?? err.cause.message) : String(err.cause))}\n`);
  return exitCode;
}

/**
 * Options but no command (`micro-reg --timeout list`): commander took the command as an option's value
 * and would print the help with exit 0, hiding the mistake. Say what happened instead.
 */
function noCommand(program: Command, argv: readonly string[]): UsageError {
  const consumed = commandTakenAsValue(program, argv);
  if (consumed) return new UsageError(`no command given: ${consumed.what}`, consumed.hint);
  // A command that is only a group of subcommands (`config`), named without one.
  const group = program.commands.find((c) => c.commands.length > 0 && argv.includes(c.name()));
  if (group) {
    const subcommands = group.commands.map((c) => c.name()).filter((n) => n !== 'help');
    return new UsageError(`${group.name()} needs a subcommand: ${subcommands.join(', ')}`, `see micro-reg ${group.name()} --help`);
  }
  return new UsageError('no command given', 'see micro-reg --help');
}

/** A command name right after an option that takes a value: commander took it as that value. */
function commandTakenAsValue(program: Command, argv: readonly string[]): { what: string; hint: string } | undefined {
  const names = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
  const i = argv.findIndex((a) => names.has(a));
  if (i <= 0) return undefined;
  const option = argv[i - 1]!;
  // Only an option that takes a value can have taken the command (not `--debug list --bogus`).
  if (!program.options.some((o) => (o.long === option || o.short === option) && (o.required || o.optional))) return undefined;
  return { what: `"${argv[i]}" was taken as the value of ${option}`, hint: `give ${option} a value, e.g. micro-reg ${option} VALUE ${argv[i]}` };
}

/** Runs micro-reg with the given arguments and returns its exit code. Never calls process.exit. */
export async function main(argv: readonly string[], io: IO = processIO()): Promise<number> {
  const debug = argv.includes('--debug');
  let commandRan = false;
  const run: Runner =
    (body) =>
    async (...args) => {
      commandRan = true;
      const cmd = args[args.length - 1] as Command;
      const { CommandContext } = await import('./command-context.js');
      const ctx = new CommandContext(io, mergedOptions(cmd));
      try {
        // Commands that never log in to etcd (they may take a --user of their own) are not asked for a password.
        let top = cmd;
        while (top.parent && top.parent.parent) top = top.parent;
        await ctx.readSecrets(!['config', 'completion', 'version'].includes(top.name()));
        await body(ctx, ...(args.slice(0, -1) as never));
      } finally {
        ctx.close();
      }
    };
  const helpWithoutCommand: HelpBuffer = { text: '' };
  let program: Command | undefined;
  try {
    program = await buildProgram(io, run, argv, helpWithoutCommand);
    await program.parseAsync([...argv], { from: 'user' });
    // Output that did not reach its file (ENOSPC, EIO) is a failure, not a success with nothing written.
    await io.flushStdout?.();
    const failure = io.stdoutFailure?.();
    if (failure) return report(outputFailed(failure), io, argv, debug);
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError && err.code === 'commander.help' && err.exitCode !== 0 && !commandRan) {
      // `micro-reg` alone shows the help; options without a command are a mistake to point out.
      if (argv.length > 0) return report(noCommand(program!, argv), io, argv, debug);
      io.stderr.write(helpWithoutCommand.text);
      return ExitCode.ok;
    }
    if (err instanceof CommanderError && (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')) {
      return ExitCode.ok;
    }
    if (err instanceof CommanderError && err.code === 'commander.executeSubCommandAsync') return err.exitCode;
    // `micro-reg --timeout register --name x`: commander took `register` as the value and then finds `--name` unknown.
    if (err instanceof CommanderError && (err.code === 'commander.unknownCommand' || err.code === 'commander.unknownOption')) {
      const consumed = program && commandTakenAsValue(program, argv);
      if (consumed) return report(new UsageError(`${err.message.replace(/^error: /, '').replace(/\.?\s*$/, '')}: ${consumed.what}`, consumed.hint), io, argv, debug);
    }
    return report(err instanceof CommanderError ? withRootSuggestion(err, program) : err, io, argv, debug);
  }
}
