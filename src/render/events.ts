// Pure renderers for `watch`: one line per event for people, one JSON line per event for pipelines,
// and the full-screen table of `--live`. Data in, strings out.
import { compareRecords, groupServices } from '../registry/codec.js';
import type { Endpoint, Metadata, NodeRecord } from '../registry/model.js';
import type { RegistryEvent, WatchAction } from '../registry/watch.js';
import { serviceJson } from './json.js';
import { safeJson, safeText } from './sanitize.js';
import { type Style, renderTable } from './table.js';

const pad2 = (n: number): string => String(n).padStart(2, '0');

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

function paintAction(action: WatchAction, style: Style): string {
  const text = action.padEnd(6);
  if (action === 'create') return style.paint.green(text);
  if (action === 'update') return style.paint.yellow(text);
  return style.paint.red(text);
}

/**
 * One event for people: time, action, service, version, node id, address, then what an update
 * changed or why a node went. Space-aligned on a terminal; tab-separated when piped.
 */
export function renderEventLine(event: RegistryEvent, style: Style): string {
  const { record } = event;
  const node = record.service.nodes[0];
  const t = (text: string): string => safeText(text, style);
  const fields = [
    style.paint.dim(formatClock(event.time)),
    style.tty ? paintAction(event.action, style) : event.action,
    style.paint.cyan(t(record.service.name)),
    t(record.service.version) || '-',
    t(node?.id ?? '-'),
    t(node?.address || '-'),
  ];
  const notes: string[] = [];
  if (record.domain !== undefined) notes.push(`domain=${t(record.domain)}`);
  if (event.action === 'update' && event.previous) notes.push(t(describeUpdate(event.previous, record).join(', ')));
  if (event.action === 'delete') {
    const reason = event.reason ?? 'reason unknown';
    notes.push(event.reason === 'expired' ? style.paint.red(reason) : reason);
  }
  if (event.resync) notes.push(style.paint.magenta('(resync)'));
  if (style.wide) notes.push(`key=${t(record.key)}`, `revision=${event.revision}`);
  if (!style.tty) return `${[...fields, ...notes].join('\t')}\n`;
  return `${[...fields, ...notes].join('  ')}\n`;
}

/** design.md: `{"action", "service":{…one node…}, "key", "revision", "time", "reason"?}`, plus `resync` after a resync. */
export function eventJson(event: RegistryEvent): Record<string, unknown> {
  const [service] = groupServices([event.record]);
  const out: Record<string, unknown> = {
    action: event.action,
    service: service ? serviceJson(service) : null,
    key: event.record.key,
    revision: Number(event.revision),
    time: event.time.toISOString(),
  };
  if (event.reason !== undefined) out.reason = event.reason;
  if (event.resync) out.resync = true;
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
  /** The latest event lines, newest last. */
  recent: readonly string[];
}

/**
 * The `--live` screen as text for a terminal of `height` lines: the title, a table of nodes sorted by
 * service, version and node (created rows green, updated yellow, deleted red until they fade), and the
 * latest events. Each line clears the rest of its terminal line; the screen below is cleared.
 */
export function renderLiveScreen(screen: LiveScreen, style: Style, height: number): string {
  const rows = [...screen.rows].sort((a, b) => compareRecords(a.record, b.record));
  const showDomain = rows.some((r) => r.record.domain !== undefined);
  const head = ['SERVICE', 'VERSION', ...(showDomain ? ['DOMAIN'] : []), 'NODE', 'ADDRESS', 'LEASE'];
  const paintRow = (mark: WatchAction | undefined, cells: string[]): string[] => {
    if (mark === 'create') return cells.map((c) => style.paint.green(c));
    if (mark === 'update') return cells.map((c) => style.paint.yellow(c));
    if (mark === 'delete') return cells.map((c) => style.paint.red.strikethrough(c));
    return cells;
  };
  const t = (text: string): string => safeText(text, style);
  const tableRows = rows.map(({ record, mark }) => {
    const node = record.service.nodes[0];
    return paintRow(mark, [
      t(record.service.name),
      t(record.service.version) || '-',
      ...(showDomain ? [t(record.domain ?? '-')] : []),
      t(node?.id ?? '-'),
      t(node?.address || '-'),
      record.lease === undefined ? 'none' : leaseText(record.lease),
    ]);
  });
  // The title names what is watched (the command line's patterns); the status is painted by the caller,
  // from text it sanitised first.
  const header = [style.paint.bold(t(screen.title)), screen.status];
  const recent = screen.recent.length > 0 ? ['', style.paint.bold('Recent changes'), ...screen.recent] : [];
  const table = rows.length > 0 ? renderTable(head, tableRows, { ...style, tty: true }).replace(/\n$/, '').split('\n') : [style.paint.dim('(no nodes)')];
  // Keep the title and the recent changes; the table gives way on a short terminal.
  const room = Math.max(3, height - header.length - 1 - recent.length);
  let body = table;
  if (table.length > room) {
    body = table.slice(0, room - 1);
    body.push(style.paint.dim(`… ${table.length - body.length} more lines (enlarge the terminal)`));
  }
  const lines = [...header, '', ...body, ...recent].slice(0, Math.max(1, height));
  return `\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\n')}\x1b[J`;
}
