// `micro-reg deregister <service>`: removes chosen nodes of a service, deleting only the records it
// showed: one transaction compares each key's mod revision with what was read, so a node that
// re-registered in between is kept and reported.
import { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { CancelledError, NotFoundError, UsageError } from '../errors.js';
import { startSpinner } from '../io.js';
import { canPrompt, loadPrompts } from '../prompts.js';
import { keySegment } from '../registry/keys.js';
import type { NodeRecord } from '../registry/model.js';
import type { Registry } from '../registry/registry.js';
import type { RemovalOutcome } from '../registry/store.js';
import { recordStore } from '../registry/store-for-layout.js';
import { compareVersions } from '../registry/versions.js';
import { nodeChoiceLabel, removalJson, renderNodeRecords } from '../render/registration.js';
import { sanitize } from '../render/sanitize.js';
import type { Style } from '../render/table.js';
import { type Runner, collect, readEach, throwIfMissing, withExamples } from './command.js';

export interface DeregisterOptions {
  node?: string[];
  version?: string;
  all?: boolean;
  yes?: boolean;
  dryRun?: boolean;
}

export interface Selection {
  records: NodeRecord[];
  /** --node ids that matched no node. */
  unknownIds: string[];
}

/**
 * Pure: the records of one service that --node / --version pick (all of them when neither is given).
 * Throws NotFoundError when the version or every node id is unknown.
 */
export function selectNodes(service: string, records: readonly NodeRecord[], opts: Pick<DeregisterOptions, 'node' | 'version'>): Selection {
  let picked = [...records];
  if (opts.version !== undefined) {
    picked = picked.filter((r) => r.service.version === opts.version);
    if (picked.length === 0) {
      const versions = [...new Set(records.map((r) => r.service.version))].sort(compareVersions);
      throw new NotFoundError(`service ${service} has no version ${opts.version}`, `its versions: ${versions.join(', ')}`);
    }
  }
  const unknownIds: string[] = [];
  if (opts.node !== undefined) {
    const ids = new Set(opts.node);
    const byId = picked.filter((r) => nodeNames(r).some((n) => ids.has(n)));
    for (const id of ids) if (!byId.some((r) => nodeNames(r).includes(id))) unknownIds.push(id);
    if (byId.length === 0) {
      const known = picked.map((r) => r.service.nodes[0]!.id).sort();
      throw new NotFoundError(`service ${service} has no node ${opts.node.join(', ')}${opts.version !== undefined ? ` in version ${opts.version}` : ''}`, `its nodes: ${known.join(', ')}`);
    }
    picked = byId;
  }
  return { records: picked, unknownIds };
}

/**
 * What --node may name a record by: its id, or the id or key segment as shown. A node whose id or key
 * holds a control character or a byte that is not UTF-8 (shown as \n, \xff …) is named as shown, since
 * a shell argument cannot hold such a byte; a real U+FFFD is itself, so its look-alike is never picked.
 */
export function nodeNames(record: NodeRecord): string[] {
  const id = record.service.nodes[0]!.id;
  return [id, sanitize(id), sanitize(record.key.slice(record.key.lastIndexOf('/') + 1))];
}

/** Reads the services' records (exit 3 when the one named has none; among several, the missing are returned). */
async function readServices(ctx: CommandContext, registry: Registry, names: readonly string[]): Promise<{ records: NodeRecord[]; missing: string[] }> {
  const stop = startSpinner(ctx.io, `reading ${names.join(', ')}…`);
  try {
    const { found, missing } = await readEach(names, (name) => registry.readService(name));
    for (const r of found) ctx.reportMalformed(r.malformed);
    return { records: found.flatMap((r) => r.records), missing };
  } finally {
    stop();
  }
}

function stderrStyle(ctx: CommandContext): Style {
  return { tty: ctx.io.stderrIsTTY, paint: ctx.paintErr, width: ctx.io.columns(), wide: false };
}

async function report(ctx: CommandContext, service: string, outcomes: readonly RemovalOutcome[], dryRun: boolean): Promise<void> {
  if (ctx.document) {
    await ctx.writeDocument(removalJson(outcomes, dryRun));
  } else {
    const removed = outcomes.filter((o) => o.removed).map((o) => o.record);
    if (removed.length > 0) ctx.io.stdout.write(renderNodeRecords(removed, ctx.style()));
    const n = removed.length;
    ctx.info(dryRun ? `dry run: would remove ${n} node${n === 1 ? '' : 's'} of ${service}; nothing was deleted` : `removed ${n} node${n === 1 ? '' : 's'} of ${service}`);
  }
  for (const o of outcomes) {
    if (o.removed) continue;
    const id = o.record.service.nodes[0]!.id;
    if (o.reason === 'changed') ctx.warn(`kept node ${id}: it was written again after it was read (re-registered); run deregister again to remove it`);
    else ctx.warn(`node ${id} was already gone (${o.record.key})`);
  }
}

export function deregisterCommand(run: Runner): Command {
  const cmd = new Command('deregister')
    .argument('<service...>', 'service names, e.g. go.micro.srv.greeter (--node, --version and --all apply to them all)')
    .option('--node <id>', 'node id to remove (repeatable)', collect)
    .option('--version <version>', 'only nodes of this version')
    .option('--all', 'every node of the service (of --version, if given)')
    .option('-y, --yes', 'do not ask for confirmation (needed without a terminal)')
    .option('--dry-run', 'list what would be removed and delete nothing')
    .action(
      run(async (ctx, names: string[], opts: DeregisterOptions) => {
        ctx.requireOutput('deregister');
        for (const name of names) keySegment(name, 'service name');
        const service = names.join(', ');
        if (opts.all && opts.node) throw new UsageError('--all and --node exclude each other');
        const chosen = opts.all || opts.node !== undefined || opts.version !== undefined;
        const interactive = canPrompt(ctx.io);
        if (!opts.dryRun && !interactive) {
          if (!chosen) throw new UsageError('say which nodes to remove: --node ID, --version V or --all', 'without a terminal there is no list to choose from; --dry-run shows the nodes');
          if (!opts.yes) throw new UsageError('refusing to deregister without confirmation: there is no terminal to ask on', 'pass --yes to confirm, or --dry-run to see what would be removed');
        }
        const registry = await ctx.registry();
        const store = recordStore(registry.writeSpace().layout, registry);
        const { records: all, missing } = await readServices(ctx, registry, names);
        const selection = selectNodes(service, all, opts);
        for (const id of selection.unknownIds) ctx.warn(`service ${service} has no node ${id}`);
        let targets = selection.records;

        if (opts.dryRun) {
          await report(ctx, service, targets.map((record) => ({ record, removed: true })), true);
          throwIfMissing(missing);
          return;
        }
        if (!chosen) {
          const ask = await loadPrompts(ctx.io);
          targets = await ask.checkbox(`Nodes of ${service} to deregister (space selects, enter confirms)`, targets.map((r) => ({ name: nodeChoiceLabel(r), value: r })));
          if (targets.length === 0) {
            ctx.info('nothing selected; nothing was removed');
            return;
          }
        } else if (!opts.yes) {
          ctx.io.stderr.write(renderNodeRecords(targets, stderrStyle(ctx)));
        }
        if (!opts.yes) {
          const ask = await loadPrompts(ctx.io);
          const n = targets.length;
          if (!(await ask.confirm(`Deregister ${n} node${n === 1 ? '' : 's'} of ${service}?`, false))) throw new CancelledError('not confirmed: nothing was removed');
        }
        await report(ctx, service, await store.removeIfUnchanged(targets), false);
        throwIfMissing(missing);
      }),
    );
  return withExamples(cmd, [
    'micro-reg deregister go.micro.srv.greeter',
    'micro-reg deregister go.micro.srv.greeter --node go.micro.srv.greeter-1a2b --yes',
    'micro-reg deregister go.micro.srv.greeter --version 1.0.0 --all --dry-run -o json',
  ]);
}
