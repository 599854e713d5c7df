// `micro-reg diff`: compares two registries node by node. Sources, any two of: the live registry (the
// default), a file (-f, a snapshot or a list of services), another context, this registry at a past
// revision. Exit 9 when they differ.
import { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { DifferencesFoundError, UsageError } from '../errors.js';
import { startSpinner } from '../io.js';
import { matchesSelectors, nameMatcher, parseSelectors } from '../registry/match.js';
import type { Registry } from '../registry/registry.js';
import { type Comparable, type DiffOptions, diffRegistries, summarise } from '../registry/compare.js';
import { desiredRecords, snapshotNodeRecords } from '../registry/snapshot.js';
import { describeSummary, renderDiff } from '../render/diff.js';
import { sanitize } from '../render/sanitize.js';
import { type Runner, collect, parseRevision, withExamples } from './command.js';
import { readStateFile } from './state-file.js';

interface DiffCommandOptions {
  file?: string[];
  revision?: string;
  againstContext?: string;
  contextB?: string;
  selector?: string[];
  ignoreMetadata?: string[];
  ignoreEndpoints?: boolean;
  ignoreTtl?: boolean;
}

/** One side of the comparison. */
interface Side {
  label: string;
  records: Comparable[];
  /** A hand-written list of services speaks for the services it names only: the other side is narrowed to them. */
  names?: Set<string>;
}

/** Where each side comes from, in the order they are compared: the first is `---`, the second `+++`. */
type SourceSpec = { kind: 'file'; path: string } | { kind: 'revision'; revision: string } | { kind: 'live' } | { kind: 'context'; name: string };

/**
 * The two sources, in a fixed order: files, then this registry at --revision, then this registry live,
 * then the other context. So `diff --revision R` reads "what changed since R", `diff -f snapshot.json`
 * "what changed since the snapshot", `diff --against-context prod` "what prod has that this one has not".
 */
export function diffSources(opts: Pick<DiffCommandOptions, 'file' | 'revision' | 'againstContext' | 'contextB'>): [SourceSpec, SourceSpec] {
  const other = opts.againstContext ?? opts.contextB;
  if (opts.againstContext !== undefined && opts.contextB !== undefined && opts.againstContext !== opts.contextB) {
    throw new UsageError('--against-context and --context-b name the same thing: give one');
  }
  const files = opts.file ?? [];
  const count = files.length + (opts.revision !== undefined ? 1 : 0) + (other !== undefined ? 1 : 0);
  if (count > 2) throw new UsageError('diff compares two registries: give at most two of -f FILE (up to twice), --revision R, --against-context NAME');
  if (count === 0) throw new UsageError('nothing to compare the live registry with', 'give -f FILE (a snapshot from micro-reg export), --revision R or --against-context NAME');
  const given: SourceSpec[] = files.map((path): SourceSpec => ({ kind: 'file', path }));
  if (opts.revision !== undefined) given.push({ kind: 'revision', revision: opts.revision });
  // One source given: the other is this registry, live.
  if (count === 1) given.push({ kind: 'live' });
  if (other !== undefined) given.push({ kind: 'context', name: other });
  return [given[0]!, given[1]!];
}

async function readRegistry(ctx: CommandContext, registry: Registry, label: string, revision?: string): Promise<Side> {
  const result = await registry.read(undefined, revision !== undefined ? { revision } : {});
  ctx.reportMalformed(result.malformed);
  const at = revision ?? (result.revision !== '0' ? result.revision : undefined);
  return { label: at === undefined ? label : `${label} at revision ${at}`, records: result.records };
}

async function loadSide(ctx: CommandContext, spec: SourceSpec): Promise<Side> {
  switch (spec.kind) {
    case 'file': {
      const state = await readStateFile(ctx, spec.path);
      const label = spec.path === '-' ? 'standard input' : spec.path;
      if (state.kind === 'snapshot') return { label, records: snapshotNodeRecords(state.snapshot) };
      // Services by hand: as apply would write them into this run's registry (layout, prefix, domain).
      const { layout, prefix, domain } = ctx.config;
      const records = desiredRecords(state, { layout, ...(prefix !== undefined ? { prefix } : {}), ...(domain !== undefined ? { domain } : {}) }, label);
      return { label, records, names: new Set(state.services.map((s) => s.name)) };
    }
    case 'revision':
      return readRegistry(ctx, await ctx.registry(), 'the registry', spec.revision);
    case 'live':
      return readRegistry(ctx, await ctx.registry(), 'the registry');
    case 'context':
      return readRegistry(ctx, await ctx.contextRegistry(spec.name), `context ${spec.name}`);
  }
}

export function diffCommand(run: Runner): Command {
  const cmd = new Command('diff')
    .argument('[pattern]', 'compare only services whose name matches this glob')
    .option('-f, --file <file>', 'a snapshot (micro-reg export) or a list of services, JSON or YAML; - for stdin (up to twice)', collect)
    .option('--revision <rev>', 'this registry as it was at an etcd revision')
    .option('--against-context <name>', 'the registry of another context, e.g. staging vs production')
    .option('--context-b <name>', 'the same as --against-context')
    .option('-l, --selector <key=value>', 'only nodes whose metadata has key=value (repeatable)', collect)
    .option('--ignore-metadata <key>', 'leave this metadata key out of the comparison (repeatable)', collect)
    .option('--ignore-endpoints', 'leave endpoints out of the comparison')
    .option('--ignore-ttl', 'leases and TTLs are not compared (always so)')
    .action(
      run(async (ctx, pattern: string | undefined, opts: DiffCommandOptions) => {
        ctx.requireOutput('diff');
        const revision = parseRevision(opts.revision);
        const selectors = parseSelectors(opts.selector);
        const matchName = await nameMatcher(pattern === undefined ? [] : [pattern]);
        const [fromSpec, toSpec] = diffSources({ ...opts, ...(revision !== undefined ? { revision } : {}) });
        const stop = startSpinner(ctx.io, 'reading…');
        let from: Side;
        let to: Side;
        try {
          [from, to] = await Promise.all([loadSide(ctx, fromSpec), loadSide(ctx, toSpec)]);
        } finally {
          stop();
        }
        const names = from.names ?? to.names;
        const keep = (r: Comparable): boolean => matchName(r.service.name) && (names === undefined || names.has(r.service.name)) && matchesSelectors(r as Parameters<typeof matchesSelectors>[0], selectors);
        const diffOpts: DiffOptions = { ...(opts.ignoreMetadata ? { ignoreMetadata: opts.ignoreMetadata } : {}), ...(opts.ignoreEndpoints ? { ignoreEndpoints: true } : {}) };
        const changes = diffRegistries(from.records.filter(keep), to.records.filter(keep), diffOpts);
        if (ctx.document) await ctx.writeDocument(changes);
        else if (changes.length > 0) ctx.io.stdout.write(renderDiff(changes, { from: from.label, to: to.label }, ctx.style()));
        const summary = describeSummary(summarise(changes), changes.length);
        if (!ctx.document) ctx.info(changes.length === 0 ? `no differences between ${sanitize(from.label)} and ${sanitize(to.label)}` : summary);
        if (changes.length > 0) throw new DifferencesFoundError(summary);
      }),
    );
  return withExamples(cmd, [
    'micro-reg diff -f before-deploy.json',
    'micro-reg diff --revision 1234 -o json',
    'micro-reg --context staging diff --against-context production',
  ]);
}
