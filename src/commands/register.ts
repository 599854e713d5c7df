// `micro-reg register`: writes a node's record exactly as go-micro of the chosen layout does, on a
// lease (v2 layout: a TTL on the key); from flags, from a go-micro Service file, or from a form on a
// terminal. `--keepalive` stays in the foreground, renews the lease (v2: refreshes the key's TTL),
// re-registers after a loss and deregisters on SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { parseWholeNumber } from '../settings/config.js';
import { readToEnd } from '../io.js';
import { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { QuotaExceededError, UnavailableError, UsageError, fileError } from '../errors.js';
import { onTerminate, outputFailed } from '../signals.js';
import { canPrompt, loadPrompts } from '../prompts.js';
import { leaseHex } from '../registry/codec.js';
import { keepAlive } from '../registry/keepalive.js';
import { keySpace } from '../registry/keys.js';
import type { Service } from '../registry/model.js';
import { addressProblem, defaultNodeId, defaultTtl, defaultVersion, encodeRecords, nameProblem, parseMeta, serviceFromFile, serviceFromInput } from '../registry/records.js';
import type { RemovalReport, Written } from '../registry/store.js';
import { recordStore } from '../registry/store-for-layout.js';
import { renderDryRun, registrationJson, renderRegistered } from '../render/registration.js';
import { formatDuration } from '../render/table.js';
import { type Runner, collect, withExamples } from './command.js';

interface RegisterOptions {
  name?: string;
  version?: string;
  address?: string;
  id?: string;
  meta?: string[];
  endpoint?: string[];
  ttl?: string;
  file?: string;
  keepalive?: boolean;
  dryRun?: boolean;
}

function parseTtl(text: string | undefined): number {
  if (text === undefined) return defaultTtl;
  // "30s" reads as 30: the unit is seconds anyway.
  return parseWholeNumber(text.trim().replace(/(\d)s$/, '$1'), '--ttl', 0, 2 ** 31 - 1, 'whole seconds, 0 for a record that never expires');
}

/** A Service file is small; a bound keeps a wrong `--file -` pipe from filling memory. */
const maxServiceFileBytes = 16 * 1024 * 1024;

async function readServiceFile(path: string, stdin: CommandContext['io']['stdin']): Promise<string> {
  let text: string | undefined;
  try {
    text = path === '-' ? await readToEnd(stdin, maxServiceFileBytes) : readFileSync(path, 'utf8');
  } catch (e) {
    throw fileError(path, e);
  }
  if (text === undefined) throw new UsageError(`--file ${path}: more than ${maxServiceFileBytes / 1024 / 1024} MiB; expected one go-micro Service`);
  return text;
}

/** The form: asks for what the flags left out; required answers are validated as the flags are. */
async function askMissing(ctx: CommandContext, opts: RegisterOptions): Promise<RegisterOptions> {
  const ask = await loadPrompts(ctx.io);
  const out = { ...opts };
  out.name ??= await ask.text('Service name', { validate: nameProblem });
  out.address ??= await ask.text('Node address (host:port)', { validate: addressProblem });
  if (opts.version === undefined) out.version = await ask.text('Version', { default: defaultVersion });
  if (opts.id === undefined) out.id = await ask.text('Node id', { default: defaultNodeId(out.name), validate: (v) => (v.trim() === '' ? 'it must not be empty' : undefined) });
  if (opts.meta === undefined) {
    const meta = await ask.text('Node metadata (k=v, comma-separated; empty for none)', {
      validate: (v) => {
        try {
          parseMeta(splitList(v));
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    });
    out.meta = splitList(meta);
  }
  if (opts.endpoint === undefined) out.endpoint = splitList(await ask.text('Endpoints (names such as Say.Hello, comma-separated; empty for none)'));
  // A record on a lease dies with it: say how long it lives, and whether something keeps it alive.
  if (opts.ttl === undefined) {
    out.ttl = await ask.text('TTL in seconds (0: never expires)', {
      default: String(defaultTtl),
      validate: (v) => {
        try {
          parseTtl(v);
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    });
  }
  if (opts.keepalive === undefined && !opts.dryRun && parseTtl(out.ttl) > 0) {
    out.keepalive = await ask.confirm('Keep the node registered (stay in the foreground renewing the lease; Ctrl-C deregisters)?', false);
  }
  return out;
}

const splitList = (text: string): string[] =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

export function registerCommand(run: Runner): Command {
  const cmd = new Command('register')
    .option('--name <name>', 'service name, e.g. go.micro.srv.greeter')
    .option('--version <version>', `service version (default ${defaultVersion})`)
    .option('--address <host:port>', 'node address, e.g. 10.0.0.5:8080 or [::1]:8080')
    .option('--id <id>', 'node id (default <name>-<uuid>, as go-micro servers do)')
    .option('--meta <key=value>', 'node metadata (repeatable)', collect)
    .option('--endpoint <name>', 'endpoint name, e.g. Say.Hello (repeatable)', collect)
    .option('--ttl <seconds>', `lease TTL in seconds (v2 layout: the key's TTL); 0 writes a record that never expires (default ${defaultTtl})`)
    .option('-f, --file <file>', 'a go-micro Service JSON ("-" for stdin); each of its nodes becomes one record')
    .option('--keepalive', 'stay in the foreground renewing the lease; deregister on Ctrl-C or SIGTERM')
    .option('--dry-run', 'print the key and value and write nothing')
    .action(
      run(async (ctx, opts: RegisterOptions) => {
        ctx.requireOutput('register');
        let ttl = parseTtl(opts.ttl);
        if (opts.keepalive && ttl === 0) throw new UsageError('--keepalive needs a lease: give --ttl more than 0');
        if (opts.keepalive && opts.dryRun) throw new UsageError('--keepalive and --dry-run exclude each other');
        const config = ctx.config;
        const space = keySpace(config.layout === 'auto' ? 'micro' : config.layout, config.prefix, config.domain);

        let service: Service;
        if (opts.file !== undefined) {
          const clash = (['name', 'version', 'address', 'id', 'meta', 'endpoint'] as const).filter((k) => opts[k] !== undefined);
          if (clash.length > 0) throw new UsageError(`--file describes the whole service: drop ${clash.map((k) => `--${k}`).join(', ')}`);
          // Both would read standard input: the password took it all, the file would wait for ever.
          if (opts.file === '-' && ctx.flags.passwordStdin) throw new UsageError('--password-stdin and --file - both read standard input', 'give the Service file by path, or the password through ETCD_PASSWORD or a context');
          service = serviceFromFile(await readServiceFile(opts.file, ctx.io.stdin), opts.file === '-' ? 'stdin' : opts.file);
        } else {
          let input = opts;
          const meta = parseMeta(opts.meta);
          const missing = (['name', 'address'] as const).filter((k) => opts[k] === undefined);
          if (missing.length > 0) {
            if (!canPrompt(ctx.io)) {
              throw new UsageError(`missing ${missing.map((k) => `--${k}`).join(' and ')}`, 'register needs --name and --address (or --file); run it on a terminal for a form');
            }
            input = await askMissing(ctx, opts);
            ttl = parseTtl(input.ttl);
            opts = { ...opts, keepalive: input.keepalive };
          }
          service = serviceFromInput(
            {
              name: input.name!,
              address: input.address!,
              ...(input.version !== undefined ? { version: input.version } : {}),
              ...(input.id !== undefined ? { id: input.id } : {}),
              meta: input === opts ? meta : parseMeta(input.meta),
              endpoints: input.endpoint ?? [],
            },
            space.layout,
          );
        }
        const records = encodeRecords(space, service);

        if (opts.dryRun) {
          if (ctx.document) {
            const out = await ctx.documentWriter();
            for (const node of registrationJson(records, ttl, undefined, space)) out.writeStream(node, true);
          } else ctx.io.stdout.write(renderDryRun(records));
          ctx.info('dry run: nothing was written');
          return;
        }
        // --keepalive: from here on a signal (or a failed stdout) never kills the process before it has
        // removed what it wrote: the handlers are in place before the first lease is granted, and a
        // stop during the write takes effect once the write is done (and then removes it).
        const stop = new AbortController();
        let outputError: NodeJS.ErrnoException | undefined;
        const off = opts.keepalive
          ? onTerminate((why, error) => {
              if (why === 'output') outputError = error;
              if (!stop.signal.aborted) ctx.info(`${why === 'pipe' ? 'stdout closed' : why === 'output' ? `stdout failed (${error?.code ?? 'error'})` : why}: deregistering…`);
              stop.abort();
            })
          : undefined;
        try {
          const registry = await ctx.registry();
          const store = recordStore(space.layout, registry);
          const show = async (w: Written): Promise<void> => {
            if (ctx.document) {
              const out = await ctx.documentWriter();
              for (const node of registrationJson(w.records, w.ttl, w.lease, space)) out.writeStream(node, true);
            } else ctx.io.stdout.write(renderRegistered(w, ctx.style()));
          };
          // Two keepalives on one id would take the key from each other in turn: the second one says so.
          if (opts.keepalive && !stop.signal.aborted) await store.claim?.(records);
          if (stop.signal.aborted) {
            ctx.info('nothing was registered');
            return;
          }
          const written = await store.write(records, ttl);
          // Said once the record is there: a refused write leaves nothing that never expires.
          if (ttl === 0) ctx.warn(`--ttl 0: the record has no ${space.layout === 'v2' ? 'TTL' : 'lease'} and never expires; remove it with micro-reg deregister`);
          await show(written);
          if (!opts.keepalive) {
            // A one-shot registration quietly dies with its lease: say so to the person at the terminal.
            if (ttl > 0 && ctx.io.stderrIsTTY && !ctx.document) {
              ctx.info(`note: the record expires in ${formatDuration(ttl)} unless renewed: run with --keepalive to keep it registered (--ttl 0: never expires)`);
            }
            return;
          }

          // v2 keys have no lease: their own TTL is what is kept alive.
          const every = `every ${Math.max(0.2, ttl / 3).toFixed(1)}s; Ctrl-C or SIGTERM deregisters`;
          if (!stop.signal.aborted) ctx.info(written.lease === undefined ? `refreshing the key TTL of ${ttl}s ${every}` : `keeping lease ${leaseHex(written.lease)} alive ${every}`);
          const last = await keepAlive(store, written, stop.signal, {
            unreachable: (e) => ctx.warn(`${e instanceof QuotaExceededError ? e.message : `etcd does not answer (${e.message})`}; retrying every second`),
            reachable: (ms) => ctx.info(`etcd answers again after ${(ms / 1000).toFixed(1)}s`),
            lost: () => ctx.warn(written.lease === undefined ? 'key lost (expired or deleted): registering again' : 'lease lost (expired or revoked): registering again'),
            rewritten: (w) => {
              ctx.info(w.lease === undefined ? 'registered again' : `registered again on lease ${leaseHex(w.lease)}`);
              if (ctx.document) void show(w);
            },
            reclaimed: (r) => ctx.warn(r.rewritten ? `${r.key} was ${r.reason}: written back` : `${r.key} was ${r.reason}, and changed again while being written back: looking again`),
          });
          let removal: RemovalReport;
          try {
            removal = await store.remove(last);
          } catch (e) {
            if (!(e instanceof UnavailableError)) throw e;
            throw new UnavailableError(`could not deregister: ${e.message}`, `the record stays until its ${last.lease === undefined ? 'TTL runs out' : 'lease expires'} (within ${last.ttl}s); or run micro-reg deregister ${last.records[0]!.service.name} --node ${last.records[0]!.service.nodes[0]!.id} --yes`);
          }
          // Exactly what went: a key another writer holds now is theirs, and is named as kept.
          const what = removal.removed.length === 1 ? removal.removed[0]! : `${removal.removed.length} nodes`;
          const revoked = last.lease === undefined ? '' : `; lease ${leaseHex(last.lease)} revoked`;
          if (removal.removed.length > 0) ctx.info(`deregistered ${what}${revoked}`);
          else ctx.info(`deregistered nothing${revoked}`);
          for (const k of removal.kept) ctx.warn(`kept ${k.key}: ${k.reason === 'changed' ? 'written by another writer since' : 'already gone'}`);
          if (outputError) throw outputFailed(outputError);
        } finally {
          off?.();
        }
      }),
    );
  return withExamples(cmd, [
    'micro-reg register --name go.micro.srv.greeter --address 10.0.0.5:8080 --meta protocol=mucp --ttl 60',
    'micro-reg register --file greeter.json --layout legacy --keepalive',
    'micro-reg register --name legacy.billing --address 10.0.0.9:9000 --ttl 0 --layout v2 --dry-run',
  ]);
}
