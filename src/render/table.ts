// Pure renderers for people: tables on a terminal (cli-table3, colour, fitted to the width) and the
// same columns tab-separated when piped. They take data and a Style and return strings.
import Table from 'cli-table3';
import type { ChalkInstance } from 'chalk';
import stringWidth from 'string-width';
import type { Metadata, NodeView, ServiceView, Value } from '../registry/model.js';
import { markEscapes, sanitize } from './sanitize.js';
import { compareAddresses } from './sort-by.js';

/** How to draw: on a terminal or piped, with which colours, how wide. */
export interface Style {
  tty: boolean;
  /** A chalk instance whose level already says whether colour is on. */
  paint: ChalkInstance;
  width: number;
  wide: boolean;
  /** --no-headers: tables without their heading line (for scripts reading the rows). */
  noHeaders?: boolean;
}

// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[[0-9;]*m/g;

/** Terminal cells a string takes: CJK and most emoji take two, colour codes none (string-width, as cli-table3 measures). */
/** Most cells (names, ids, addresses) are plain ASCII: one cell a character, no need to ask string-width. */
const printableAscii = /^[\x20-\x7e]*$/;
export const cellWidth = (s: string): number => (printableAscii.test(s) ? s.length : stringWidth(s));

const segmenter = new Intl.Segmenter();
/** User-perceived characters: a flag, a ZWJ emoji sequence or an accented letter is cut whole or not at all. */
const graphemes = (s: string): string[] => Array.from(segmenter.segment(s), (g) => g.segment);

/** The start of `s` that fits `width` cells. */
function headFitting(parts: readonly string[], width: number): string {
  let out = '';
  let used = 0;
  for (const g of parts) {
    const w = cellWidth(g);
    if (used + w > width) break;
    out += g;
    used += w;
  }
  return out;
}

/** The end of `s` that fits `width` cells. */
function tailFitting(parts: readonly string[], width: number): string {
  let out = '';
  let used = 0;
  for (let i = parts.length - 1; i >= 0; i--) {
    const w = cellWidth(parts[i]!);
    if (used + w > width) break;
    out = parts[i]! + out;
    used += w;
  }
  return out;
}

/** Cuts a plain (uncoloured) cell to `width` cells, marking the cut with an ellipsis at the end. */
export function truncateEnd(cell: string, width: number): string {
  if (cellWidth(cell) <= width) return cell;
  if (width <= 0) return '';
  return `${headFitting(graphemes(cell), width - 1)}…`;
}

/**
 * Cuts a plain cell to `width` cells in the middle, so that both ends stay readable: service names
 * differ at their end (`go.micro.srv.…delivery-worker`), node ids at both (`greeter-d3e0…9e0f12`).
 */
export function truncateMiddle(cell: string, width: number): string {
  if (cellWidth(cell) <= width) return cell;
  if (width <= 0) return '';
  const parts = graphemes(cell);
  const room = width - 1;
  const head = headFitting(parts, Math.ceil(room / 2));
  const tail = tailFitting(parts, room - cellWidth(head));
  return `${head}…${tail}`;
}

/** A cell: its plain text (measured and cut) and the colour painted on what is left of it. */
export interface Cell {
  text: string;
  paint?: (text: string) => string;
}

/** A column of a fitted table and how it gives way when the terminal is narrow. */
export interface Column {
  head: string;
  /**
   * How much it matters (higher stays longer). A narrow terminal first shrinks the shrinkable columns
   * of the lowest priority, then drops its optional ones, then goes on to the next priority.
   */
  priority?: number;
  /** How the column gives up width: cut at the end (metadata, type trees) or in the middle (names, ids). Absent: it keeps its width. */
  shrink?: 'end' | 'middle';
  /** The fewest cells it shrinks to (never fewer than its heading). */
  min?: number;
  /** It may be left out when the table cannot fit otherwise. */
  optional?: boolean;
  /**
   * The priority tier at which an optional column is left out (default: its own). Metadata shrinks
   * first but is dropped only once the ids have shrunk too: a cut `zone=eu-…` still tells something.
   */
  dropAt?: number;
}

/** Spaces between two columns as cli-table3 draws them here (padding 1 + middle 1 + padding 1). */
export const columnGap = 3;
const defaultMin = { end: 12, middle: 12 } as const;

/** What fitting decided: the columns kept (by index, in order) and the cells each may take. */
export interface TableFit {
  keep: number[];
  widths: number[];
}

/**
 * Fits columns to `width` cells (pure; the unit of the tests). Tier by tier, lowest priority first:
 * the tier's shrinkable columns give up width (the widest first, down to their minimum), then its optional
 * columns are dropped (rightmost first); width a drop freed beyond the need goes back to the columns cut
 * before, most important first. When even that does not fit, the table is as narrow as it can be.
 */
export function fitColumns(columns: readonly Column[], rows: readonly (readonly string[])[], width: number): TableFit {
  // A loop, not Math.max(...rows): a service with 100,000 nodes must not overflow the argument list.
  const natural = columns.map((c, i) => rows.reduce((max, r) => Math.max(max, cellWidth(r[i] ?? '')), cellWidth(c.head)));
  const widths = [...natural];
  const present = new Set(columns.map((_, i) => i));
  const total = (): number => [...present].reduce((sum, i) => sum + widths[i]!, 0) + columnGap * Math.max(0, present.size - 1);
  const minOf = (i: number): number => {
    const c = columns[i]!;
    return Math.min(natural[i]!, Math.max(cellWidth(c.head), c.min ?? (c.shrink ? defaultMin[c.shrink] : natural[i]!)));
  };
  const priorityOf = (i: number): number => columns[i]!.priority ?? 0;
  const dropTierOf = (i: number): number => columns[i]!.dropAt ?? priorityOf(i);
  const tiers = [...new Set(columns.flatMap((_, i) => [priorityOf(i), dropTierOf(i)]))].sort((a, b) => a - b);
  for (const tier of tiers) {
    if (total() <= width) break;
    const shrinkable = [...present].filter((i) => priorityOf(i) === tier && columns[i]!.shrink !== undefined);
    // Widest first, one cell at a time: columns of a tier end up balanced, not one of them gone.
    let excess = total() - width;
    while (excess > 0) {
      let widest = -1;
      for (const i of shrinkable) if (widths[i]! > minOf(i) && (widest < 0 || widths[i]! > widths[widest]!)) widest = i;
      if (widest < 0) break;
      widths[widest]!--;
      excess--;
    }
    const droppable = [...present].filter((i) => dropTierOf(i) === tier && columns[i]!.optional).reverse();
    for (const i of droppable) {
      if (total() <= width) break;
      present.delete(i);
    }
  }
  // A dropped column may have freed more than was needed: give it back, most important column first.
  let slack = width - total();
  const regrow = [...present].filter((i) => widths[i]! < natural[i]!).sort((a, b) => priorityOf(b) - priorityOf(a) || a - b);
  for (const i of regrow) {
    if (slack <= 0) break;
    const add = Math.min(slack, natural[i]! - widths[i]!);
    widths[i]! += add;
    slack -= add;
  }
  return { keep: [...present].sort((a, b) => a - b), widths };
}

/**
 * How the columns of renderers that give plain headings (check, register, deregister, contexts) give
 * way, by heading: names and ids shrink in the middle, keys and errors at the end, keys go first.
 */
const columnsByHeading: Readonly<Record<string, Omit<Column, 'head'>>> = {
  SERVICE: { priority: 8, shrink: 'middle', min: 16 },
  NAME: { priority: 8, shrink: 'middle', min: 12 },
  VERSION: { priority: 6, shrink: 'middle', min: 8, optional: true, dropAt: 9 },
  NODE: { priority: 7, shrink: 'middle', min: 14 },
  ADDRESS: { priority: 7, optional: true, dropAt: 9 },
  DOMAIN: { priority: 3, shrink: 'end', min: 8, optional: true, dropAt: 9 },
  ENDPOINTS: { priority: 5, shrink: 'middle', min: 16 },
  'LATENCY/ERROR': { priority: 2, shrink: 'end', min: 14, optional: true, dropAt: 9 },
  METADATA: { priority: 0, shrink: 'end', min: 12 },
  KEY: { priority: 0, shrink: 'middle', min: 16, optional: true },
  TLS: { priority: 0, shrink: 'end', min: 12 },
  PREFIX: { priority: 1, shrink: 'middle', min: 12 },
};

type CellInput = string | Cell;
const asCell = (c: CellInput | undefined): Cell => (typeof c === 'string' ? { text: c } : (c ?? { text: '' }));
const plain = (c: Cell): string => c.text.replace(ansi, '');
const painted = (c: Cell, text: string): string => (c.paint ? c.paint(text) : text);

/** Tab-separated cells must not hold tabs or newlines of their own. */
const tsvCell = (s: string): string => s.replace(/[\t\r\n]+/g, ' ');

/**
 * One table: cli-table3 on a terminal, a header line and tab-separated rows when piped (never cut). On
 * a terminal, except with -o wide, the columns give way as their specs say so that every line fits
 * `style.width`. `head` may be plain headings (columns that keep their width) or Column specs;
 * `truncatable` marks plain headings whose columns may be cut at the end.
 */
export function renderTable(head: readonly (string | Column)[], rows: readonly (readonly CellInput[])[], style: Style, truncatable: readonly number[] = []): string {
  const columns: Column[] = head.map((h, i) => (typeof h !== 'string' ? h : truncatable.includes(i) ? { head: h, shrink: 'end' } : { head: h, priority: 4, ...columnsByHeading[h] }));
  const cells = rows.map((r) => columns.map((_, i) => asCell(r[i])));
  if (!style.tty) {
    const lines = [...(style.noHeaders ? [] : [columns.map((c) => c.head)]), ...cells.map((r) => r.map((c) => painted(c, c.text)))];
    return lines.length === 0 ? '' : lines.map((r) => r.map(tsvCell).join('\t')).join('\n') + '\n';
  }
  const texts = cells.map((r) => r.map(plain));
  // Data cells hold sanitised text: its escapes are painted dim, after cutting, before the cell's colour.
  const dim = (e: string): string => style.paint.dim(e);
  const fit = style.wide ? { keep: columns.map((_, i) => i), widths: columns.map(() => Number.MAX_SAFE_INTEGER) } : fitColumns(columns, texts, style.width);
  const cut = (i: number, text: string): string => {
    const w = fit.widths[i]!;
    if (cellWidth(text) <= w) return text;
    return columns[i]!.shrink === 'middle' ? truncateMiddle(text, w) : truncateEnd(text, w);
  };
  const table = new Table({
    head: fit.keep.map((i) => style.paint.bold(cut(i, columns[i]!.head))),
    style: { head: [], border: [], compact: true },
    chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' ' },
  });
  for (const r of cells) {
    table.push(
      fit.keep.map((i) => {
        const c = r[i]!;
        const text = plain(c);
        // A string that came painted (a caller's own colour) keeps it when whole; cut, it is repainted from its Cell.
        if (cellWidth(text) <= fit.widths[i]!) return c.text === text ? painted(c, markEscapes(text, dim)) : c.text;
        return painted(c, markEscapes(cut(i, text), dim));
      }),
    );
  }
  return table
    .toString()
    .split('\n')
    .slice(style.noHeaders ? 1 : 0)
    .map((line) => line.replace(/^ /, '').trimEnd())
    .join('\n')
    .concat('\n');
}

/** One line of text (a title) cut to the width on a terminal; piped, whole. */
export function fitLine(line: string, style: Style): string {
  return style.tty && !style.wide ? truncateEnd(line, style.width) : line;
}

/**
 * go-micro's own node metadata (what every go-micro server writes): shown after the keys people set
 * (zone, team, k8s.pod), so a narrow terminal cuts these rather than those.
 */
export const standardMetadataKeys: ReadonlySet<string> = new Set(['broker', 'protocol', 'registry', 'server', 'transport']);

/** Metadata as `k=v,…` for people: the keys people set first, then go-micro's standard ones, each alphabetically. JSON keeps plain key order. */
export function formatMetadata(m: Metadata): string {
  if (m === null) return '';
  const keys = Object.keys(m).sort();
  return [...keys.filter((k) => !standardMetadataKeys.has(k)), ...keys.filter((k) => standardMetadataKeys.has(k))].map((k) => `${k}=${m[k]}`).join(',');
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

/** The columns of `list`, most important kept longest: the name and version, then the counts. */
const listColumns = {
  name: { head: 'NAME', priority: 8, shrink: 'middle', min: 16 },
  version: { head: 'VERSION', priority: 8, shrink: 'middle', min: 10 },
  domain: { head: 'DOMAIN', priority: 4, shrink: 'end', min: 8, optional: true, dropAt: 8 },
  nodes: { head: 'NODES', priority: 9 },
  endpoints: { head: 'ENDPOINTS', priority: 3, optional: true, dropAt: 8 },
  layout: { head: 'LAYOUT', priority: 2, optional: true },
  addresses: { head: 'ADDRESSES', priority: 1, shrink: 'end' },
  metadata: { head: 'METADATA', priority: 0, shrink: 'end' },
} as const satisfies Record<string, Column>;

/** `list`: one row per name+version. */
export function renderServiceList(services: readonly ServiceView[], style: Style): string {
  const cols = columnSet(services);
  const head: Column[] = [listColumns.name, listColumns.version];
  if (cols.domain || style.wide) head.push(listColumns.domain);
  head.push(listColumns.nodes, listColumns.endpoints);
  if (cols.layout || style.wide) head.push(listColumns.layout);
  if (style.wide) head.push(listColumns.addresses, listColumns.metadata);
  const cyan = (t: string): string => style.paint.cyan(t);
  const rows = services.map((s) => {
    const row: Cell[] = [{ text: sanitize(s.name), paint: cyan }, { text: sanitize(s.version) || '-' }];
    if (cols.domain || style.wide) row.push({ text: s.domain === undefined ? '-' : sanitize(s.domain) });
    row.push({ text: String(s.nodes.length) }, { text: String(s.endpoints?.length ?? 0) });
    if (cols.layout || style.wide) row.push({ text: s.layout });
    if (style.wide) row.push({ text: sanitize(s.nodes.map((n) => n.address).sort(compareAddresses).join(',')) }, { text: sanitize(formatMetadata(s.metadata)) || '-' });
    return row;
  });
  return renderTable(head, rows, style);
}

/** The dim last line of `list` on a terminal: `12 services, 47 nodes` (services by name). */
export function renderTotals(services: readonly ServiceView[], style: Pick<Style, 'paint'>): string {
  const names = new Set(services.map((s) => s.name)).size;
  const nodes = services.reduce((n, s) => n + s.nodes.length, 0);
  return `${style.paint.dim(`${names} service${names === 1 ? '' : 's'}, ${nodes} node${nodes === 1 ? '' : 's'}`)}\n`;
}

/**
 * A duration for people, two units at most, as Go and kubectl print them: `45s`, `59m39s`, `2h0m`,
 * `3d4h`. Tables only: JSON keeps whole seconds.
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}

export function formatTtl(node: NodeView, paint: ChalkInstance): string {
  // v2 keys have a TTL of their own and no lease; a v2 key without one is permanent.
  if (node.lease === undefined && node.ttl === undefined) return paint.yellow(node.layout === 'v2' ? 'no ttl' : 'no lease');
  if (node.ttl === undefined || node.ttl === null) return '?';
  if (node.ttl < 0) return paint.red('expired');
  return formatDuration(node.ttl);
}

/** The columns of `get`: node ids and names give way in the middle, metadata and type trees at the end and first. */
const nodeColumns = {
  node: { head: 'NODE', priority: 6, shrink: 'middle', min: 14 },
  address: { head: 'ADDRESS', priority: 7, shrink: 'middle', min: 15 },
  ttl: { head: 'TTL', priority: 8 },
  metadata: { head: 'METADATA', priority: 0, shrink: 'end', min: 20, optional: true, dropAt: 6 },
  lease: { head: 'LEASE', priority: 1 },
  key: { head: 'KEY', priority: 1, shrink: 'middle' },
} as const satisfies Record<string, Column>;
const endpointColumns: Column[] = [
  { head: 'ENDPOINT', priority: 6, shrink: 'middle', min: 16 },
  { head: 'REQUEST', priority: 2, shrink: 'end', min: 12, optional: true },
  { head: 'RESPONSE', priority: 1, shrink: 'end', min: 12, optional: true },
  { head: 'METADATA', priority: 0, shrink: 'end', min: 12, optional: true },
];

/** `get`: per name+version a title, its nodes and its endpoints. */
export function renderServiceDetail(services: readonly ServiceView[], style: Style): string {
  const blocks = services.map((s) => {
    const name = sanitize(s.name);
    const version = sanitize(s.version) || '-';
    const title = [name, version];
    if (s.domain !== undefined) title.push(`domain=${sanitize(s.domain)}`);
    title.push(`layout=${s.layout}`);
    const meta = sanitize(formatMetadata(s.metadata));
    if (meta !== '') title.push(`metadata: ${meta}`);
    // The title is cut to the width like the tables; name and version are painted on what is left.
    let titleLine = fitLine(`${name} ${version}  ${title.slice(2).join('  ')}`, style);
    const bold = `${name} ${version}`;
    const dim = (e: string): string => style.paint.dim(e);
    titleLine = titleLine.startsWith(bold)
      ? `${style.paint.bold.cyan(markEscapes(name, dim))} ${style.paint.bold(markEscapes(version, dim))}${markEscapes(titleLine.slice(bold.length), dim)}`
      : style.paint.bold(markEscapes(titleLine, dim));
    const nodeHead: Column[] = [nodeColumns.node, nodeColumns.address, nodeColumns.ttl, nodeColumns.metadata];
    if (style.wide) nodeHead.push(nodeColumns.lease, nodeColumns.key);
    const nodeRows = s.nodes.map((n) => {
      const row: CellInput[] = [{ text: sanitize(n.id) }, { text: sanitize(n.address) }, formatTtl(n, style.paint), { text: sanitize(formatMetadata(n.metadata)) || '-' }];
      if (style.wide) row.push(n.lease ?? '-', { text: sanitize(n.key) });
      return row;
    });
    const endpoints = s.endpoints ?? [];
    const endpointRows = endpoints.map((e) => [e.name, formatValue(e.request), formatValue(e.response), formatMetadata(e.metadata) || '-'].map((t) => ({ text: sanitize(t) })));
    let out = `${titleLine}\n${renderTable(nodeHead, nodeRows, style)}`;
    out += endpointRows.length > 0 ? `\n${renderTable(endpointColumns, endpointRows, style)}` : '\n(no endpoints)\n';
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
