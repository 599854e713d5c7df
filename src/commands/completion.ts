// `micro-reg completion bash|zsh|fish`: a completion script made from the program's own commands and
// options, so that every command (and every option added later) completes without editing a list.
import { Argument, Command, type Option } from 'commander';
import { contextFields } from '../settings/contexts.js';
import { commandOutputs, outputFormats, outputSpellings } from '../outputs.js';
import { type CommandSpec, type CompletionSpec, type OperandCompletion, type OptionSpec, type Shell, type ValueCompletion, renderCompletion, shells } from '../render/completion.js';
import { type Runner, withExamples } from './command.js';

/** The options that choose the etcd and the registry: the script passes them on to `list -o names`. */
export const connectionOptions = ['--endpoints', '--user', '--password', '--cacert', '--cert', '--key', '--insecure-skip-tls-verify', '--layout', '--prefix', '--domain', '--context'];

const layoutWords = ['micro', 'domain', 'legacy', 'v2', 'auto'];

function valueOf(o: Option, path: string): ValueCompletion | undefined {
  if (!o.required && !o.optional) return undefined;
  if (o.argChoices) return { kind: 'words', words: [...o.argChoices] };
  switch (o.long) {
    case '--output':
      // Each command's own formats (outputs.ts), and kubectl's spelling where names is one.
      return { kind: 'words', words: (commandOutputs[path] ?? outputFormats).flatMap((f) => outputSpellings[f] ?? [f]) };
    case '--version':
      return { kind: 'versions' };
    case '--node':
      return { kind: 'nodes' };
    case '--layout':
      return { kind: 'words', words: layoutWords };
    case '--context':
    case '--against-context':
    case '--context-b':
      return { kind: 'contexts' };
    case '--unset':
      return { kind: 'words', words: [...contextFields] };
    case '--cacert':
    case '--cert':
    case '--key':
    case '--file':
      return { kind: 'files' };
    default:
      return { kind: 'free' };
  }
}

function optionSpec(o: Option, path = ''): OptionSpec {
  const spec: OptionSpec = { names: [o.short, o.long].filter((n): n is string => n !== undefined), description: o.description };
  const value = valueOf(o, path);
  if (value !== undefined) spec.value = value;
  return spec;
}

const help: OptionSpec = { names: ['-h', '--help'], description: 'display help' };

function operandOf(cmd: Command): OperandCompletion {
  const first = cmd.registeredArguments[0];
  if (first === undefined) return { kind: 'none' };
  if (first.argChoices) return { kind: 'words', words: [...first.argChoices] };
  if (['service', 'pattern'].includes(first.name())) return { kind: 'services' };
  if (first.name() === 'context') return { kind: 'contexts' };
  return { kind: 'none' };
}

function describeCommand(cmd: Command, parent = ''): CommandSpec {
  const path = parent === '' ? cmd.name() : `${parent} ${cmd.name()}`;
  return {
    name: cmd.name(),
    aliases: cmd.aliases(),
    description: cmd.description().split('\n')[0] ?? '',
    options: [...cmd.options.map((o) => optionSpec(o, path)), help],
    subcommands: cmd.commands.map((c) => describeCommand(c, path)),
    operand: operandOf(cmd),
  };
}

/** What the completion scripts need to know about the program. */
export function describeProgram(program: Command): CompletionSpec {
  return {
    program: program.name(),
    options: [...program.options.map((o) => optionSpec(o)), help],
    // `__complete` is the scripts' own helper, not something to offer.
    commands: program.commands.filter((c) => !c.name().startsWith('__')).map((c) => describeCommand(c)),
    connectionOptions,
  };
}

export function completionCommand(run: Runner): Command {
  const cmd = new Command('completion')
    .addArgument(new Argument('<shell>', 'bash, zsh or fish').choices(shells))
    .action(
      run(async (ctx, shell: Shell) => {
        ctx.io.stdout.write(renderCompletion(shell, describeProgram(cmd.parent ?? cmd)));
      }),
    );
  return withExamples(cmd, [
    'source <(micro-reg completion bash)          # in ~/.bashrc',
    'source <(micro-reg completion zsh)           # in ~/.zshrc, after compinit',
    'micro-reg completion fish > ~/.config/fish/completions/micro-reg.fish',
  ]);
}
