// Name globs, metadata selectors and "did you mean" (src/registry/match.ts): what matches is written out.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import type { NodeRecord } from '../../src/registry/model.js';
import { closeMatches, compilePattern, isGlob, matchesSelectors, nameMatcher, parseKeyValues, parseSelectors } from '../../src/registry/match.js';

const matches = (glob: string, names: string[]): string[] => names.filter(compilePattern(glob));

describe('globs on service names', () => {
  const names = ['go.micro.srv.greeter', 'go.micro.srv.orders', 'go.micro.api.greeter', 'payments', 'a', 'ab', 'b', 'x.y', 'xzy', '[x]', 'a\nb', 'a/b', 'a+b', 'a$b', 'c!'];

  it('* is any run of characters, ? one character, the rest literal (dots and regex characters included)', () => {
    expect(matches('go.micro.srv.*', names)).toEqual(['go.micro.srv.greeter', 'go.micro.srv.orders']);
    expect(matches('*greeter', names)).toEqual(['go.micro.srv.greeter', 'go.micro.api.greeter']);
    expect(matches('?', names)).toEqual(['a', 'b']);
    expect(matches('a?b', names)).toEqual(['a\nb', 'a/b', 'a+b', 'a$b']);
    expect(matches('x.y', names)).toEqual(['x.y']);
    expect(matches('a+b', names)).toEqual(['a+b']);
    expect(matches('a$b', names)).toEqual(['a$b']);
    expect(matches('a/b', names)).toEqual(['a/b']);
    expect(matches('payments', names)).toEqual(['payments']);
    expect(matches('pay', names)).toEqual([]);
  });

  it('[abc] is one of, [!abc] none of; a "[" without "]" is refused', () => {
    expect(matches('[ab]', names)).toEqual(['a', 'b']);
    expect(matches('[!a]', names)).toEqual(['b']);
    expect(matches('a[b]', names)).toEqual(['ab']);
    expect(matches('[x]', names)).toEqual([]);
    expect(() => compilePattern('[x')).toThrow('invalid pattern "[x": a [ is not closed by ]');
    expect(matches('[\\]', ['\\', 'x'])).toEqual(['\\']);
  });

  it('isGlob: only *, ?, [ and { make a pattern a glob', () => {
    expect(['a*', '?', 'a[b]', 'a{b,c}', 'go.micro', 'a+b', 'a]'].map(isGlob)).toEqual([true, true, true, true, false, false, false]);
  });

  it('nameMatcher: none matches everything, several match any of them', async () => {
    expect(names.filter(await nameMatcher([]))).toEqual(names);
    expect(names.filter(await nameMatcher(['payments', '*.orders']))).toEqual(['go.micro.srv.orders', 'payments']);
    expect(names.filter(await nameMatcher(['nothing']))).toEqual([]);
  });
});

describe('key=value options and selectors', () => {
  it('splits at the first "=", keeps an empty value, refuses an empty key or no "="', () => {
    expect(parseKeyValues(['a=b', 'k=v=w', 'e='], '--meta')).toEqual([['a', 'b'], ['k', 'v=w'], ['e', '']]);
    expect(parseKeyValues(undefined, '--meta')).toEqual([]);
    expect(() => parseKeyValues(['=v'], '--meta')).toThrow(UsageError);
    expect(() => parseKeyValues(['=v'], '--meta')).toThrow('invalid --meta "=v": expected key=value');
    expect(() => parseSelectors(['novalue'])).toThrow('invalid --selector "novalue": expected key=value');
    expect(parseSelectors(['zone=a', 'v='])).toEqual([{ key: 'zone', value: 'a' }, { key: 'v', value: '' }]);
  });

  const rec = (metadata: Record<string, string> | null): NodeRecord =>
    ({ key: '/k', layout: 'micro', service: { name: 's', version: '1', metadata: null, endpoints: null, nodes: [{ id: 'n', address: 'h:1', metadata }] } }) as NodeRecord;

  it('a node matches when its metadata has every selector, value for value', () => {
    const node = rec({ zone: 'a', tier: 'web', empty: '' });
    expect(matchesSelectors(node, [])).toBe(true);
    expect(matchesSelectors(node, [{ key: 'zone', value: 'a' }])).toBe(true);
    expect(matchesSelectors(node, [{ key: 'zone', value: 'a' }, { key: 'tier', value: 'web' }])).toBe(true);
    expect(matchesSelectors(node, [{ key: 'zone', value: 'a' }, { key: 'tier', value: 'db' }])).toBe(false);
    expect(matchesSelectors(node, [{ key: 'zone', value: 'b' }])).toBe(false);
    expect(matchesSelectors(node, [{ key: 'empty', value: '' }])).toBe(true);
    expect(matchesSelectors(node, [{ key: 'missing', value: '' }])).toBe(false);
    expect(matchesSelectors(rec(null), [{ key: 'zone', value: 'a' }])).toBe(false);
    expect(matchesSelectors(rec(null), [])).toBe(true);
  });
});

describe('close names for "did you mean"', () => {
  const names = ['go.micro.srv.greeter', 'go.micro.srv.orders', 'go.micro.srv.greeters', 'payments', 'payment-gw', 'billing'];

  it('finds typos, parts of a name and the last dotted part; closest first, then by name; three at most', () => {
    expect(closeMatches('go.micro.srv.greter', names)).toEqual(['go.micro.srv.greeter', 'go.micro.srv.greeters']);
    expect(closeMatches('greter', names)).toEqual(['go.micro.srv.greeter', 'go.micro.srv.greeters']);
    expect(closeMatches('payment', names)).toEqual(['payment-gw', 'payments']);
    expect(closeMatches('srv', names)).toEqual(['go.micro.srv.greeter', 'go.micro.srv.greeters', 'go.micro.srv.orders']);
    expect(closeMatches('BILLING', names)).toEqual(['billing']);
    expect(closeMatches('zzzzzz', names)).toEqual([]);
  });

  it('allows a couple of edits, not a different word', () => {
    expect(closeMatches('bxllxng', ['billing'])).toEqual(['billing']);
    expect(closeMatches('bxxxing', ['billing'])).toEqual([]);
  });
});
