// What every command file shares: how an action gets its CommandContext, and the option helpers.
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';
import { parseWholeNumber } from '../config.js';

/** Wraps a command body: cli.ts supplies the context (and closes it) around each run. */
export type Runner = <A extends unknown[]>(body: (ctx: CommandContext, ...args: A) => Promise<void>) => (...args: unknown[]) => Promise<void>;

/** For repeatable options: `--meta a=1 --meta b=2`. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Examples under a command's --help, as gh and kubectl print them. */
export function withExamples(cmd: Command, examples: readonly string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n`);
}

/** `--revision R`: a whole number, 1 or more (etcd's revisions start at 1). */
export function parseRevision(text: string | undefined, flag = '--revision'): string | undefined {
  return text === undefined ? undefined : String(parseWholeNumber(text.trim(), flag, 1, Number.MAX_SAFE_INTEGER, 'an etcd revision, e.g. 1234'));
}
