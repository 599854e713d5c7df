// Pure renderers of a registry comparison: unified-diff-like lines (`+` added, `-` removed, `~` changed;
// coloured on a terminal, plain when piped) and the JSON list of changes. Every name, id, address and
// metadata value came from etcd or a user's file: text output shows it through sanitize().
import type { Endpoint, Value } from '../registry/model.js';
import type { DiffChange, DiffSummary, FieldChange } from '../registry/compare.js';
import type { ApplyPlan, DesiredRecord } from '../registry/snapshot.js';
import type { WriteOutcome } from '../registry/store.js';
import { sanitize } from './sanitize.js';
import { formatValue, type Style } from './table.js';
import { renderJson } from './json.js';

const sign: Record<DiffChange['op'], string> = { add: '+', remove: '-', change: '~' };

function isEndpoint(v: unknown): v is Endpoint {
  return typeof v === 'object' && v !== null && 'name' in v && 'request' in v;
}

/** A field's value in a line: value trees as `Request{name string}`, endpoints by their types, text as is. */
function shown(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'string') return v;
  if (isEndpoint(v)) return `${formatValue(v.request)} -> ${formatValue(v.response)}`;
  if (typeof v === 'object' && 'type' in v) return formatValue(v as Value);
  return JSON.stringify(v);
}

function where(c: DiffChange): string {
  const version = c.version === undefined ? '' : ` ${c.version === '' ? '""' : c.version}`;
  const domain = c.domain === undefined ? '' : ` (domain ${c.domain})`;
  // The layout is named when it is not the default one, so that nodes of a mixed registry read apart.
  const layout = c.layout === undefined || c.layout === 'micro' || c.layout === 'domain' ? '' : ` [${c.layout}]`;
  return `${c.service}${version}${domain}${layout}`;
}

function fieldLine(f: FieldChange): string {
  if (f.op === 'add') return `${f.field}: ${shown(f.to)}`;
  if (f.op === 'remove') return `${f.field}: ${shown(f.from)}`;
  return `${f.field}: ${shown(f.from)} => ${shown(f.to)}`;
}

/**
 * One line per change, as a unified diff reads: `--- from` / `+++ to` headers, then `+ service`,
 * `+ version`, `+ node ID ADDRESS`, `- node …`, `~ node ID` followed by its indented field lines.
 */
export function renderDiff(changes: readonly DiffChange[], labels: { from: string; to: string }, style: Pick<Style, 'paint'>): string {
  const paint = style.paint;
  const colour = (op: DiffChange['op'], text: string): string => (op === 'add' ? paint.green(text) : op === 'remove' ? paint.red(text) : paint.yellow(text));
  const mark = (escaped: string): string => paint.dim(escaped);
  const safe = (text: string): string => sanitize(text, mark);
  const lines = [paint.bold(`--- ${safe(labels.from)}`), paint.bold(`+++ ${safe(labels.to)}`)];
  for (const c of changes) {
    if (c.kind === 'service') lines.push(colour(c.op, `${sign[c.op]} service ${safe(where(c))}`));
    else if (c.kind === 'version') lines.push(colour(c.op, `${sign[c.op]} version ${safe(where(c))}`));
    else if (c.op === 'change') {
      lines.push(colour('change', `~ node ${safe(where(c))} ${safe(c.node ?? '')}`));
      for (const f of c.fields ?? []) lines.push(colour(f.op, `${sign[f.op]}     ${safe(fieldLine(f))}`));
    } else lines.push(colour(c.op, `${sign[c.op]} node ${safe(where(c))} ${safe(c.node ?? '')} ${safe(c.address ?? '')}`));
  }
  return `${lines.join('\n')}\n`;
}

/** "2 nodes added, 1 removed, 1 changed", or "no differences". */
export function describeSummary(s: DiffSummary, groups = 0): string {
  if (s.added + s.removed + s.changed === 0) return groups === 0 ? 'no differences' : `${groups} service or version change${groups === 1 ? '' : 's'}`;
  return `${s.added} node${s.added === 1 ? '' : 's'} added, ${s.removed} removed, ${s.changed} changed`;
}

/** The list of changes as JSON: pretty on a terminal, compact when piped. */
export function renderDiffJson(changes: readonly DiffChange[], pretty: boolean): string {
  return renderJson(changes, pretty);
}

export interface AppliedResult {
  plan: ApplyPlan;
  outcomes: readonly WriteOutcome[];
  unchanged: readonly DesiredRecord[];
}

function outcomeWord(o: WriteOutcome, created: ReadonlySet<string>): 'created' | 'updated' | 'removed' {
  if (o.write.value === undefined) return 'removed';
  return created.has(`${o.write.layout}\0${o.write.key}`) ? 'created' : 'updated';
}

/** apply's report: one line per key written (`+ created`, `~ updated`, `- removed`); kept keys are warned about apart. */
export function renderApplied(result: AppliedResult, style: Pick<Style, 'paint'>): string {
  const created = new Set(result.plan.create.map((d) => `${d.layout}\0${d.key}`));
  const paint = style.paint;
  const lines: string[] = [];
  for (const o of result.outcomes) {
    if (!o.done) continue;
    const word = outcomeWord(o, created);
    // A v2 key and a legacy (v3) key can have the same name: say which store.
    const store = o.write.layout === 'v2' ? ' (v2 store)' : '';
    const text = `${word === 'created' ? '+' : word === 'removed' ? '-' : '~'} ${word} ${sanitize(o.write.key, (e) => paint.dim(e))}${store}`;
    lines.push(word === 'created' ? paint.green(text) : word === 'removed' ? paint.red(text) : paint.yellow(text));
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/** apply -o json: `{"created","updated","removed","unchanged":[keys…],"kept":[{"key","reason"}]}`. */
/** `apply -o json`: the keys created, updated, removed, unchanged, and those kept with why. */
export function applyJson(result: AppliedResult): { created: string[]; updated: string[]; removed: string[]; unchanged: string[]; kept: { key: string; reason: string }[] } {
  const created = new Set(result.plan.create.map((d) => `${d.layout}\0${d.key}`));
  const out = { created: [] as string[], updated: [] as string[], removed: [] as string[], unchanged: result.unchanged.map((d) => d.key), kept: [] as { key: string; reason: string }[] };
  for (const o of result.outcomes) {
    if (o.done) out[outcomeWord(o, created)].push(o.write.key);
    else out.kept.push({ key: o.write.key, reason: o.reason ?? 'changed' });
  }
  return out;
}

export function renderApplyJson(result: AppliedResult, pretty: boolean): string {
  return renderJson(applyJson(result), pretty);
}
