// Property-based fuzz of the codec and the key rules: seeded generated values, good and bad, each
// checked against what the generator made of it. FUZZ_SEED=<n> replays a run; FUZZ_COUNT changes its size.
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { decodeRecord, decodeService, encodeService } from '../../src/registry/codec.js';
import { type KeySpace, classifyKey, keySpace, nodeKey, serviceDir } from '../../src/registry/keys.js';
import { Chalk } from 'chalk';
import { encodeBytes } from '../../src/registry/bytes.js';
import { groupServices } from '../../src/registry/codec.js';
import type { NodeRecord } from '../../src/registry/model.js';
import { renderEventLine, renderLiveScreen } from '../../src/render/events.js';
import { renderNodeRecords } from '../../src/render/registration.js';
import { renderNames, renderServiceDetail, renderServiceList, type Style } from '../../src/render/table.js';
import { type FuzzCase, Rng, caseKinds, fieldOrders, fuzzSeed, genCase, genCaseOf, expectedReadPrefix, genSpace, hostileName, hostileSegments, segmentOf } from '../helpers/fuzz.js';

const seed = fuzzSeed();
const count = Number(process.env.FUZZ_COUNT ?? 10_000);
/** Every this many cases, a 1 MiB or 10,000-deep one: 40 of each kind in 10,000, enough and quick. */
const hugeEvery = 125;

/** Where two decoded values differ (own keys, "__proto__" included), or undefined when they are equal. */
function difference(got: unknown, want: unknown, path = '$'): string | undefined {
  if (Object.is(got, want)) return undefined;
  if (typeof got !== 'object' || typeof want !== 'object' || got === null || want === null || Array.isArray(got) !== Array.isArray(want)) {
    return `${path}: got ${JSON.stringify(got)?.slice(0, 80)}, want ${JSON.stringify(want)?.slice(0, 80)}`;
  }
  const keys = new Set([...Object.keys(got), ...Object.keys(want)]);
  for (const k of keys) {
    if (Object.hasOwn(got, k) !== Object.hasOwn(want, k)) return `${path}.${k}: ${Object.hasOwn(got, k) ? 'unexpected' : 'missing'}`;
    const d = difference((got as Record<string, unknown>)[k], (want as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

// eslint-disable-next-line no-control-regex
const rawControl = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const plain = new Chalk({ level: 0 });
const styles: Style[] = [
  { tty: true, paint: plain, width: 100, wide: false },
  { tty: false, paint: plain, width: 80, wide: true },
];

const renderedKinds = new Set(['terminal escapes in every field', 'a key that is not UTF-8', 'invalid UTF-8 in a string']);

/** Every human renderer of a record, uncoloured: none may hold a control character of the data, raw. */
function renderProblem(record: NodeRecord): string | undefined {
  const services = groupServices([record]);
  const event = { action: 'create' as const, record, time: new Date(0), revision: '1' };
  for (const style of styles) {
    const outputs: [string, string][] = [
      ['list', renderServiceList(services, style)],
      ['get', renderServiceDetail(services, style)],
      ['watch line', renderEventLine(event as Parameters<typeof renderEventLine>[0], style)],
      ['deregister', renderNodeRecords([record], style)],
    ];
    for (const [what, text] of outputs) {
      // Tables and lines end their rows with "\n" and, piped, separate cells with "\t": those are micro-reg's.
      const m = rawControl.exec(text);
      if (m) return `${what} (tty ${style.tty}) holds a raw U+${m[0].charCodeAt(0).toString(16).padStart(4, '0')}: ${JSON.stringify(text.slice(0, 200))}`;
    }
  }
  const names = renderNames(services);
  if (names.split('\n').length !== 2 || rawControl.test(names)) return `names is not one safe line: ${JSON.stringify(names)}`;
  // The live screen is made of our own escapes (cursor home, erase line, erase below) and line ends
  // (\r\n, for a terminal in raw mode): only those may be there.
  const live = renderLiveScreen({ title: 't', status: 's', rows: [{ record }], recent: [] }, styles[0]!, 24).replace(/\x1b\[(?:H|K|2K|J)/g, '');
  if (rawControl.test(live.replaceAll('\r\n', ''))) return `live screen holds a raw control character: ${JSON.stringify(live.slice(0, 200))}`;
  return undefined;
}

/** What went wrong with one case, or undefined. */
function check(c: FuzzCase): string | undefined {
  let r: ReturnType<typeof decodeRecord>;
  try {
    r = decodeRecord(c.space, c.kv);
  } catch (e) {
    return `threw ${(e as Error).stack ?? String(e)}`;
  }
  const want = c.expect;
  if (want.kind === 'record-or-malformed') {
    if (r.kind === 'foreign') return 'classified foreign, expected record or malformed';
  } else if (r.kind !== want.kind) {
    return `classified ${r.kind}${r.kind === 'malformed' ? ` (${r.malformed.reason})` : ''}, expected ${want.kind}`;
  }
  if (r.kind === 'malformed') {
    const reason = r.malformed.reason;
    if (reason.trim() === '') return 'malformed without a reason';
    if (r.malformed.key !== c.kv.key) return 'malformed record names another key';
    if (want.kind === 'malformed' && want.reason !== undefined) {
      const ok = typeof want.reason === 'string' ? reason.includes(want.reason) : want.reason.test(reason);
      if (!ok) return `reason "${reason.slice(0, 200)}" does not match ${String(want.reason)}`;
    }
  }
  if (r.kind === 'record') {
    if (r.record.key !== c.kv.key || r.record.layout !== c.space.layout) return 'record names another key or layout';
    // What a delete will name: exactly the bytes that were read.
    if (c.kv.keyBytes !== undefined && !encodeBytes(r.record.key).equals(c.kv.keyBytes)) return 'the key text does not give back the key bytes';
    if (c.kv.keyBytes !== undefined && r.record.keyBytes !== c.kv.keyBytes) return 'the record does not carry the key bytes';
    // Rendering is checked on the kinds that carry control characters (the others hold few): fast enough.
    const shown = renderedKinds.has(c.kind) ? renderProblem(r.record) : undefined;
    if (shown) return shown;
    if (want.kind === 'record') {
      const diff = difference(r.record.service, want.service);
      if (diff) return `decoded service differs: ${diff}`;
    }
    // Whatever was read, micro-reg writes back as go-micro of any generation would, and reads the same again.
    for (const order of fieldOrders) {
      const again = decodeService(encodeService(r.record.service, order));
      if (!again.ok) return `round trip (${order}) failed: ${again.reason}`;
      const diff = difference(again.value, r.record.service);
      if (diff) return `round trip (${order}) changed the service: ${diff}`;
    }
  }
  return undefined;
}

describe(`codec fuzz (FUZZ_SEED=${seed})`, () => {
  it(`classifies ${count} generated values as the generator made them and never throws`, () => {
    const rng = new Rng(seed);
    const tally = new Map<string, { cases: number; record: number; malformed: number; foreign: number }>();
    const failures: string[] = [];
    for (let i = 0; i < count; i++) {
      const c = i % hugeEvery === 0 ? genCaseOf((i / hugeEvery) % 2 === 0 ? '1 MiB values' : 'nested 10,000 deep', rng) : genCase(rng);
      const problem = check(c);
      const t = tally.get(c.kind) ?? { cases: 0, record: 0, malformed: 0, foreign: 0 };
      t.cases++;
      const kind = (() => {
        try {
          return decodeRecord(c.space, c.kv).kind;
        } catch {
          return undefined;
        }
      })();
      if (kind) t[kind]++;
      tally.set(c.kind, t);
      if (problem && failures.length < 10) failures.push(`case ${i} [${c.kind}] ${c.space.layout} ${c.space.prefix} key ${JSON.stringify(c.kv.key).slice(0, 160)}: ${problem}`);
    }
    const lines = [...tally.entries()].map(([k, t]) => `  ${k.padEnd(36)} ${String(t.cases).padStart(5)}  record ${t.record}, malformed ${t.malformed}, foreign ${t.foreign}`);
    console.info(`codec fuzz, FUZZ_SEED=${seed}, ${count} cases:\n${lines.join('\n')}`);
    expect(failures, `replay with FUZZ_SEED=${seed}`).toEqual([]);
    // Every input class was generated.
    expect(new Set(tally.keys())).toEqual(new Set(caseKinds));
  });
});

/** Checks the invariants of a key micro-reg would write: inside the read prefix, the right depth, no segment that resolves. */
function checkWrittenKey(space: KeySpace, key: string, name: string, id: string): void {
  // The prefixes and segments expected are made by the test (helpers/fuzz.ts), not by keys.ts.
  expect(key.startsWith(expectedReadPrefix(space)), key).toBe(true);
  if (space.layout !== 'domain' || space.domain !== '*') expect(key).toBe(`${expectedReadPrefix(space)}${segmentOf(name)}/${segmentOf(id)}`);
  const below = key.slice(space.prefix.length).split('/');
  expect(below).toHaveLength(space.layout === 'domain' ? 3 : 2);
  for (const segment of below) expect(['', '.', '..']).not.toContain(segment);
  // etcd keys are not paths, but go-micro builds them with path.Join: a key that path cleaning changes could land elsewhere.
  expect(posix.normalize(key)).toBe(key);
  const parsed = classifyKey(space, key);
  expect(parsed).toEqual({ kind: 'node', parsed: { ...(space.layout === 'domain' ? { domain: below[0] } : {}), service: segmentOf(name), node: segmentOf(id) } });
}

describe(`key scope under hostile names and ids (FUZZ_SEED=${seed})`, () => {
  const hostile = hostileSegments;

  it('refuses empty, "." and ".." segments and keeps every other name inside the prefix', () => {
    for (const layout of ['micro', 'domain', 'legacy', 'v2'] as const) {
      const space = keySpace(layout, '/scope-test/registry/', layout === 'domain' ? 'prod' : undefined);
      for (const name of hostile) {
        for (const id of hostile) {
          let key: string;
          try {
            key = nodeKey(space, name, id);
          } catch (e) {
            expect(e, `${layout} ${JSON.stringify(name)} ${JSON.stringify(id)}`).toBeInstanceOf(UsageError);
            expect((e as Error).message).toMatch(/must not be empty, "\." or "\.\."/);
            continue;
          }
          checkWrittenKey(space, key, name, id);
        }
      }
    }
  });

  it('refuses hostile domains for writes and "*" except for reads', () => {
    for (const domain of ['..', '.', ' ', '*']) {
      expect(() => serviceDir(keySpace('domain', undefined, domain), 'svc'), domain).toThrow(UsageError);
    }
    // "a/.." is one segment "a-..": no escape.
    expect(serviceDir(keySpace('domain', undefined, 'a/..'), 'svc')).toBe('/micro/registry/a-../svc/');
  });

  it(`keeps 10,000 generated names and ids inside their layout's prefix`, () => {
    const rng = new Rng(seed ^ 0x5eed);
    let refused = 0;
    for (let i = 0; i < 10_000; i++) {
      const space = genSpace(rng);
      const writable = space.domain === '*' ? { ...space, domain: 'micro' } : space;
      const name = hostileName(rng);
      const id = hostileName(rng);
      let key: string;
      try {
        key = nodeKey(writable, name, id);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        refused++;
        continue;
      }
      checkWrittenKey(writable, key, name, id);
    }
    // Some names are refused ("..", "."), most are not.
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(5_000);
  });
});
