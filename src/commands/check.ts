// `micro-reg check [service]`: a TCP connect to every node's address, reachable (with latency) or
// unreachable (with the reason); exit 8 when any is unreachable. `--prune` deregisters those.
import { Command } from 'commander';
import { parseDuration, parseWholeNumber } from '../settings/config.js';
import type { CommandContext } from '../command-context.js';
import { UnreachableNodesError, UsageError } from '../errors.js';
import { startSpinner } from '../io.js';
import { probeAll } from '../probe.js';
import { canPrompt, loadPrompts } from '../prompts.js';
import { recordStore } from '../registry/store-for-layout.js';
import { keySegment } from '../registry/keys.js';
import type { NodeRecord } from '../registry/model.js';
import { compareRecords } from '../registry/codec.js';
import { isGlob } from '../registry/match.js';
import { type CheckedNode, checkJson, checkSummary, renderCheckTable } from '../render/check.js';
import { type Runner, readEach, serviceReader, sortByHelp, sortedBy, throwIfMissing, withExamples } from './command.js';

interface CheckOptions {
  concurrency: string;
  connectTimeout: string;
  prune?: boolean;
  yes?: boolean;
  sortBy?: string;
}

export const defaultConcurrency = 32;
export const defaultConnectTimeout = '1s';
const maxConcurrency = 1024;

/** The records of the named services (all of them without names), and the names that have none. */
async function readRecords(ctx: CommandContext, names: readonly string[]): Promise<{ records: NodeRecord[]; missing: string[] }> {
  const registry = await ctx.registry();
  const stop = startSpinner(ctx.io, 'reading the registry…');
  try {
    if (names.length === 0) {
      const result = await registry.read();
      ctx.reportMalformed(result.malformed);
      return { records: result.records.sort(compareRecords), missing: [] };
    }
    const reader = serviceReader(registry, {});
    const { found, missing } = await readEach(names, reader.read);
    for (const r of found) ctx.reportMalformed(r.malformed);
    ctx.reportMalformed(await reader.globMalformed());
    const byKey = new Map(found.flatMap((r) => r.records).map((r) => [r.key, r]));
    return { records: [...byKey.values()].sort(compareRecords), missing };
  } finally {
    stop();
  }
}

/** Asks (or takes --yes), then deletes the unreachable nodes' keys if they are unchanged since the read. */
async function prune(ctx: CommandContext, down: { record: NodeRecord; node: CheckedNode }[], yes: boolean): Promise<boolean> {
  if (!yes) {
    const list = down.map(({ node }) => `  ${ctx.safeErr(`${node.service} ${node.id} (${node.address || 'no address'}) ${node.key}`)}`).join('\n');
    ctx.io.stderr.write(`Unreachable nodes:\n${list}\n`);
    const ok = await (await loadPrompts(ctx.io)).confirm(`Deregister ${down.length} unreachable node${down.length === 1 ? '' : 's'}?`, false);
    if (!ok) {
      ctx.info('Nothing deregistered.');
      return false;
    }
  }
  const registry = await ctx.registry();
  // The same deletion as `deregister`: only these keys, each only while unchanged since the read.
  const outcomes = await recordStore(registry.writeSpace().layout, registry).removeIfUnchanged(down.map((d) => d.record));
  const byKey = new Map(down.map((d) => [d.record.key, d.node]));
  for (const o of outcomes) byKey.get(o.record.key)!.pruned = o.removed ? 'removed' : o.reason === 'changed' ? 'kept' : 'gone';
  for (const { node } of down) {
    if (node.pruned === 'removed') ctx.info(`deregistered ${node.service} ${node.id} (${node.key})`);
    else if (node.pruned === 'gone') ctx.info(`${node.service} ${node.id} was already gone`);
    else ctx.warn(`kept ${node.service} ${node.id}: it re-registered (its key changed) since it was checked`);
  }
  return true;
}

export function checkCommand(run: Runner): Command {
  const cmd = new Command('check')
    .argument('[service...]', 'only the nodes of these services (names or globs)')
    .option('--concurrency <n>', 'connections in flight at once', String(defaultConcurrency))
    .option('--connect-timeout <duration>', 'give up on a node after this long', defaultConnectTimeout)
    .option('--prune', 'deregister the unreachable nodes (asks first on a terminal; --yes in scripts)')
    .option('-y, --yes', 'with --prune: do not ask')
    .option('--sort-by <jsonpath>', sortByHelp)
    .action(
      run(async (ctx, services: string[], opts: CheckOptions) => {
        ctx.requireOutput('check');
        const concurrency = parseWholeNumber(opts.concurrency, '--concurrency', 1, maxConcurrency);
        const timeoutMs = parseDuration(opts.connectTimeout, '--connect-timeout');
        if (timeoutMs <= 0) throw new UsageError('invalid --connect-timeout: it must be more than 0');
        if (opts.yes && !opts.prune) throw new UsageError('--yes only goes with --prune');
        // Scripts learn at once, before anything is probed, that --prune without --yes cannot ask them.
        if (opts.prune && !opts.yes && !canPrompt(ctx.io)) {
          throw new UsageError('--prune asks for a confirmation, but there is no terminal', 'pass --yes to deregister unreachable nodes without asking');
        }
        for (const s of services) if (!isGlob(s)) keySegment(s, 'service name');

        const { records, missing } = await readRecords(ctx, services);
        const stop = startSpinner(ctx.io, `connecting to ${records.length} node${records.length === 1 ? '' : 's'}…`);
        const results = await probeAll(
          records.map((r) => r.service.nodes[0]!.address),
          { concurrency, timeoutMs },
        ).finally(stop);
        const checked = records.map((record, i): { record: NodeRecord; node: CheckedNode } => {
          const n = record.service.nodes[0]!;
          const node: CheckedNode = { service: record.service.name, version: record.service.version, layout: record.layout, id: n.id, address: n.address, key: record.key, metadata: n.metadata, result: results[i]! };
          if (record.domain !== undefined) node.domain = record.domain;
          if (record.lease !== undefined) node.lease = record.lease;
          return { record, node };
        });
        const nodes = await sortedBy(opts.sortBy, checked.map((c) => c.node), checkJson);
        const down = checked.filter((c) => !c.node.result.reachable);

        if (!ctx.document) {
          if (ctx.customColumns) ctx.io.stdout.write((await import('../render/custom-columns.js')).renderCustomColumns(ctx.customColumns, nodes.map(checkJson), ctx.style()));
          else if (nodes.length > 0) ctx.io.stdout.write(renderCheckTable(nodes, ctx.style()));
          if (ctx.io.stderrIsTTY) ctx.info(nodes.length === 0 ? 'No nodes registered.' : checkSummary(nodes));
        }
        if (opts.prune && down.length > 0) await prune(ctx, down, opts.yes === true);
        if (ctx.document) await ctx.writeDocument(nodes.map(checkJson));

        // A name with no service is a mistake to fix before the nodes' state (exit 3 before 8).
        throwIfMissing(missing);
        const remaining = down.filter((d) => d.node.pruned !== 'removed' && d.node.pruned !== 'gone');
        if (remaining.length > 0) {
          const ids = remaining.map((d) => d.node.id);
          const shown = ids.length > 3 ? `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more` : ids.join(', ');
          throw new UnreachableNodesError(
            `${remaining.length} of ${nodes.length} node${nodes.length === 1 ? '' : 's'} unreachable: ${shown}`,
            opts.prune ? undefined : `deregister them with micro-reg check${services.map((s) => ` ${s}`).join('')} --prune`,
          );
        }
      }),
    );
  return withExamples(cmd, [
    'micro-reg check',
    'micro-reg check go.micro.srv.greeter --connect-timeout 300ms -o json',
    'micro-reg check --prune --yes   # in CI: deregister ghost nodes',
  ]);
}
