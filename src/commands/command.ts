// What every command file shares: how an action gets its CommandContext, and the option helpers.
import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { parseWholeNumber } from '../settings/config.js';
import { NotFoundError, ServiceNotFoundError, UsageError } from '../errors.js';
import { isGlob, nameMatcher } from '../registry/match.js';
import type { MalformedRecord } from '../registry/model.js';
import type { ReadOptions, ReadResult, Registry } from '../registry/registry.js';

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

/** `--sort-by PATH` applied to a command's items, by each one's JSON document; no flag: as they are. */
export async function sortedBy<T>(sortBy: string | undefined, items: readonly T[], docOf: (item: T) => unknown): Promise<T[]> {
  if (sortBy === undefined) return [...items];
  const { SortByError, parseSortBy, sortByPath } = await import('../render/sort-by.js');
  try {
    return sortByPath(items, docOf, parseSortBy(sortBy));
  } catch (e) {
    if (e instanceof SortByError) throw new UsageError(e.message, 'e.g. --sort-by .version, --sort-by .nodes.length');
    throw e;
  }
}

export const sortByHelp = 'order by a JSONPath of each item of -o json, e.g. .version, .nodes.length';

/**
 * Several names (`get a b c`): each read on its own; those with no service are collected rather than
 * ending the run, so the others are still printed. Other errors end it.
 */
export async function readEach<T>(names: readonly string[], readOne: (name: string) => Promise<T>): Promise<{ found: T[]; missing: string[] }> {
  const found: T[] = [];
  const missing: string[] = [];
  for (const name of names) {
    try {
      found.push(await readOne(name));
    } catch (e) {
      if (!(e instanceof ServiceNotFoundError) || names.length === 1) throw e;
      missing.push(name);
    }
  }
  return { found, missing };
}

/** After printing what was found: exit 3 naming what was not (`names` the missing ones). */
export function throwIfMissing(missing: readonly string[], what = 'service'): void {
  if (missing.length === 0) return;
  throw new NotFoundError(`${what}${missing.length === 1 ? '' : 's'} not found: ${missing.join(', ')}`, 'the others were printed; run micro-reg list to see what is registered');
}

/**
 * Reads one named service (exit 3 through ServiceNotFoundError when it has none) or, for a glob, the
 * services it matches in one read of the whole registry, made once and only if a glob is given. The
 * malformed records of that read are reported once (`globMalformed`), as list reports them.
 */
export function serviceReader(registry: Registry, opts: ReadOptions): { read: (name: string) => Promise<ReadResult>; globMalformed: () => Promise<MalformedRecord[]> } {
  let everything: Promise<ReadResult> | undefined;
  return {
    read: async (name) => {
      if (!isGlob(name)) return registry.readService(name, opts);
      everything ??= registry.read(undefined, opts);
      const [all, matches] = await Promise.all([everything, nameMatcher([name])]);
      const records = all.records.filter((r) => matches(r.service.name));
      if (records.length === 0) throw new ServiceNotFoundError(name, 'no service matches it; run micro-reg list to see what is registered');
      return { ...all, records, malformed: [] };
    },
    globMalformed: async () => (everything === undefined ? [] : (await everything).malformed),
  };
}
