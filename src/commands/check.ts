// `micro-reg check [service]`: a TCP connect to every node's address, reachable (with latency) or
// unreachable (with the reason); exit 8 when any is unreachable. `--prune` deregisters those.
import { Command } from 'commander';
import { parseDuration, parseWholeNumber } from '../config.js';
import type { CommandContext } from '../context.js';
import { UnreachableNodesError, UsageError } from '../errors.js';
import { startSpinner } from '../io.js';
import { probeAll } from '../probe.js';
import { canPrompt, loadPrompts } from '../prompts.js';
import { recordStore } from '../registry/store.js';
import { keySegment } from '../registry/keys.js';
import type { NodeRecord } from '../registry/model.js';
import { compareRecords } from '../registry/codec.js';
import { type CheckedNode, checkSummary, renderCheckJson, renderCheckTable } from '../render/check.js';
import { type Runner, withExamples } from './command.js';

interface CheckOptions {
  concurrency: string;
  connectTimeout: string;
  prune?: boolean;
  yes?: boolean;
}

export const defaultConcurrency = 32;
export const defaultConnectTimeout = '1s';
const maxConcurrency = 1024;

async function readRecords(ctx: CommandContext, service: string | undefined): Promise<NodeRecord[]> {
  const registry = await ctx.registry();
  const stop = startSpinner(ctx.io, 'reading the registry…');
  try {
    const result = service === undefined ? await registry.read() : await registry.readService(service);
    ctx.reportMalformed(result.malformed);
    return result.records.sort(compareRecords);
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
    .argument('[service]', 'only the nodes of this service')
    .option('--concurrency <n>', 'connections in flight at once', String(defaultConcurrency))
    .option('--connect-timeout <duration>', 'give up on a node after this long', defaultConnectTimeout)
    .option('--prune', 'deregister the unreachable nodes (asks first on a terminal; --yes in scripts)')
    .option('-y, --yes', 'with --prune: do not ask')
    .action(
      run(async (ctx, service: string | undefined, opts: CheckOptions) => {
        ctx.requireOutput('check');
        const concurrency = parseWholeNumber(opts.concurrency, '--concurrency', 1, maxConcurrency);
        const timeoutMs = parseDuration(opts.connectTimeout, '--connect-timeout');
        if (timeoutMs <= 0) throw new UsageError('invalid --connect-timeout: it must be more than 0');
        if (opts.yes && !opts.prune) throw new UsageError('--yes only goes with --prune');
        // Scripts learn at once, before anything is probed, that --prune without --yes cannot ask them.
        if (opts.prune && !opts.yes && !canPrompt(ctx.io)) {
          throw new UsageError('--prune asks for a confirmation, but there is no terminal', 'pass --yes to deregister unreachable nodes without asking');
        }
        if (service !== undefined) keySegment(service, 'service name');

        const records = await readRecords(ctx, service);
        const stop = startSpinner(ctx.io, `connecting to ${records.length} node${records.length === 1 ? '' : 's'}…`);
        const results = await probeAll(
          records.map((r) => r.service.nodes[0]!.address),
          { concurrency, timeoutMs },
        ).finally(stop);
        const checked = records.map((record, i): { record: NodeRecord; node: CheckedNode } => {
          const n = record.service.nodes[0]!;
          const node: CheckedNode = { service: record.service.name, version: record.service.version, layout: record.layout, id: n.id, address: n.address, key: record.key, result: results[i]! };
          if (record.domain !== undefined) node.domain = record.domain;
          return { record, node };
        });
        const nodes = checked.map((c) => c.node);
        const down = checked.filter((c) => !c.node.result.reachable);

        if (!ctx.json) {
          if (nodes.length > 0) ctx.io.stdout.write(renderCheckTable(nodes, ctx.style()));
          if (ctx.io.stderrIsTTY) ctx.info(nodes.length === 0 ? 'No nodes registered.' : checkSummary(nodes));
        }
        if (opts.prune && down.length > 0) await prune(ctx, down, opts.yes === true);
        if (ctx.json) ctx.io.stdout.write(renderCheckJson(nodes, ctx.io.stdoutIsTTY));

        const remaining = down.filter((d) => d.node.pruned !== 'removed' && d.node.pruned !== 'gone');
        if (remaining.length > 0) {
          const ids = remaining.map((d) => d.node.id);
          const shown = ids.length > 3 ? `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more` : ids.join(', ');
          throw new UnreachableNodesError(
            `${remaining.length} of ${nodes.length} node${nodes.length === 1 ? '' : 's'} unreachable: ${shown}`,
            opts.prune ? undefined : `deregister them with micro-reg check${service === undefined ? '' : ` ${service}`} --prune`,
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
