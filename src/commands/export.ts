// `micro-reg export [pattern]`: the registry as a snapshot document (JSON, or YAML with -o yaml): the
// revision it was read at, the layouts, and every node record as go-micro wrote it, with its key, lease
// and TTL. `diff -f` and `apply -f` read it back.
import { Command } from 'commander';
import { UnavailableError } from '../errors.js';
import { type OutStream, startSpinner } from '../io.js';
import { matchesSelectors, nameMatcher, parseSelectors } from '../registry/match.js';
import type { NodeRecord } from '../registry/model.js';
import { type StoredForm, buildSnapshot, storedForm } from '../registry/snapshot.js';
import { prettyJsonChunks } from '../render/json.js';
import { type Runner, collect, parseRevision, withExamples } from './command.js';

interface ExportOptions {
  selector?: string[];
  revision?: string;
  ttl?: boolean;
}

/**
 * Writes piece by piece, waiting while a slow reader (a pipe) has not taken the last piece: the whole
 * document is not buffered in memory a second time. Stops when the reader has gone (`export | head`).
 */
async function writeChunks(out: OutStream, chunks: Iterable<string>): Promise<void> {
  const stream = out as OutStream & Partial<Pick<NodeJS.WriteStream, 'once' | 'off' | 'destroyed'>>;
  for (const chunk of chunks) {
    if (stream.destroyed === true) return;
    if (out.write(chunk) !== false || typeof stream.once !== 'function') continue;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        for (const event of ['drain', 'close', 'error'] as const) stream.off?.(event, done);
        resolve();
      };
      for (const event of ['drain', 'close', 'error'] as const) stream.once!(event, done);
    });
  }
}

export function exportCommand(run: Runner): Command {
  const cmd = new Command('export')
    .argument('[pattern]', 'glob on the service name, e.g. "go.micro.srv.*" (none: every service)')
    .option('-l, --selector <key=value>', 'only nodes whose metadata has key=value (repeatable, all must match)', collect)
    .option('--revision <rev>', 'the registry as it was at this etcd revision (v3 layouts; until etcd compacts it)')
    .option('--no-ttl', 'leave lease TTLs out, so that two exports of an unchanged registry are identical')
    .action(
      run(async (ctx, pattern: string | undefined, opts: ExportOptions) => {
        ctx.requireOutput('export');
        const revision = parseRevision(opts.revision);
        const selectors = parseSelectors(opts.selector);
        const matchName = await nameMatcher(pattern === undefined ? [] : [pattern]);
        const registry = await ctx.registry();
        const stop = startSpinner(ctx.io, 'reading the registry…');
        try {
          const stored = new Map<NodeRecord, StoredForm>();
          const onStored = (record: NodeRecord, bytes: string): void => void stored.set(record, storedForm(record, bytes));
          const result = await registry.read(undefined, { onStored, ...(revision !== undefined ? { revision } : {}) });
          ctx.reportMalformed(result.malformed);
          const records = result.records.filter((r) => matchName(r.service.name) && matchesSelectors(r, selectors));
          // TTLs are of now: at a past revision the leases may be long gone, so none are looked up.
          const wantTtls = opts.ttl !== false && revision === undefined;
          const ttls = wantTtls
            ? await registry.leaseTtls(records).catch((e: unknown) => {
                if (!(e instanceof UnavailableError)) throw e;
                ctx.warn(`lease TTLs unknown: ${e.message}`);
                return new Map<string, number>();
              })
            : undefined;
          const snapshot = buildSnapshot({
            records,
            stored,
            revision: result.revision,
            ...(result.v2Index !== undefined ? { v2Index: result.v2Index } : {}),
            layouts: [...new Set(result.spaces.map((s) => s.layout))],
            ...(ttls ? { ttls } : {}),
            noTtl: !wantTtls,
          });
          stop();
          if (ctx.output === 'yaml' || ctx.output === 'jsonpath') await ctx.writeDocument(snapshot);
          // Always pretty: a snapshot is a file people read, diff and edit.
          else await writeChunks(ctx.io.stdout, prettyJsonChunks(snapshot as unknown as Record<string, unknown>, 'records'));
        } finally {
          stop();
        }
      }),
    );
  return withExamples(cmd, [
    'micro-reg export > registry.json',
    'micro-reg export "go.micro.srv.*" --no-ttl -o yaml > services.yaml',
    'micro-reg export --revision 1234 > before-deploy.json',
  ]);
}
