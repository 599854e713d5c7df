// `micro-reg watch [service…]`: a live, lossless stream of registry changes, as lines, JSON lines or a
// full-screen table (--live).
import type { ReadStream } from 'node:tty';
import { Command } from 'commander';
import { parseDuration, parseWholeNumber } from '../settings/config.js';
import type { CommandContext } from '../command-context.js';
import { UsageError } from '../errors.js';
import { startSpinner } from '../io.js';
import { matchesSelectors, nameMatcher, parseSelectors } from '../registry/match.js';
import type { NodeRecord } from '../registry/model.js';
import { eventSources } from '../registry/event-sources.js';
import { type RecordFilter, type RegistryEvent, WatchPipeline } from '../registry/watch/pipeline.js';
import { type LineWidths, type LiveRow, formatClock, layoutLiveScreen, liveScreenText, eventJson, renderEventLine } from '../render/events.js';
import { safeText } from '../render/sanitize.js';
import type { Style } from '../render/table.js';
import { onTerminate, outputFailed } from '../signals.js';
import { type Runner, collect, parseRevision, withExamples } from './command.js';

interface WatchOptions {
  selector?: string[];
  initial?: boolean;
  live?: boolean;
  count?: string;
  for?: string;
  sinceRevision?: string;
}

/** What a watch shows events on. */
interface EventOutput {
  /** The pipeline has its first state; `shown` are the records that pass the filter. */
  started(shown: readonly NodeRecord[], revision: string): void;
  event(event: RegistryEvent): void;
  status(state: 'reconnecting' | 'resumed', detail: string): void;
  warn(message: string): void;
  close(): void;
}

/** A whole number, 1 or more (--count, --nodes). */
export const parseCount = (text: string, flag = '--count'): number => parseWholeNumber(text, flag, 1);

/** "3 services, 5 nodes" of the records shown. */
export function describeShown(records: readonly NodeRecord[]): string {
  const services = new Set(records.map((r) => `${r.domain ?? ''}\0${r.service.name}`)).size;
  return `${services} service${services === 1 ? '' : 's'}, ${records.length} node${records.length === 1 ? '' : 's'}`;
}

export interface FollowHandlers {
  event(event: RegistryEvent, pipeline: WatchPipeline): void;
  /** Back-pressure from the output (PipelineHandlers.ready). */
  ready?(): Promise<void> | undefined;
  status(state: 'reconnecting' | 'resumed', detail: string): void;
  warn(message: string): void;
}

/**
 * Starts the event pipeline of this invocation's registry (reads first, with the request deadline,
 * then watches from there). Events that arrive while it starts (--initial) are held until it has.
 * Used by `watch` and `wait`.
 */
export async function startPipeline(
  ctx: CommandContext,
  filter: RecordFilter,
  initial: boolean,
  handlers: FollowHandlers,
  fail: (error: unknown) => void,
  sinceRevision?: string,
): Promise<WatchPipeline & { release(): void }> {
  const registry = await ctx.registry();
  const sources = await eventSources(registry, sinceRevision !== undefined ? { sinceRevision } : {});
  let held: RegistryEvent[] | undefined = [];
  const pipeline: WatchPipeline = new WatchPipeline(
    sources,
    filter,
    {
      event: (e) => (held ? held.push(e) : handlers.event(e, pipeline)),
      ready: () => handlers.ready?.(),
      status: (state, detail) => handlers.status(state, detail),
      malformed: (m) => {
        if (ctx.config.strict) ctx.reportMalformed([m]);
        handlers.warn(`skipped malformed record ${m.key}: ${m.reason}`);
      },
      failed: fail,
    },
    { initial },
  );
  const stop = startSpinner(ctx.io, 'reading the registry…');
  try {
    await pipeline.start();
  } catch (e) {
    pipeline.stop();
    throw e;
  } finally {
    stop();
  }
  return Object.assign(pipeline, {
    /** Releases the events held during start, after the caller has said it started. */
    release() {
      const pending = held ?? [];
      held = undefined;
      for (const e of pending) handlers.event(e, pipeline);
    },
  });
}

/** Lines on stdout: for people, or one document per event (-o json, yaml, jsonpath: `documents`). */
function lineOutput(ctx: CommandContext, documents: ((doc: unknown, prettyOnTerminal: boolean) => void) | undefined): EventOutput {
  const style = ctx.style();
  const widths: LineWidths = [];
  return {
    started: (shown, revision) => ctx.info(`watching ${describeShown(shown)} at revision ${revision}`),
    // JSON: one compact line per event, on a terminal too (a stream is read line by line).
    event: (e) => (documents ? documents(eventJson(e), false) : ctx.io.stdout.write(renderEventLine(e, style, widths))),
    status: (state, detail) => (state === 'reconnecting' ? ctx.info(`(${detail})`, ctx.paintErr.yellow('reconnecting…')) : ctx.info(detail)),
    warn: (message) => ctx.warn(message),
    close: () => undefined,
  };
}

/** How long a changed row keeps its colour on the live screen. */
const markMs = 3000;
const redrawEveryMs = 100;
const recentLines = 5;
/** Keepalives renew leases without a change to watch: TTLs are asked for again this often, and counted down between. */
const ttlRefreshMs = 10_000;

/** The keys of the live screen, as a terminal in raw mode sends them. */
const liveKeyActions: Record<string, 'quit' | 'up' | 'down' | 'pageUp' | 'pageDown' | 'home' | 'end'> = {
  q: 'quit',
  Q: 'quit',
  '\x1b': 'quit',
  '\x03': 'quit',
  '\x1b[A': 'up',
  '\x1bOA': 'up',
  k: 'up',
  '\x1b[B': 'down',
  '\x1bOB': 'down',
  j: 'down',
  '\x1b[5~': 'pageUp',
  '\x1b[6~': 'pageDown',
  ' ': 'pageDown',
  '\x1b[H': 'home',
  '\x1b[1~': 'home',
  '\x1b[F': 'end',
  '\x1b[4~': 'end',
};

/**
 * The --live screen: the alternate screen of the terminal, redrawn at most every 100 ms and every second
 * (the TTLs count down), at once on a resize, restored on close. Keys come from the terminal in raw mode;
 * `quit` ends the watch.
 */
function liveOutput(ctx: CommandContext, describe: string, shownNow: () => NodeRecord[], revisionNow: () => string, quit: () => void): EventOutput {
  const io = ctx.io;
  const wide = ctx.output === 'wide';
  // Width and height are read at each draw: a resized terminal gets a screen of its new size.
  const style = (): Style => ({ ...ctx.style(), width: io.columns(), wide });
  // By layout and key: a legacy (v3) and a v2 record may share a key under --layout auto.
  const marks = new Map<string, { mark: RegistryEvent['action']; at: number; record: NodeRecord }>();
  const markKey = (record: NodeRecord): string => `${record.layout}\0${record.key}`;
  const recent: string[] = [];
  const recentWidths: LineWidths = [];
  /** Seconds left on each lease when it was asked, and when. */
  const leases = new Map<string, { ttl: number; at: number }>();
  let status = 'connected';
  let redrawTimer: NodeJS.Timeout | undefined;
  let lastDraw = 0;
  let open = false;
  let scroll = 0;
  let page = 1;
  let maxScroll = 0;
  const undo: (() => void)[] = [];

  const draw = (): void => {
    redrawTimer = undefined;
    lastDraw = Date.now();
    const now = Date.now();
    for (const [key, m] of marks) if (now - m.at > markMs) marks.delete(key);
    const rows: LiveRow[] = shownNow().map((record) => {
      const m = marks.get(markKey(record));
      return m && m.mark !== 'delete' ? { record, mark: m.mark } : { record };
    });
    // Deleted nodes stay on screen, struck through, while their mark lasts.
    for (const m of marks.values()) if (m.mark === 'delete') rows.push({ record: m.record, mark: 'delete' });
    const shown = rows.filter((r) => r.mark !== 'delete').map((r) => r.record);
    const ttls = new Map<string, number>();
    for (const [lease, t] of leases) ttls.set(lease, t.ttl < 0 ? t.ttl : t.ttl - Math.floor((now - t.at) / 1000));
    const title = `micro-reg watch ${describe} — ${describeShown(shown)} — revision ${revisionNow()} — ${formatClock(new Date())}`;
    const layout = layoutLiveScreen({ title, status, rows, recent, ttls, scroll, now }, style(), io.rows?.() ?? 24);
    ({ scroll, maxScroll, page } = layout);
    io.stdout.write(liveScreenText(layout.lines));
  };
  const schedule = (): void => {
    if (redrawTimer || !open) return;
    redrawTimer = setTimeout(draw, Math.max(0, redrawEveryMs - (Date.now() - lastDraw)));
  };
  // TTLs: asked for the leases not known yet, and for all of them every ttlRefreshMs. A failure leaves them unknown (`?`).
  let asking = false;
  const askTtls = (all: boolean): void => {
    if (asking) return;
    const records = shownNow().filter((r) => r.lease !== undefined && (all || !leases.has(r.lease)));
    if (records.length === 0) return;
    asking = true;
    void ctx
      .registry()
      .then((registry) => registry.leaseTtls(records))
      .then((ttls) => {
        const at = Date.now();
        for (const [lease, ttl] of ttls) leases.set(lease, { ttl, at });
        schedule();
      })
      .catch(() => undefined)
      .finally(() => {
        asking = false;
      });
  };
  const ticker = setInterval(() => open && draw(), 1000);
  const refresher = setInterval(() => open && askTtls(true), ttlRefreshMs);

  const onKey = (data: Buffer | string): void => {
    const text = data.toString();
    const action = liveKeyActions[text] ?? (text.startsWith('\x03') || text === 'q\r' ? 'quit' : undefined);
    if (action === undefined) return;
    if (action === 'quit') return quit();
    if (action === 'up') scroll--;
    if (action === 'down') scroll++;
    if (action === 'pageUp') scroll -= page;
    if (action === 'pageDown') scroll += page;
    if (action === 'home') scroll = 0;
    if (action === 'end') scroll = maxScroll;
    scroll = Math.min(Math.max(0, scroll), maxScroll);
    draw();
  };
  const listenToKeys = (): void => {
    const stdin = io.stdin as Partial<ReadStream> & typeof io.stdin;
    if (!io.stdinIsTTY || typeof stdin.setRawMode !== 'function') return;
    stdin.setRawMode(true);
    stdin.on('data', onKey);
    stdin.resume();
    undo.push(() => {
      stdin.off('data', onKey);
      stdin.setRawMode?.(false);
      stdin.pause();
    });
  };
  return {
    started: (shown, revision) => {
      ctx.info(`watching ${describeShown(shown)} at revision ${revision}`);
      io.stdout.write('\x1b[?1049h\x1b[?25l\x1b[2J');
      open = true;
      listenToKeys();
      if (io.onResize) undo.push(io.onResize(() => open && draw()));
      draw();
      askTtls(false);
    },
    event: (e) => {
      marks.set(markKey(e.record), { mark: e.action, at: Date.now(), record: e.record });
      recent.push(renderEventLine(e, { ...style(), tty: true, wide: false }, recentWidths).trimEnd());
      if (recent.length > recentLines) recent.shift();
      // A new lease, or a lease granted again: ask for its TTL.
      if (e.action !== 'delete' && e.record.lease !== undefined && e.previous?.lease !== e.record.lease) leases.delete(e.record.lease);
      askTtls(false);
      schedule();
    },
    status: (state, detail) => {
      status = state === 'reconnecting' ? style().paint.yellow(safeText(`reconnecting… (${detail})`, style())) : safeText(`connected (${detail})`, style());
      if (!io.stderrIsTTY) ctx.info(state === 'reconnecting' ? `reconnecting… (${detail})` : detail);
      schedule();
    },
    warn: (message) => {
      status = style().paint.yellow(safeText(message, style()));
      if (!io.stderrIsTTY) ctx.warn(message);
      schedule();
    },
    close: () => {
      clearInterval(ticker);
      clearInterval(refresher);
      if (redrawTimer) clearTimeout(redrawTimer);
      for (const u of undo.splice(0)) u();
      if (open) io.stdout.write('\x1b[?25h\x1b[?1049l');
      open = false;
    },
  };
}

export function watchCommand(run: Runner): Command {
  const cmd = new Command('watch')
    .argument('[service...]', 'service names or globs, e.g. go.micro.srv.greeter "go.micro.api.*" (none: every service)')
    .option('-l, --selector <key=value>', 'only nodes whose metadata has key=value (repeatable, all must match)', collect)
    .option('--initial', 'first print the nodes registered now, as create events')
    .option('--live', 'a full-screen table of the current nodes, redrawn on change (terminal only)')
    .option('--count <n>', 'exit after N events')
    .option('--for <duration>', 'exit after this long, e.g. 30s or 5m')
    .option('--since-revision <rev>', 'first replay every change after this etcd revision, then go on live (v3 layouts)')
    .action(
      run(async (ctx, services: string[], opts: WatchOptions) => {
        ctx.requireOutput('watch');
        const selectors = parseSelectors(opts.selector);
        const matchName = await nameMatcher(services);
        const count = opts.count === undefined ? undefined : parseCount(opts.count);
        const forMs = opts.for === undefined ? undefined : parseDuration(opts.for, '--for');
        if (forMs !== undefined && forMs <= 0) throw new UsageError('invalid --for: it must be more than 0');
        if (opts.live && ctx.document) throw new UsageError(`--live draws a table: it does not go with -o ${ctx.output}`);
        if (opts.live && !ctx.io.stdoutIsTTY) throw new UsageError('--live needs a terminal', 'without --live, watch prints one line per event');
        if (opts.live && opts.initial) throw new UsageError('--live already shows the current nodes: drop --initial');
        const sinceRevision = parseRevision(opts.sinceRevision, '--since-revision');
        const filter: RecordFilter = (r) => matchName(r.service.name) && matchesSelectors(r, selectors);

        let finish: (error?: unknown) => void = () => undefined;
        const finished = new Promise<void>((resolve, reject) => {
          finish = (error) => (error === undefined ? resolve() : reject(error));
        });
        // It may fail before it is awaited (a malformed record with --strict while starting).
        finished.catch(() => undefined);
        // Loaded before the first event, so that each is written as it comes, in order.
        const documents = ctx.document ? (await ctx.documentWriter()).writeStream : undefined;
        let emitted = 0;
        let output: EventOutput | undefined;
        const describe = services.length === 0 ? 'all services' : services.join(' ');
        const pipeline = await startPipeline(
          ctx,
          filter,
          opts.initial ?? false,
          {
            event: (e) => {
              if (count !== undefined && emitted >= count) return;
              output?.event(e);
              emitted++;
              if (count !== undefined && emitted >= count) finish();
            },
            status: (state, detail) => output?.status(state, detail),
            warn: (message) => (output ? output.warn(message) : ctx.warn(message)),
            // Lines wait for a slow reader; the --live screen redraws on a timer and is never behind.
            ready: () => (opts.live ? undefined : ctx.io.stdoutReady?.()),
          },
          (error) => finish(error),
          sinceRevision,
        );
        output = opts.live ? liveOutput(ctx, describe, () => pipeline.shown(), () => pipeline.revision, () => finish()) : lineOutput(ctx, documents);
        const stopListening = onTerminate((why, error) => finish(why === 'output' && error ? outputFailed(error) : undefined));
        const timer = forMs === undefined ? undefined : setTimeout(() => finish(), forMs);
        try {
          output.started(pipeline.shown(), pipeline.revision);
          pipeline.release();
          await finished;
        } finally {
          if (timer) clearTimeout(timer);
          stopListening();
          pipeline.stop();
          output.close();
        }
      }),
    );
  return withExamples(cmd, [
    'micro-reg watch go.micro.srv.greeter',
    'micro-reg watch "go.micro.*" --selector server=grpc -o json | jq -c "{action, reason}"',
    'micro-reg watch --live',
  ]);
}
