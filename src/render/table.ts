// Pure renderers for people: tables on a terminal (cli-table3, colour, fitted to the width) and the
// same columns tab-separated when piped. They take data and a Style and return strings.
import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import type { Metadata, NodeView, ServiceView, Value } from '../registry/model.js';
import { safeText, sanitize } from './sanitize.js';

/** How to draw: on a terminal or piped, with which colours, how wide. */
export interface Style {
  tty: boolean;
  /** A chalk instance whose level already says whether colour is on. */
  paint: ChalkInstance;
  width: number;
  wide: boolean;
}

// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[[0-9;]*m/g;
const visibleLength = (s: string): number => [...s.replace(ansi, '')].length;

/** Tab-separated cells must not hold tabs or newlines of their own. */
const tsvCell = (s: string): string => s.replace(/[\t\r\n]+/g, ' ');

/** Cuts a cell to `width` characters, marking the cut with an ellipsis (its colours, if any, dropped). */
function truncate(cell: string, width: number): string {
  const chars = [...cell.replace(ansi, '')];
  return chars.length <= width ? cell : `${chars.slice(0, Math.max(1, width - 1)).join('')}…`;
}

/**
 * Fits a table to the terminal as kubectl does: names and ids stay whole; the columns marked
 * truncatable (metadata, keys, type trees: plain text) give up width, widest first, down to 12 characters.
 */
function fitToWidth(head: string[], rows: string[][], width: number, truncatable: readonly number[]): string[][] {
  const gap = 3;
  const widths = head.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  let total = widths.reduce((a, b) => a + b + gap, 0);
  const min = 12;
  const limits = [...widths];
  while (total > width) {
    let widest = -1;
    for (const i of truncatable) if (limits[i]! > min && (widest < 0 || limits[i]! > limits[widest]!)) widest = i;
    if (widest < 0) break;
    limits[widest]!--;
    total--;
  }
  if (limits.every((l, i) => l === widths[i])) return rows;
  return rows.map((r) => r.map((cell, i) => (limits[i]! < widths[i]! ? truncate(cell, limits[i]!) : cell)));
}

/**
 * One table: cli-table3 on a terminal, a header line and tab-separated rows when piped. On a
 * terminal, except with -o wide, the `truncatable` columns are cut to fit the width.
 */
export function renderTable(head: string[], rows: string[][], style: Style, truncatable: readonly number[] = []): string {
  if (!style.tty) {
    return [head, ...rows].map((r) => r.map(tsvCell).join('\t')).join('\n') + '\n';
  }
  const fitted = style.wide ? rows : fitToWidth(head, rows, style.width, truncatable);
  const table = new Table({
    head: head.map((h) => style.paint.bold(h)),
    style: { head: [], border: [], compact: true },
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' ' },
  });
  for (const r of fitted) table.push(r);
  return table
    .toString()
    .split('\n')
    .map((line) => line.replace(/^ /, '').trimEnd())
    .join('\n')
    .concat('\n');
}

export function formatMetadata(m: Metadata): string {
  if (m === null) return '';
  return Object.keys(m)
    .sort()
    .map((k) => `${k}=${m[k]}`)
    .join(',');
}

/**
 * Protobuf internals that some go-micro versions leak into value trees (format reference 3.3):
 * APIv1 `XXX_*` fields (name "-"), APIv2 `state`/`sizeCache`/`unknownFields`. Kept in JSON, hidden here.
 */
export function isProtobufInternal(v: Value): boolean {
  return v.name === '-' || v.type === 'MessageState' || v.name === 'unknownFields' || (v.name === 'int32' && v.type === 'int32');
}

/** A compact type tree: `Request{name string, tags []string}`, two levels deep at most. */
export function formatValue(v: Value | null, depth = 0): string {
  if (v === null) return '-';
  const children = (v.values ?? []).filter((c) => !isProtobufInternal(c));
  if (children.length === 0) return v.type || v.name;
  if (depth >= 2) return `${v.type}{…}`;
  const fields = children.map((c) => {
    const inner = c.values && c.values.some((x) => !isProtobufInternal(x)) ? formatValue(c, depth + 1) : c.type;
    return `${c.name} ${inner}`;
  });
  return `${v.type}{${fields.join(', ')}}`;
}

function columnSet(services: readonly ServiceView[]): { domain: boolean; layout: boolean } {
  return {
    domain: services.some((s) => s.domain !== undefined),
    layout: new Set(services.map((s) => s.layout)).size > 1,
  };
}

/** `list`: one row per name+version. */
export function renderServiceList(services: readonly ServiceView[], style: Style): string {
  const cols = columnSet(services);
  const head = ['NAME', 'VERSION'];
  if (cols.domain || style.wide) head.push('DOMAIN');
  head.push('NODES', 'ENDPOINTS');
  if (cols.layout || style.wide) head.push('LAYOUT');
  if (style.wide) head.push('ADDRESSES', 'METADATA');
  const t = (text: string): string => safeText(text, style);
  const rows = services.map((s) => {
    const row = [style.paint.cyan(t(s.name)), t(s.version) || '-'];
    if (cols.domain || style.wide) row.push(t(s.domain ?? '-'));
    row.push(String(s.nodes.length), String(s.endpoints?.length ?? 0));
    if (cols.layout || style.wide) row.push(s.layout);
    if (style.wide) row.push(t(s.nodes.map((n) => n.address).join(',')), t(formatMetadata(s.metadata)) || '-');
    return row;
  });
  return renderTable(head, rows, style, [head.length - 1]);
}

export function formatTtl(node: NodeView, paint: ChalkInstance): string {
  // v2 keys have a TTL of their own and no lease; a v2 key without one is permanent.
  if (node.lease === undefined && node.ttl === undefined) return paint.yellow(node.layout === 'v2' ? 'no ttl' : 'no lease');
  if (node.ttl === undefined || node.ttl === null) return '?';
  if (node.ttl < 0) return paint.red('expired');
  return `${node.ttl}s`;
}

/** `get`: per name+version a title, its nodes and its endpoints. */
export function renderServiceDetail(services: readonly ServiceView[], style: Style): string {
  const t = (text: string): string => safeText(text, style);
  const blocks = services.map((s) => {
    const title = [`${style.paint.bold.cyan(t(s.name))} ${style.paint.bold(t(s.version) || '-')}`];
    if (s.domain !== undefined) title.push(`domain=${t(s.domain)}`);
    title.push(`layout=${s.layout}`);
    const meta = t(formatMetadata(s.metadata));
    if (meta !== '') title.push(`metadata: ${meta}`);
    const nodeHead = ['NODE', 'ADDRESS', 'TTL', 'METADATA'];
    if (style.wide) nodeHead.push('LEASE', 'KEY');
    const nodeRows = s.nodes.map((n) => {
      const row = [t(n.id), t(n.address), formatTtl(n, style.paint), t(formatMetadata(n.metadata)) || '-'];
      if (style.wide) row.push(n.lease ?? '-', t(n.key));
      return row;
    });
    const endpoints = s.endpoints ?? [];
    const endpointRows = endpoints.map((e) => [t(e.name), t(formatValue(e.request)), t(formatValue(e.response)), t(formatMetadata(e.metadata)) || '-']);
    let out = `${title.join('  ')}\n${renderTable(nodeHead, nodeRows, style, [3])}`;
    out += endpointRows.length > 0 ? `\n${renderTable(['ENDPOINT', 'REQUEST', 'RESPONSE', 'METADATA'], endpointRows, style, [1, 2, 3])}` : '\n(no endpoints)\n';
    return out;
  });
  return blocks.join('\n');
}

/**
 * `list -o names`: one service name a line, each once; a name holding a newline stays one line, escaped
 * (the escapes dim when `style` paints, on a terminal).
 */
export function renderNames(services: readonly ServiceView[], style?: Pick<Style, 'paint'>): string {
  const names = [...new Set(services.map((s) => sanitize(s.name, style?.paint.dim)))];
  return names.length === 0 ? '' : `${names.join('\n')}\n`;
}
