// Pure matching of services and nodes: name globs, metadata selectors, close names for hints.
import { UsageError } from '../errors.js';
import type { NodeRecord } from './model.js';

/** A shell-style glob (`*`, `?`, `[abc]`) as a whole-name regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        re += body.startsWith('!') ? `[^${body.slice(1)}]` : `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

export const isGlob = (pattern: string): boolean => /[*?[]/.test(pattern);

/** Names or globs; none means everything. */
export function nameMatcher(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => true;
  const res = patterns.map(globToRegExp);
  return (name) => res.some((r) => r.test(name));
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
