// `micro-reg apply -f FILE`: makes the registry hold what a file declares (a snapshot from `export`, or
// a list of services). Creates missing nodes, rewrites changed ones, leaves equal ones alone (no
// write: no watch event, no new revision), and with --prune removes the other nodes of the services
// the file names. Every write compares the key's mod revision with what was read, as deregister does:
// a node written by someone else in between is reported and left alone.
import { Command } from 'commander';
import { parseWholeNumber } from '../config.js';
import { UsageError } from '../errors.js';
import { startSpinner } from '../io.js';
import type { NodeRecord } from '../registry/model.js';
import { type ApplyPlan, type DesiredRecord, desiredRecords, diffRegistries, planApply, plannedRecords, recordsOfNamedServices, summarise } from '../registry/snapshot.js';
import { type PlannedWrite, type WriteOutcome, recordStore } from '../registry/store.js';
import { describeSummary, renderApplied, renderApplyJson, renderDiff } from '../render/diff.js';
import { type Runner, withExamples } from './command.js';
import { readStateFile } from './state-file.js';

interface ApplyOptions {
  file?: string;
  prune?: boolean;
  dryRun?: boolean;
  ttl?: string;
}

function parseTtl(text: string | undefined): number {
  if (text === undefined) return 0;
  return parseWholeNumber(text.trim().replace(/(\d)s$/, '$1'), '--ttl', 0, 2 ** 31 - 1, 'whole seconds, 0 for records that never expire');
}

/** The plan as conditional writes: creates expect no key, updates and removals the mod revision read. */
export function planWrites(plan: ApplyPlan): PlannedWrite[] {
  return [
    ...plan.create.map((d) => ({ key: d.key, layout: d.layout, value: d.value, modRevision: '0' })),
    ...plan.update.map(({ desired, live }) => ({ key: desired.key, layout: desired.layout, value: desired.value, modRevision: live.modRevision ?? '0' })),
    ...plan.remove.map((r) => ({ key: r.key, layout: r.layout, modRevision: r.modRevision ?? '0' })),
  ];
}

export function applyCommand(run: Runner): Command {
  const cmd = new Command('apply')
    .requiredOption('-f, --file <file>', 'a snapshot (micro-reg export) or a list of services, JSON or YAML; - for stdin')
    .option('--prune', 'also remove the nodes of the services named in the file that the file does not list')
    .option('--dry-run', 'print the changes it would make and write nothing')
    .option('--ttl <seconds>', 'write created and changed nodes on a lease of this many seconds (v2: key TTL); default 0, never expire')
    .action(
      run(async (ctx, opts: ApplyOptions) => {
        ctx.requireOutput(['table', 'wide', 'json'], 'apply');
        const ttl = parseTtl(opts.ttl);
        const state = await readStateFile(ctx, opts.file!);
        const label = opts.file === '-' ? 'standard input' : opts.file!;
        const registry = await ctx.registry();
        const { layout, prefix, domain } = registry.config;
        const desired = desiredRecords(state, { layout, ...(prefix !== undefined ? { prefix } : {}), ...(domain !== undefined ? { domain } : {}) }, label);
        if (desired.length === 0) throw new UsageError(`${label} lists no nodes: nothing to apply`);
        const stop = startSpinner(ctx.io, 'reading the registry…');
        let live: NodeRecord[];
        let revision: string;
        try {
          const result = await registry.read();
          ctx.reportMalformed(result.malformed);
          live = recordsOfNamedServices(desired, result.records);
          revision = result.revision;
        } finally {
          stop();
        }
        const plan = planApply(desired, live, { prune: opts.prune === true });
        const writes = planWrites(plan);
        if (opts.dryRun) {
          const changes = diffRegistries(live, plannedRecords(desired, live, plan));
          if (ctx.json) ctx.io.stdout.write(`${JSON.stringify(changes, null, ctx.io.stdoutIsTTY ? 2 : undefined)}\n`);
          else if (changes.length > 0) ctx.io.stdout.write(renderDiff(changes, { from: revision !== '0' ? `the registry at revision ${revision}` : 'the registry', to: label }, ctx.style()));
          ctx.info(`dry run: would create ${plan.create.length}, update ${plan.update.length}, remove ${plan.remove.length} (${describeSummary(summarise(changes), changes.length)}); ${plan.unchanged.length} unchanged; nothing was written`);
          return;
        }
        const outcomes: WriteOutcome[] = writes.length === 0 ? [] : await recordStore(registry.writeSpace().layout, registry).applyWrites(writes, ttl);
        const result = { plan, outcomes, unchanged: plan.unchanged as readonly DesiredRecord[] };
        if (ctx.json) ctx.io.stdout.write(renderApplyJson(result, ctx.io.stdoutIsTTY));
        else ctx.io.stdout.write(renderApplied(result, ctx.style()));
        for (const o of outcomes) {
          if (o.done) continue;
          const verb = o.write.value === undefined ? 'remove' : 'write';
          if (o.reason === 'changed') ctx.warn(`did not ${verb} ${o.write.key}: it was written by someone else after it was read (re-registered); left as it is. Run apply again to reconsider it`);
          else ctx.warn(`did not ${verb} ${o.write.key}: it was deleted (or expired) after it was read`);
        }
        const done = outcomes.filter((o) => o.done).length;
        ctx.info(writes.length === 0 ? `nothing to do: ${plan.unchanged.length} node${plan.unchanged.length === 1 ? '' : 's'} already as declared` : `${done} of ${writes.length} write${writes.length === 1 ? '' : 's'} done, ${plan.unchanged.length} unchanged`);
      }),
    );
  return withExamples(cmd, [
    'micro-reg apply -f external-services.yaml',
    'micro-reg apply -f external-services.yaml --prune --dry-run',
    'micro-reg export --revision 1234 | micro-reg apply -f - --prune',
  ]);
}
