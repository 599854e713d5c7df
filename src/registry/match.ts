// Pure matching of services and nodes: name globs, metadata selectors, close names for hints.
import type Braces from 'braces';
import { UsageError } from '../errors.js';
import type { NodeRecord } from './model.js';

/** One step of a compiled glob: a literal character, `?`, `*`, or a `[...]` class. */
type GlobToken =
  | { kind: 'char'; char: string }
  | { kind: 'any' }
  | { kind: 'star' }
  | { kind: 'class'; negate: boolean; ranges: [number, number][] };

/** Brace expansions one pattern may make (`{a,b}{c,d}` is 4); more is refused as a usage error. */
export const maxBraceExpansions = 1024;

function invalidPattern(pattern: string, why: string): UsageError {
  return new UsageError(`invalid pattern "${pattern}": ${why}`, 'globs take * ? [abc] [a-z] [!abc] and {a,b}; quote them for the shell');
}

/**
 * Compiles one brace-free glob: `*`, `?`, `[abc]`, `[a-z]`, `[!abc]` / `[^abc]` (a `]` first in a class
 * is literal). Every other character, `\` included, is itself. Throws a UsageError naming the pattern
 * for an unclosed `[` or a reversed range (`[z-a]`).
 */
function compileGlob(glob: string, pattern: string): GlobToken[] {
  const chars = [...glob];
  const tokens: GlobToken[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '*') {
      // `**` matches what `*` does: one star token keeps the matcher's work linear.
      if (tokens[tokens.length - 1]?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') tokens.push({ kind: 'any' });
    else if (c === '[') {
      let j = i + 1;
      const negate = chars[j] === '!' || chars[j] === '^';
      if (negate) j++;
      const ranges: [number, number][] = [];
      let first = true;
      for (; j < chars.length && (chars[j] !== ']' || first); j++, first = false) {
        const lo = chars[j]!.codePointAt(0)!;
        if (chars[j + 1] === '-' && j + 2 < chars.length && chars[j + 2] !== ']') {
          const hi = chars[j + 2]!.codePointAt(0)!;
          if (hi < lo) throw invalidPattern(pattern, `the range ${chars[j]}-${chars[j + 2]} is reversed`);
          ranges.push([lo, hi]);
          j += 2;
        } else ranges.push([lo, lo]);
      }
      if (j >= chars.length) throw invalidPattern(pattern, 'a [ is not closed by ]');
      tokens.push({ kind: 'class', negate, ranges });
      i = j;
    } else tokens.push({ kind: 'char', char: c });
  }
  return tokens;
}

function matchesOne(token: GlobToken, char: string): boolean {
  if (token.kind === 'any') return true;
  if (token.kind === 'char') return token.char === char;
  if (token.kind === 'class') {
    const code = char.codePointAt(0)!;
    return token.ranges.some(([lo, hi]) => code >= lo && code <= hi) !== token.negate;
  }
  return false;
}

/**
 * The classic iterative wildcard match: on a mismatch, go back to the last `*` and let it take one more
 * character. No backtracking beyond that one star, no regular expression: at most (name × pattern)
 * steps, so a hostile name (or pattern) cannot stall a read the way `*a*a*a*a*b` does a regex engine.
 */
function matchTokens(tokens: readonly GlobToken[], name: string): boolean {
  const chars = [...name];
  let p = 0;
  let n = 0;
  let starP = -1;
  let starN = 0;
  while (n < chars.length) {
    const token = tokens[p];
    if (token !== undefined && token.kind === 'star') {
      starP = p++;
      starN = n;
    } else if (token !== undefined && matchesOne(token, chars[n]!)) {
      p++;
      n++;
    } else if (starP >= 0) {
      p = starP + 1;
      n = ++starN;
    } else return false;
  }
  while (tokens[p]?.kind === 'star') p++;
  return p === tokens.length;
}

/** A pattern's brace alternatives (`go.micro.{srv,api}.*`), expanded by `braces` as bash does. */
function expandBraces(pattern: string, braces: typeof Braces | undefined): string[] {
  if (!pattern.includes('{') || braces === undefined) return [pattern];
  let expanded: string[];
  try {
    expanded = braces(pattern, { expand: true, rangeLimit: maxBraceExpansions });
  } catch (e) {
    throw invalidPattern(pattern, `the braces make too many patterns (${(e as Error).message.split('.')[0]})`);
  }
  if (expanded.length > maxBraceExpansions) throw invalidPattern(pattern, `the braces make ${expanded.length} patterns; at most ${maxBraceExpansions}`);
  return expanded.length === 0 ? [pattern] : expanded;
}

/** A whole-name matcher for one glob (braces, `*`, `?`, `[...]`); a UsageError (exit 2) for a bad pattern. */
export function compilePattern(pattern: string, braces?: typeof Braces): (name: string) => boolean {
  const alternatives = expandBraces(pattern, braces).map((glob) => compileGlob(glob, pattern));
  return (name) => alternatives.some((tokens) => matchTokens(tokens, name));
}

export const isGlob = (pattern: string): boolean => /[*?[{]/.test(pattern);

/**
 * Names or globs; none means everything. Every pattern is checked before anything is read. `braces` is
 * loaded only for a pattern that has a brace.
 */
export async function nameMatcher(patterns: readonly string[]): Promise<(name: string) => boolean> {
  if (patterns.length === 0) return () => true;
  const braces = patterns.some((p) => p.includes('{')) ? (await import('braces')).default : undefined;
  const matchers = patterns.map((p) => compilePattern(p, braces));
  return (name) => matchers.some((m) => m(name));
}

export interface Selector {
  key: string;
  value: string;
}

/** `key=value` options, repeatable (--selector, --meta): the key must not be empty, the value may be. */
export function parseKeyValues(specs: readonly string[] | undefined, flag: string): [string, string][] {
  return (specs ?? []).map((spec) => {
    const i = spec.indexOf('=');
    if (i <= 0) throw new UsageError(`invalid ${flag} "${spec}": expected key=value`);
    return [spec.slice(0, i), spec.slice(i + 1)];
  });
}

/** `--selector k=v`, repeatable. */
export function parseSelectors(specs: readonly string[] | undefined): Selector[] {
  return parseKeyValues(specs, '--selector').map(([key, value]) => ({ key, value }));
}

/** A record matches when its node's metadata has every selector's key with that value. */
export function matchesSelectors(record: NodeRecord, selectors: readonly Selector[]): boolean {
  if (selectors.length === 0) return true;
  return record.service.nodes.some((n) => selectors.every((s) => n.metadata?.[s.key] === s.value));
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/**
 * Up to three names close to what was asked for (a typo, or a part of the name). Close means within a
 * third of the candidate's last dotted part: `greter` finds go.micro.srv.greeter, not …orders or …user,
 * which share only the `go.micro.srv.` that every name has.
 */
export function closeMatches(wanted: string, names: readonly string[]): string[] {
  const w = wanted.toLowerCase();
  const lastPart = (s: string): string => s.slice(s.lastIndexOf('.') + 1);
  return names
    .map((name) => {
      const n = name.toLowerCase();
      // "greter" should find "go.micro.srv.greeter": a name without dots is compared with the last dotted part too.
      const d = w.length >= 3 && n.includes(w) ? 0 : w.includes('.') ? distance(w, n) : Math.min(distance(w, n), distance(w, lastPart(n)));
      return { name, d, allowed: Math.max(1, Math.floor(lastPart(n).length / 3)) };
    })
    .filter((x) => x.d <= x.allowed)
    .sort((a, b) => a.d - b.d || a.name.localeCompare(b.name))
    .slice(0, 3)
    .map((x) => x.name);
}
