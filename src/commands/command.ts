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

/** What --show-revision prints: the etcd revision a read saw, and the v2 store's index when it read the v2 layout. */
export function describeReadRevision(read: { revision: string; v2Index?: number }): string {
  const parts = read.revision !== '0' || read.v2Index === undefined ? [`revision: ${read.revision}`] : [];
  if (read.v2Index !== undefined) parts.push(`v2 index: ${read.v2Index}`);
  return parts.join('\n');
}

/** `--revision R`: a whole number, 1 or more (etcd's revisions start at 1). */
export function parseRevision(text: string | undefined, flag = '--revision'): string | undefined {
  return text === undefined ? undefined : String(parseWholeNumber(text.trim(), flag, 1, Number.MAX_SAFE_INTEGER, 'an etcd revision, e.g. 1234'));
}
