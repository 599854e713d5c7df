// `micro-reg apply -f FILE`: makes the registry hold what a file declares (a snapshot from `export`, or
// a list of services). Creates missing nodes, rewrites changed ones, leaves equal ones alone (no
// write: no watch event, no new revision), and with --prune removes the other nodes of the services
// the file names. Every write compares the key's mod revision with what was read, as deregister does:
// a node written by someone else in between is reported and left alone.
import { Command } from 'commander';
import { parseWholeNumber } from '../settings/config.js';
import { UsageError } from '../errors.js';
import { startSpinner } from '../io.js';
import type { NodeRecord } from '../registry/model.js';
import { diffRegistries, summarise } from '../registry/compare.js';
import { type ApplyPlan, type DesiredRecord, desiredRecords, planApply, plannedRecords, recordsOfNamedServices } from '../registry/snapshot.js';
import type { AppliedWrites, EncodedRecord, PlannedWrite, RecordStore, Written } from '../registry/store.js';
import { recordStore } from '../registry/store-for-layout.js';
import { keepAlive } from '../registry/keepalive.js';
import { leaseHex } from '../registry/codec.js';
import { defaultTtl } from '../registry/records.js';
import { onTerminate } from '../signals.js';
import type { CommandContext } from '../command-context.js';
import { describeSummary, renderApplied, applyJson, renderDiff } from '../render/diff.js';
import { sanitize } from '../render/sanitize.js';
import { type Runner, withExamples } from './command.js';
import { readStateFile } from './state-file.js';

interface ApplyOptions {
  file?: string;
  prune?: boolean;
  dryRun?: boolean;
  ttl?: string;
  keepalive?: boolean;
}

function parseTtl(text: string | undefined, keepalive: boolean): number {
  // Declared nodes stay until removed; kept alive, they live on a lease of register's default TTL.
  if (text === undefined) return keepalive ? defaultTtl : 0;
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

/** The nodes this run put (on its lease, or v2 keys at the indexes it set), as register's keepalive takes them. */
function writtenOf(desired: readonly DesiredRecord[], applied: AppliedWrites, ttl: number): Written {
  const put = new Set(applied.outcomes.filter((o) => o.done && o.write.value !== undefined).map((o) => o.write.key));
  const records: EncodedRecord[] = desired.filter((d) => put.has(d.key)).map((d) => ({ key: d.key, value: d.value, service: d.service }));
  const written: Written = { records, ttl };
  if (applied.lease !== undefined) written.lease = applied.lease;
  if (applied.v2Indexes !== undefined) written.v2Indexes = new Map([...applied.v2Indexes].filter(([k]) => put.has(k)));
  return written;
}

/**
 * --keepalive: renews what this run wrote until Ctrl-C / SIGTERM (writing it again after a lost lease,
 * as register --keepalive does), then removes it. Nodes that were already as declared were not written
 * by this run and are left as they are.
 */
async function keepWrittenAlive(ctx: CommandContext, store: RecordStore, written: Written): Promise<void> {
  if (written.records.length === 0) {
    ctx.info('--keepalive: this run wrote no node, so there is no lease to keep alive');
    return;
  }
  const stop = new AbortController();
  const off = onTerminate((why) => {
    if (!stop.signal.aborted) ctx.info(`${why === 'pipe' ? 'stdout closed' : why}: removing the nodes written…`);
    stop.abort();
  });
  const every = `every ${Math.max(0.2, written.ttl / 3).toFixed(1)}s; Ctrl-C or SIGTERM removes them`;
  ctx.info(written.lease === undefined ? `refreshing the key TTL of ${written.ttl}s ${every}` : `keeping lease ${leaseHex(written.lease)} alive ${every}`);
  let last: Written;
  try {
    last = await keepAlive(store, written, stop.signal, {
      unreachable: (e) => ctx.warn(`etcd does not answer (${e.message}); retrying every second`),
      reachable: (ms) => ctx.info(`etcd answers again after ${(ms / 1000).toFixed(1)}s`),
      lost: () => ctx.warn('lease lost (expired or revoked): writing the nodes again'),
      rewritten: (w) => ctx.info(w.lease === undefined ? 'written again' : `written again on lease ${leaseHex(w.lease)}`),
    });
  } finally {
    off();
  }
  await store.remove(last);
  ctx.info(`removed ${last.records.length} node${last.records.length === 1 ? '' : 's'}${last.lease === undefined ? '' : `; lease ${leaseHex(last.lease)} revoked`}`);
}

export function applyCommand(run: Runner): Command {
  const cmd = new Command('apply')
    .requiredOption('-f, --file <file>', 'a snapshot (micro-reg export) or a list of services, JSON or YAML; - for stdin')
    .option('--prune', 'also remove the nodes of the services named in the file that the file does not list')
    .option('--dry-run', 'print the changes it would make and write nothing')
    .option('--ttl <seconds>', `write created and changed nodes on a lease of this many seconds (v2: key TTL); default 0, never expire (${defaultTtl} with --keepalive)`)
    .option('--keepalive', 'stay in the foreground renewing the lease of the nodes written; remove them on Ctrl-C or SIGTERM')
    .action(
      run(async (ctx, opts: ApplyOptions) => {
        ctx.requireOutput('apply');
        const keepalive = opts.keepalive === true;
        const ttl = parseTtl(opts.ttl, keepalive);
        if (keepalive && ttl === 0) throw new UsageError('--keepalive needs a lease: give --ttl more than 0');
        if (keepalive && opts.dryRun) throw new UsageError('--keepalive and --dry-run exclude each other');
        const state = await readStateFile(ctx, opts.file!);
        const label = opts.file === '-' ? 'standard input' : opts.file!;
        const registry = await ctx.registry();
        const { layout, prefix, domain } = registry.config;
        if (keepalive && layout === 'auto') throw new UsageError('--keepalive keeps one lease alive: name the layout (--layout micro, domain, legacy or v2) rather than auto');
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
          if (ctx.document) await ctx.writeDocument(changes);
          else if (changes.length > 0) ctx.io.stdout.write(renderDiff(changes, { from: revision !== '0' ? `the registry at revision ${revision}` : 'the registry', to: label }, ctx.style()));
          ctx.info(`dry run: would create ${plan.create.length}, update ${plan.update.length}, remove ${plan.remove.length} (${describeSummary(summarise(changes), changes.length)}); ${plan.unchanged.length} unchanged; nothing was written`);
          return;
        }
        const store = recordStore(registry.writeSpace().layout, registry);
        const applied: AppliedWrites = writes.length === 0 ? { outcomes: [] } : await store.applyWrites(writes, ttl);
        const outcomes = applied.outcomes;
        const result = { plan, outcomes, unchanged: plan.unchanged as readonly DesiredRecord[] };
        if (ctx.document) await ctx.writeDocument(applyJson(result));
        else ctx.io.stdout.write(renderApplied(result, ctx.style()));
        for (const o of outcomes) {
          if (o.done) continue;
          const key = sanitize(o.write.key);
          const verb = o.write.value === undefined ? 'remove' : 'write';
          if (o.reason === 'changed') ctx.warn(`did not ${verb} ${key}: it was written by someone else after it was read (re-registered); left as it is. Run apply again to reconsider it`);
          else ctx.warn(`did not ${verb} ${key}: it was deleted (or expired) after it was read`);
        }
        const done = outcomes.filter((o) => o.done).length;
        ctx.info(writes.length === 0 ? `nothing to do: ${plan.unchanged.length} node${plan.unchanged.length === 1 ? '' : 's'} already as declared` : `${done} of ${writes.length} write${writes.length === 1 ? '' : 's'} done, ${plan.unchanged.length} unchanged`);
        if (keepalive) await keepWrittenAlive(ctx, store, writtenOf(desired, applied, ttl));
      }),
    );
  return withExamples(cmd, [
    'micro-reg apply -f external-services.yaml',
    'micro-reg apply -f external-services.yaml --prune --dry-run',
    'micro-reg apply -f external-services.yaml --keepalive   # the nodes live as long as this process',
  ]);
}
