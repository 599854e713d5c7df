// Pure renderers for `watch`: one line per event for people, one JSON line per event for pipelines,
// and the full-screen table of `--live`. Data in, strings out.
import { compareRecords, groupServices } from '../registry/codec.js';
import type { Endpoint, Metadata, NodeRecord } from '../registry/model.js';
import type { RegistryEvent, WatchAction } from '../registry/watch/pipeline.js';
import { serviceJson } from './json.js';
import { recordNodeJson } from './node.js';
import { markEscapes, safeJson, sanitize } from './sanitize.js';
import { type Cell, type Column, type Style, cellWidth, formatDuration, renderTable, truncateEnd } from './table.js';

const pad2 = (n: number): string => String(n).padStart(2, '0');
// eslint-disable-next-line no-control-regex
const ansiEscapes = /\x1b\[[0-9;]*m/g;

/** Local wall-clock time with milliseconds: 15:04:05.123. */
export function formatClock(time: Date): string {
  return `${pad2(time.getHours())}:${pad2(time.getMinutes())}:${pad2(time.getSeconds())}.${String(time.getMilliseconds()).padStart(3, '0')}`;
}

function metadataChanges(was: Metadata, now: Metadata): string[] {
  const a = was ?? {};
  const b = now ?? {};
  const out: string[] = [];
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (!(k in a)) out.push(`+${k}=${b[k]}`);
    else if (!(k in b)) out.push(`-${k}`);
    else if (a[k] !== b[k]) out.push(`~${k}=${b[k]}`);
  }
  return out;
}

function endpointChanges(was: Endpoint[] | null, now: Endpoint[] | null): string[] {
  const a = new Map((was ?? []).map((e) => [e.name, JSON.stringify(e)]));
  const b = new Map((now ?? []).map((e) => [e.name, JSON.stringify(e)]));
  const out: string[] = [];
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (!a.has(name)) out.push(`+${name}`);
    else if (!b.has(name)) out.push(`-${name}`);
    else if (a.get(name) !== b.get(name)) out.push(`~${name}`);
  }
  return out;
}

/**
 * What an update changed, in words: address, version, node and service metadata (+added -removed
 * ~changed), endpoints, lease. A re-write of the same value says so.
 */
export function describeUpdate(previous: NodeRecord, record: NodeRecord): string[] {
  const was = previous.service;
  const now = record.service;
  const wasNode = was.nodes[0];
  const nowNode = now.nodes[0];
  const out: string[] = [];
  if (wasNode && nowNode && wasNode.address !== nowNode.address) out.push(`address ${wasNode.address} → ${nowNode.address}`);
  if (was.version !== now.version) out.push(`version ${was.version || '-'} → ${now.version || '-'}`);
  const meta = metadataChanges(wasNode?.metadata ?? null, nowNode?.metadata ?? null);
  if (meta.length > 0) out.push(`metadata ${meta.join(' ')}`);
  const serviceMeta = metadataChanges(was.metadata, now.metadata);
  if (serviceMeta.length > 0) out.push(`service metadata ${serviceMeta.join(' ')}`);
  const endpoints = endpointChanges(was.endpoints, now.endpoints);
  if (endpoints.length > 0) out.push(`endpoints ${endpoints.join(' ')}`);
  if (previous.lease !== record.lease) out.push(`lease ${leaseText(previous.lease)} → ${leaseText(record.lease)}`);
  if (out.length === 0) out.push('re-registered, no change');
  return out;
}

function leaseText(lease: string | undefined): string {
  return lease === undefined ? 'none' : BigInt(lease).toString(16);
}

/** Local time with the date and its offset (ISO 8601), for lines that outlive the terminal: 2026-01-02T03:04:05.067+01:00. */
export function formatTimestamp(time: Date): string {
  const offset = -time.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  const date = `${time.getFullYear()}-${pad2(time.getMonth() + 1)}-${pad2(time.getDate())}`;
  return `${date}T${formatClock(time)}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/**
 * Column widths of the event lines shown so far on a terminal: a column widens to its widest value
 * yet and never narrows, so lines stay aligned as they stream.
 */
export type LineWidths = number[];

/**
 * One event for people: time, action, service, version, node id, address, then the details (what an
 * update changed, why a node went, its domain), `-` when there are none; with -o wide also the key and
 * revision. On a terminal the columns are aligned (with `widths` carried from line to line) and the
 * time is the clock; piped, every line has the same number of tab-separated fields and the time
 * carries the date and offset.
 */
export function renderEventLine(event: RegistryEvent, style: Style, widths?: LineWidths): string {
  const { record } = event;
  const node = record.service.nodes[0];
  const text = [
    style.tty ? formatClock(event.time) : formatTimestamp(event.time),
    event.action,
    sanitize(record.service.name),
    sanitize(record.service.version) || '-',
    sanitize(node?.id ?? '-'),
    sanitize(node?.address || '-'),
  ];
  const paint: ((t: string) => string)[] = [
    (t) => style.paint.dim(t),
    (t) => (event.action === 'create' ? style.paint.green(t) : event.action === 'update' ? style.paint.yellow(t) : style.paint.red(t)),
    (t) => style.paint.cyan(t),
  ];
  const notes: string[] = [];
  if (record.domain !== undefined) notes.push(`domain=${sanitize(record.domain)}`);
  if (event.action === 'update' && event.previous) notes.push(sanitize(describeUpdate(event.previous, record).join(', ')));
  if (event.action === 'delete') {
    const reason = event.reason ?? 'reason unknown';
    notes.push(event.reason === 'expired' ? style.paint.red(reason) : reason);
  }
  if (event.resync) notes.push(style.paint.magenta('(resync)'));
  const details = notes.length > 0 ? notes.join(' ') : '-';
  const wide = style.wide ? [sanitize(record.key), event.revision] : [];
  if (!style.tty) return `${[...text.map((t, i) => (paint[i] ? paint[i]!(t) : t)), details, ...wide].join('\t')}\n`;
  const cells = text.map((t, i) => {
    const w = cellWidth(t);
    if (widths) widths[i] = Math.max(widths[i] ?? 0, w);
    const padded = markEscapes(t, (e) => style.paint.dim(e)) + ' '.repeat(Math.max(0, (widths?.[i] ?? w) - w));
    return paint[i] ? paint[i]!(padded) : padded;
  });
  return `${[...cells, details, ...wide].join('  ')}\n`;
}

/**
 * `{"action", "node":{…the one node shape…}, "key", "revision", "time", "reason"?, "resync"?}`; `service`
 * (go-micro's Service holding the node, the shape until now) is kept, deprecated, for one minor version.
 */
export function eventJson(event: RegistryEvent): Record<string, unknown> {
  const [service] = groupServices([event.record]);
  const out: Record<string, unknown> = {
    action: event.action,
    node: recordNodeJson(event.record),
    key: event.record.key,
    revision: Number(event.revision),
    time: event.time.toISOString(),
  };
  if (event.reason !== undefined) out.reason = event.reason;
  if (event.resync) out.resync = true;
  out.service = service ? serviceJson(service) : null;
  return out;
}

/** One compact JSON line, whatever the output is attached to. */
export function renderEventJson(event: RegistryEvent): string {
  return `${safeJson(JSON.stringify(eventJson(event)))}\n`;
}

/** A row of the live table, and how it changed lately (for colour). */
export interface LiveRow {
  record: NodeRecord;
  mark?: WatchAction;
}

export interface LiveScreen {
  /** The first line: what is watched, counts, revision, time. */
  title: string;
  /** Connection state, e.g. "connected" or "reconnecting…". */
  status: string;
  rows: readonly LiveRow[];
  /** The latest event lines (coloured or not), newest last. */
  recent: readonly string[];
  /** Seconds left on each lease (by decimal lease id) now; a lease not in it shows `?`. */
  ttls?: ReadonlyMap<string, number>;
  /** The first table row shown (↑/↓ PgUp/PgDn); clamped to what can be shown. */
  scroll?: number;
  /** Now, in ms since the epoch, for the countdown of v2 keys' TTLs. */
  now?: number;
}

/** What the live screen drew: its lines, and how far the table can scroll on this terminal. */
export interface LiveLayout {
  lines: string[];
  /** The scroll position used (the requested one, clamped). */
  scroll: number;
  maxScroll: number;
  /** Table rows one page holds (PgUp/PgDn move by this). */
  page: number;
}

/** The keys line at the bottom of the live screen. */
export const liveKeys = 'q quit · ↑/↓ PgUp/PgDn scroll';

/** TTL left of a record on the live screen: counting down from the lease (or, v2, from the key's expiration). */
function liveTtl(record: NodeRecord, screen: LiveScreen, style: Style): Cell {
  if (record.lease !== undefined) {
    const left = screen.ttls?.get(record.lease);
    if (left === undefined) return { text: '?' };
    return left < 0 ? { text: 'expired', paint: (t) => style.paint.red(t) } : { text: formatDuration(left) };
  }
  if (record.expiration !== undefined) {
    const left = Math.floor((Date.parse(record.expiration) - (screen.now ?? Date.now())) / 1000);
    return left < 0 ? { text: 'expired', paint: (t) => style.paint.red(t) } : { text: formatDuration(left) };
  }
  return { text: record.layout === 'v2' ? 'no ttl' : 'no lease', paint: (t) => style.paint.yellow(t) };
}

/**
 * The `--live` screen as lines for a terminal of `height` lines and `style.width` columns: the title
 * and status, a table of nodes sorted by service, version (version order) and node (created rows green,
 * updated yellow, deleted red until they fade), the latest events and a footer with the keys. Every
 * line is cut to the width, so none wraps, and there are never more lines than `height`, so the
 * terminal never scrolls: the table scrolls within its room instead, and the recent changes give up
 * their room first on a short terminal.
 */
export function layoutLiveScreen(screen: LiveScreen, style: Style, height: number): LiveLayout {
  const width = style.width;
  const fit = (line: string): string => truncateEnd(line, width);
  const rows = [...screen.rows].sort((a, b) => compareRecords(a.record, b.record));
  const showDomain = rows.some((r) => r.record.domain !== undefined);
  const head: Column[] = [
    // Narrow terminals: the version gives way first, then service and node id (in the middle), then the
    // address and version go; the TTL, what people watch here, stays.
    { head: 'SERVICE', priority: 7, shrink: 'middle', min: 16 },
    { head: 'VERSION', priority: 5, shrink: 'middle', min: 8, optional: true, dropAt: 8 },
    ...(showDomain ? [{ head: 'DOMAIN', priority: 2, shrink: 'end', min: 8, optional: true } satisfies Column] : []),
    { head: 'NODE', priority: 7, shrink: 'middle', min: 12 },
    { head: 'ADDRESS', priority: 4, optional: true, dropAt: 8 },
    { head: 'TTL', priority: 9 },
    ...(style.wide ? [{ head: 'LEASE', priority: 1, optional: true } satisfies Column] : []),
  ];
  const markPaint = (mark: WatchAction | undefined): ((t: string) => string) | undefined => {
    if (mark === 'create') return (t) => style.paint.green(t);
    if (mark === 'update') return (t) => style.paint.yellow(t);
    if (mark === 'delete') return (t) => style.paint.red.strikethrough(t);
    return undefined;
  };
  const tableRows = rows.map(({ record, mark }) => {
    const node = record.service.nodes[0];
    const paint = markPaint(mark);
    const cell = (text: string): Cell => (paint ? { text, paint } : { text });
    const ttl = liveTtl(record, screen, style);
    return [
      cell(sanitize(record.service.name)),
      cell(sanitize(record.service.version) || '-'),
      ...(showDomain ? [cell(record.domain === undefined ? '-' : sanitize(record.domain))] : []),
      cell(sanitize(node?.id ?? '-')),
      cell(sanitize(node?.address || '-')),
      paint ? cell(ttl.text) : ttl,
      ...(style.wide ? [cell(record.lease === undefined ? 'none' : leaseText(record.lease))] : []),
    ];
  });
  // The title names what is watched (the command line's patterns); the status is painted by the caller,
  // from text it sanitised first.
  const header = [style.paint.bold(fit(sanitize(screen.title))), fit(screen.status), ''];
  const footer = style.paint.dim(fit(liveKeys));
  const table = rows.length > 0 ? renderTable(head, tableRows, { ...style, tty: true, wide: false }).replace(/\n$/, '').split('\n') : [style.paint.dim('(no nodes)')];
  const [tableHead, ...body] = table;
  // A line that fits keeps its colours; one that does not is cut as plain text (an escape must not be cut in two).
  const recentLines = screen.recent.map((l) => (cellWidth(l) <= width ? l : fit(l.replace(ansiEscapes, ''))));
  const avail = Math.max(0, height - header.length - 1);
  // The table keeps its heading and a few rows; the recent changes take what is left, at most all of them.
  const tableMin = Math.min(table.length, 5);
  let recentRoom = screen.recent.length > 0 ? Math.min(2 + recentLines.length, avail - tableMin) : 0;
  if (recentRoom < 3) recentRoom = 0;
  const tableRoom = avail - recentRoom;
  let visible = body.length;
  let more = false;
  if (table.length > tableRoom) {
    visible = Math.max(0, tableRoom - 2);
    more = true;
  }
  const maxScroll = Math.max(0, body.length - visible);
  const scroll = Math.min(Math.max(0, screen.scroll ?? 0), maxScroll);
  const shownBody = body.slice(scroll, scroll + visible);
  const lines = [...header, tableHead!, ...shownBody];
  if (more) {
    const below = body.length - scroll - visible;
    const where = [below > 0 ? `${below} more below` : '', scroll > 0 ? `${scroll} above` : ''].filter((x) => x !== '').join(', ');
    lines.push(style.paint.dim(fit(`… ${where} (↑/↓ PgUp/PgDn; or enlarge the terminal)`)));
  }
  if (recentRoom > 0) lines.push('', style.paint.bold('Recent changes'), ...recentLines.slice(-(recentRoom - 2)));
  while (lines.length < height - 1) lines.push('');
  lines.splice(Math.max(0, height - 1));
  if (height > 0) lines.push(footer);
  return { lines, scroll, maxScroll, page: Math.max(1, visible) };
}

/** The live screen as what to write: home, each line cleared first (so a line of the full width does not wrap), the rest of the screen cleared. */
export function renderLiveScreen(screen: LiveScreen, style: Style, height: number): string {
  return liveScreenText(layoutLiveScreen(screen, style, height).lines);
}

export function liveScreenText(lines: readonly string[]): string {
  return `\x1b[H${lines.map((l) => `\x1b[2K${l}`).join('\r\n')}\x1b[J`;
}
