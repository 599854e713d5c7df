// `micro-reg wait <service>…`: blocks until enough nodes of each service are registered (or, with
// --gone, until none are): the state is read first, then followed by the watch, never polled.
import { Command } from 'commander';
import { defaultTimeout, parseDuration } from '../settings/config.js';
import { CancelledError, UsageError, WaitTimeoutError } from '../errors.js';
import { groupServices } from '../registry/codec.js';
import { keySegment } from '../registry/keys.js';
import { matchesSelectors, parseSelectors } from '../registry/match.js';
import type { NodeRecord } from '../registry/model.js';
import type { RecordFilter } from '../registry/watch/pipeline.js';
import { serviceJson } from '../render/json.js';
import { onTerminate, outputFailed } from '../signals.js';
import { type Runner, collect, withExamples } from './command.js';
import { parseCount, startPipeline } from './watch.js';

interface WaitOptions {
  nodes?: string;
  version?: string;
  selector?: string[];
  gone?: boolean;
}

/** How long `wait` waits when --timeout is not given. */
const defaultWaitMs = 60_000;

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export function waitCommand(run: Runner): Command {
  const cmd = new Command('wait')
    .argument('<service...>', 'service names, e.g. go.micro.srv.greeter (each must have the nodes)')
    .option('--nodes <n>', 'how many matching nodes to wait for (default 1)')
    .option('--version <version>', 'count only nodes of this version')
    .option('-l, --selector <key=value>', 'count only nodes whose metadata has key=value (repeatable)', collect)
    .option('--gone', 'wait until no matching node is left')
    .addHelpText('after', '\nHere --timeout is how long to wait in all (default 60s); each etcd request still has a 5s deadline at most.')
    .action(
      run(async (ctx, names: string[], opts: WaitOptions) => {
        ctx.requireOutput('wait');
        for (const name of names) keySegment(name, 'service name');
        const service = names.join(', ');
        const wanted = new Set(names);
        if (opts.gone && opts.nodes !== undefined) throw new UsageError('--gone and --nodes do not go together');
        const want = opts.nodes === undefined ? 1 : parseCount(opts.nodes, '--nodes');
        const selectors = parseSelectors(opts.selector);
        const waitMs = ctx.flags.timeout === undefined ? defaultWaitMs : parseDuration(ctx.flags.timeout, '--timeout');
        // The global --timeout is the wait here; one request gets the usual deadline, never more than the wait.
        const requestMs = parseDuration(ctx.io.env.MICRO_REG_TIMEOUT ?? defaultTimeout, 'MICRO_REG_TIMEOUT');
        ctx.config.connection.timeoutMs = Math.min(waitMs, requestMs);
        const deadline = Date.now() + waitMs;

        const filter: RecordFilter = (r) => wanted.has(r.service.name) && (opts.version === undefined || r.service.version === opts.version) && matchesSelectors(r, selectors);
        const count = (shown: readonly NodeRecord[], name: string): number => shown.filter((r) => r.service.name === name).length;
        // Every service named has its nodes (or, --gone, none is left).
        const holds = (shown: readonly NodeRecord[]): boolean => (opts.gone ? shown.length === 0 : names.every((n) => count(shown, n) >= want));
        const progressOf = (shown: readonly NodeRecord[], name: string): string => {
          const n = count(shown, name);
          return opts.gone ? `${name}: ${n} node${n === 1 ? '' : 's'} left` : `${name}: ${Math.min(n, want)}/${want} node${want === 1 ? '' : 's'}`;
        };
        const progress = (shown: readonly NodeRecord[]): string => names.map((n) => progressOf(shown, n)).join(', ');
        const showProgress = ctx.io.stderrIsTTY && !ctx.document;
        let lastProgress = '';
        const report = (shown: readonly NodeRecord[]): void => {
          const line = progress(shown);
          if (!showProgress || line === lastProgress) return;
          lastProgress = line;
          ctx.io.stderr.write(`\r${ctx.safeErr(line)}\x1b[K`);
        };

        let finish: (error?: unknown) => void = () => undefined;
        const finished = new Promise<void>((resolve, reject) => {
          finish = (error) => (error === undefined ? resolve() : reject(error));
        });
        // It may fail before it is awaited (a malformed record with --strict while starting).
        finished.catch(() => undefined);
        const timedOut = (shown: readonly NodeRecord[]): WaitTimeoutError => {
          const what = opts.gone ? 'no node to be left' : `${want} node${want === 1 ? '' : 's'}`;
          return new WaitTimeoutError(`timed out after ${formatMs(waitMs)} waiting for ${what} of ${service}${opts.version ? ` ${opts.version}` : ''} (${names.length === 1 ? progress(shown).replace(`${service}: `, '') : progress(shown)})`);
        };
        const pipeline = await startPipeline(
          ctx,
          filter,
          false,
          {
            event: (_event, p) => {
              const shown = p.shown();
              report(shown);
              if (holds(shown)) finish();
            },
            status: (state, detail) => {
              // The progress line has no newline of its own yet.
              if (state === 'reconnecting' && showProgress) ctx.io.stderr.write('\n');
              ctx.info(state === 'reconnecting' ? `reconnecting… (${detail})` : detail);
            },
            warn: (message) => ctx.warn(message),
          },
          (error) => finish(error),
        );
        const stopListening = onTerminate((why, error) => finish(why === 'output' && error ? outputFailed(error) : new CancelledError('interrupted')));
        const timer = setTimeout(() => finish(timedOut(pipeline.shown())), Math.max(0, deadline - Date.now()));
        try {
          const shown = pipeline.shown();
          report(shown);
          if (holds(shown)) finish();
          pipeline.release();
          await finished;
        } finally {
          clearTimeout(timer);
          stopListening();
          pipeline.stop();
          if (showProgress && lastProgress !== '') ctx.io.stderr.write('\n');
        }
        const matching = pipeline.shown();
        if (ctx.document) await ctx.writeDocument(groupServices(matching).map(serviceJson));
      }),
    );
  return withExamples(cmd, [
    'micro-reg wait go.micro.srv.greeter --nodes 3 --version 1.4.0 --timeout 2m',
    'micro-reg wait go.micro.srv.greeter --version 1.3.0 --gone',
    'micro-reg wait go.micro.srv.greeter go.micro.srv.auth --timeout 30s   # both',
    'micro-reg wait go.micro.srv.greeter -o json | jq -r ".[].nodes[].address"',
  ]);
}
