// kubectl's JSONPath templates (`-o jsonpath=…`), a documented subset, evaluated over the same document
// `-o json` prints. No npm package implements kubectl's template syntax (`{range}`/`{end}`, quoted
// literals, text between actions); the generic JSONPath packages take one bare expression. Pure.
//
// Supported (kubectl's reference, https://kubernetes.io/docs/reference/kubectl/jsonpath/):
//   text outside braces · {"quoted literal"} with \t \n \r \\ \" · {.} {$} {@} · {.a.b} · {['a b']}
//   {.a['x','y']} (union) · {.a[0]} {.a[-1]} {.a[1:3]} {.a[::2]} · {.a[*]} {.*} · {..name} (recursive)
//   {.a[?(@.x=="y")]} with == != < <= > >= or a bare @.x (exists, not false) · {range EXPR}…{end}
//   and, micro-reg's addition, `.length` of an array (for --sort-by .nodes.length).
// As kubectl's -o jsonpath, a missing key yields nothing (not an error); the results of one action are
// joined by a space; strings print raw, objects and arrays as JSON.
import { safeJson, sanitize } from './sanitize.js';

/** A template that does not parse: the message names the column (1-based) of the problem. */
export class JsonPathError extends Error {
  constructor(
    readonly reason: string,
    /** 0-based offset into the template. */
    readonly position: number,
  ) {
    super(`${reason} at column ${position + 1}`);
  }
}

type Literal = string | number | boolean | null;
type Compare = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type Segment =
  | { kind: 'field'; names: string[] }
  | { kind: 'index'; indices: number[] }
  | { kind: 'slice'; start?: number; end?: number; step?: number }
  | { kind: 'wildcard' }
  | { kind: 'recursive' }
  | { kind: 'filter'; path: Segment[]; op?: Compare; value?: Literal };

/** A path: `$`-rooted paths start from the document, others from the current item (the document outside a range). */
export interface Path {
  fromRoot: boolean;
  segments: Segment[];
}

type TemplateNode = { kind: 'text'; text: string } | { kind: 'path'; path: Path } | { kind: 'range'; path: Path; body: TemplateNode[] };

export interface Template {
  nodes: TemplateNode[];
}

const fieldChar = /[A-Za-z0-9_\-/$]/;

/** Parses one path expression (`.a[0].b`), `base` being its offset in the template (for error positions). */
export function parsePath(text: string, base = 0): Path {
  let i = 0;
  const fail = (reason: string, at = i): never => {
    throw new JsonPathError(reason, base + at);
  };
  const skipSpace = (): void => {
    while (text[i] === ' ') i++;
  };
  let fromRoot = false;
  if (text[i] === '$') {
    fromRoot = true;
    i++;
  } else if (text[i] === '@') i++;
  const segments: Segment[] = [];

  const readName = (): string => {
    const start = i;
    while (i < text.length && fieldChar.test(text[i]!)) i++;
    if (i === start) fail(text[i] === undefined ? 'a field name is missing' : `unexpected "${text[i]}"`);
    return text.slice(start, i);
  };
  const readQuoted = (): string => {
    const quote = text[i]!;
    const start = i;
    i++;
    let out = '';
    while (i < text.length && text[i] !== quote) {
      if (text[i] === '\\' && i + 1 < text.length) i++;
      out += text[i];
      i++;
    }
    if (i >= text.length) fail('unterminated quoted string', start);
    i++;
    return out;
  };
  const readNumber = (): number | undefined => {
    const m = /^-?\d+/.exec(text.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return Number(m[0]);
  };
  const readLiteral = (): Literal => {
    if (text[i] === '"' || text[i] === "'") return readQuoted();
    const m = /^(-?\d+(\.\d+)?|true|false|null)/.exec(text.slice(i));
    if (!m) return fail('expected a quoted string, number, true, false or null');
    i += m[0].length;
    return m[0] === 'true' ? true : m[0] === 'false' ? false : m[0] === 'null' ? null : Number(m[0]);
  };

  const readBracket = (): Segment => {
    const open = i;
    i++; // [
    skipSpace();
    let seg: Segment;
    if (text[i] === '*') {
      i++;
      seg = { kind: 'wildcard' };
    } else if (text[i] === '?') {
      i++;
      if (text[i] !== '(') fail('expected "(" after "?"');
      i++;
      skipSpace();
      if (text[i] !== '@') fail('a filter starts with @');
      const start = i;
      i++;
      // The filter's path runs to its operator or its ")", outside brackets and quotes.
      let depth = 0;
      while (i < text.length) {
        const d = text[i]!;
        if (d === '"' || d === "'") readQuoted();
        else if (d === '[') (depth++, i++);
        else if (d === ']') (depth--, i++);
        else if (depth === 0 && (d === ')' || d === ' ' || /^(==|!=|<|>)/.test(text.slice(i)))) break;
        else i++;
      }
      const path = parsePath(text.slice(start, i).trimEnd(), base + start).segments;
      skipSpace();
      const op = /^(==|!=|<=|>=|<|>)/.exec(text.slice(i))?.[0] as Compare | undefined;
      if (op !== undefined) {
        i += op.length;
        skipSpace();
        seg = { kind: 'filter', path, op, value: readLiteral() };
      } else seg = { kind: 'filter', path };
      skipSpace();
      if (text[i] !== ')') fail('expected ")" to close the filter');
      i++;
    } else if (text[i] === '"' || text[i] === "'") {
      const names = [readQuoted()];
      skipSpace();
      while (text[i] === ',') {
        i++;
        skipSpace();
        if (text[i] !== '"' && text[i] !== "'") fail('expected a quoted name');
        names.push(readQuoted());
        skipSpace();
      }
      seg = { kind: 'field', names };
    } else {
      const first = readNumber();
      skipSpace();
      if (text[i] === ':') {
        const parts: (number | undefined)[] = [first];
        while (text[i] === ':') {
          i++;
          skipSpace();
          parts.push(readNumber());
          skipSpace();
        }
        if (parts.length > 3) fail('a slice has at most start:end:step');
        if (parts[2] === 0) fail('a slice step cannot be 0');
        seg = { kind: 'slice', ...(parts[0] !== undefined && { start: parts[0] }), ...(parts[1] !== undefined && { end: parts[1] }), ...(parts[2] !== undefined && { step: parts[2] }) };
      } else {
        if (first === undefined) fail(text[i] === undefined || text[i] === ']' ? 'empty brackets' : `unexpected "${text[i]}" in brackets`);
        const indices = [first!];
        while (text[i] === ',') {
          i++;
          skipSpace();
          const n = readNumber();
          if (n === undefined) fail('expected an index');
          indices.push(n!);
          skipSpace();
        }
        seg = { kind: 'index', indices };
      }
    }
    skipSpace();
    if (text[i] !== ']') fail(`expected "]" to close "[" at column ${base + open + 1}`);
    i++;
    return seg;
  };

  // What follows `.` or `..`: a bracket (read as its own segment next), `*`, or a field name.
  const afterDot = (): void => {
    if (text[i] === '[') return;
    if (text[i] === '*') {
      i++;
      segments.push({ kind: 'wildcard' });
      return;
    }
    segments.push({ kind: 'field', names: [readName()] });
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '.') {
      if (text[i + 1] === '.') {
        i += 2;
        segments.push({ kind: 'recursive' });
        afterDot();
        continue;
      }
      i++;
      if (i >= text.length) break; // `.` alone: the current item
      afterDot();
    } else if (c === '[') {
      segments.push(readBracket());
    } else if (segments.length === 0 && i === (fromRoot || text[0] === '@' ? 1 : 0) && fieldChar.test(c!)) {
      // kubectl takes `{metadata.name}` for `{.metadata.name}`.
      segments.push({ kind: 'field', names: [readName()] });
    } else {
      fail(`unexpected "${c}"`);
    }
  }
  return { fromRoot, segments };
}

const unescapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };

/** Parses a whole template; throws JsonPathError naming the column of the first problem. */
export function parseTemplate(template: string): Template {
  const root: TemplateNode[] = [];
  const stack: { body: TemplateNode[]; at: number }[] = [{ body: root, at: 0 }];
  let i = 0;
  let text = '';
  const flush = (): void => {
    if (text !== '') stack.at(-1)!.body.push({ kind: 'text', text });
    text = '';
  };
  while (i < template.length) {
    const c = template[i]!;
    if (c !== '{') {
      if (c === '}') throw new JsonPathError('unmatched "}"', i);
      text += c;
      i++;
      continue;
    }
    flush();
    const open = i;
    // The action runs to the first "}" outside quotes.
    let j = i + 1;
    let quote: string | undefined;
    while (j < template.length) {
      const d = template[j]!;
      if (quote !== undefined) {
        if (d === '\\') j++;
        else if (d === quote) quote = undefined;
      } else if (d === '"' || d === "'") quote = d;
      else if (d === '}') break;
      else if (d === '{') throw new JsonPathError('unexpected "{" inside an action', j);
      j++;
    }
    if (j >= template.length) throw new JsonPathError('unclosed action: "{" without "}"', open);
    const raw = template.slice(open + 1, j);
    const lead = raw.length - raw.trimStart().length;
    const action = raw.trim();
    const at = open + 1 + lead;
    i = j + 1;
    if (action === '') throw new JsonPathError('empty action "{}"', open);
    if (action === 'end') {
      if (stack.length === 1) throw new JsonPathError('{end} without {range}', open);
      stack.pop();
      continue;
    }
    if (action.startsWith('range ') || action === 'range') {
      const pathText = action.slice('range'.length).trimStart();
      if (pathText === '') throw new JsonPathError('{range} needs a path', at);
      const path = parsePath(pathText, at + action.length - pathText.length);
      const body: TemplateNode[] = [];
      stack.at(-1)!.body.push({ kind: 'range', path, body });
      stack.push({ body, at: open });
      continue;
    }
    if (action[0] === '"' || action[0] === "'") {
      const q = action[0];
      if (action.length < 2 || action.at(-1) !== q) throw new JsonPathError('unterminated quoted string', at);
      const inner = action.slice(1, -1);
      let lit = '';
      for (let k = 0; k < inner.length; k++) {
        if (inner[k] === '\\' && k + 1 < inner.length) {
          const e = inner[++k]!;
          lit += unescapes[e] ?? e;
        } else lit += inner[k];
      }
      stack.at(-1)!.body.push({ kind: 'text', text: lit });
      continue;
    }
    stack.at(-1)!.body.push({ kind: 'path', path: parsePath(action, at) });
  }
  flush();
  if (stack.length > 1) throw new JsonPathError('{range} without {end}', stack.at(-1)!.at);
  return { nodes: root };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isObject(v)) return Object.values(v);
  return [];
}

function descendants(v: unknown, out: unknown[]): void {
  out.push(v);
  for (const c of children(v)) descendants(c, out);
}

function compare(a: unknown, op: Compare, b: Literal): boolean {
  if (op === '==') return a === b;
  if (op === '!=') return a !== b;
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return false;
  const x = a as number | string;
  const y = b as number | string;
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

function step(values: readonly unknown[], seg: Segment): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    switch (seg.kind) {
      case 'field':
        for (const name of seg.names) {
          if (isObject(v) && Object.hasOwn(v, name)) out.push(v[name]);
          else if (Array.isArray(v) && name === 'length') out.push(v.length);
        }
        break;
      case 'wildcard':
        out.push(...children(v));
        break;
      case 'index':
        if (Array.isArray(v)) {
          for (const n of seg.indices) {
            const k = n < 0 ? v.length + n : n;
            if (k >= 0 && k < v.length) out.push(v[k]);
          }
        }
        break;
      case 'slice':
        if (Array.isArray(v)) {
          const stepBy = seg.step ?? 1;
          const norm = (n: number | undefined, dflt: number): number => (n === undefined ? dflt : n < 0 ? Math.max(0, v.length + n) : Math.min(n, v.length));
          if (stepBy > 0) for (let k = norm(seg.start, 0); k < norm(seg.end, v.length); k += stepBy) out.push(v[k]);
          else for (let k = Math.min(norm(seg.start, v.length - 1), v.length - 1); k > (seg.end === undefined ? -1 : norm(seg.end, -1)); k += stepBy) out.push(v[k]);
        }
        break;
      case 'recursive':
        descendants(v, out);
        break;
      case 'filter':
        for (const item of children(v)) {
          const found = walk([item], seg.path);
          if (seg.op === undefined ? found.some((f) => f !== undefined && f !== null && f !== false) : found.some((f) => compare(f, seg.op!, seg.value!))) out.push(item);
        }
        break;
    }
  }
  return out;
}

function walk(start: readonly unknown[], segments: readonly Segment[]): unknown[] {
  return segments.reduce<unknown[]>((values, seg) => step(values, seg), [...start]);
}

/** The values a path finds in `current` (or in `root` for a `$` path); none for a missing key. */
export function evaluatePath(path: Path, current: unknown, root: unknown = current): unknown[] {
  return walk([path.fromRoot ? root : current], path.segments);
}

/** A found value as text: strings raw (sanitised), other values as JSON (with terminal-active characters escaped). */
export function valueText(v: unknown): string {
  if (typeof v === 'string') return sanitize(v);
  if (v === undefined) return '';
  return safeJson(JSON.stringify(v));
}

function run(nodes: readonly TemplateNode[], current: unknown, root: unknown): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'path') out += evaluatePath(n.path, current, root).map(valueText).join(' ');
    else for (const item of evaluatePath(n.path, current, root)) out += run(n.body, item, root);
  }
  return out;
}

/** The template applied to a document, as kubectl prints it (no newline added). */
export function renderJsonPath(template: Template, doc: unknown): string {
  return run(template.nodes, doc, doc);
}
