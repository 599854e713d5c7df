// `-o custom-columns=NAME:.path,…` (and `custom-columns-file=`) as kubectl has them: one row per item of
// the command's JSON document, one column per spec, each cell the JSONPath's values joined by ","
// (`<none>` when it finds nothing). Rendered as the other tables (width-aware on a terminal,
// tab-separated when piped). Pure.
import { type Path, evaluatePath, JsonPathError, parsePath, valueText } from './jsonpath.js';
import { type Column, type Style, renderTable } from './table.js';

export interface CustomColumn {
  head: string;
  path: Path;
}

export class CustomColumnsError extends Error {}

/** `{.a.b}` or `.a.b` (kubectl takes both), as a path; errors name the column's spec. */
function columnPath(spec: string, text: string): Path {
  const bare = text.startsWith('{') && text.endsWith('}') ? text.slice(1, -1) : text;
  try {
    return parsePath(bare);
  } catch (e) {
    if (e instanceof JsonPathError) throw new CustomColumnsError(`column "${spec}": ${e.message}`);
    throw e;
  }
}

/** `NAME:.name,VERSION:.version` */
export function parseCustomColumns(spec: string): CustomColumn[] {
  if (spec.trim() === '') throw new CustomColumnsError('no columns given: expected NAME:.path,…');
  return spec.split(',').map((part) => {
    const colon = part.indexOf(':');
    if (colon <= 0 || colon === part.length - 1) throw new CustomColumnsError(`column "${part}": expected HEADING:.path`);
    return { head: part.slice(0, colon), path: columnPath(part, part.slice(colon + 1)) };
  });
}

/** A custom-columns file: a line of headings, a line of paths (whitespace-separated), as kubectl reads it. */
export function parseCustomColumnsFile(text: string): CustomColumn[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length !== 2) throw new CustomColumnsError(`expected 2 lines (headings, then paths), found ${lines.length}`);
  const heads = lines[0]!.trim().split(/\s+/);
  const paths = lines[1]!.trim().split(/\s+/);
  if (heads.length !== paths.length) throw new CustomColumnsError(`${heads.length} headings but ${paths.length} paths`);
  return heads.map((head, i) => ({ head, path: columnPath(`${head}:${paths[i]}`, paths[i]!) }));
}

/** One cell: the path's values joined by ",", `<none>` for nothing (sanitised: data becomes text here). */
export function customCell(column: CustomColumn, item: unknown): string {
  const found = evaluatePath(column.path, item).filter((v) => v !== undefined);
  return found.length === 0 ? '<none>' : found.map(valueText).join(',');
}

/**
 * The table: on a narrow terminal the columns give way at their end (the widest first); when even
 * that cannot fit, the rightmost are left out (piped, every column is there, whole).
 */
export function renderCustomColumns(columns: readonly CustomColumn[], items: readonly unknown[], style: Style): string {
  const head: Column[] = columns.map((c, i) => ({ head: c.head, priority: 1, shrink: 'end', min: 8, optional: i > 0, dropAt: 2 }));
  return renderTable(head, items.map((item) => columns.map((c) => ({ text: customCell(c, item) }))), style);
}
