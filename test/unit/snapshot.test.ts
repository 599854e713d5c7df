import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { diffSources } from '../../src/commands/diff.js';
import { planWrites } from '../../src/commands/apply.js';
import { decodeRecord } from '../../src/registry/codec.js';
import { keySpace } from '../../src/registry/keys.js';
import type { NodeRecord } from '../../src/registry/model.js';
import { diffRegistries, summarise } from '../../src/registry/compare.js';
import {
  type Snapshot,
  buildSnapshot,
  desiredRecords,
  parseStateDocument,
  planApply,
  plannedRecords,
  storedForm,
  snapshotNodeRecords,
  targetSpace,
} from '../../src/registry/snapshot.js';
import { renderDiff, renderDiffJson } from '../../src/render/diff.js';
import { parseYaml, renderYaml } from '../../src/render/yaml.js';
import { type Fixture, loadFixtures } from '../helpers/fixtures.js';

const plain = { paint: new Chalk({ level: 0 }) };

/** A fixture as micro-reg reads it: the decoded record, and its stored bytes by key. */
function read(f: Fixture, revision = '7'): { record: NodeRecord; stored: Map<NodeRecord, ReturnType<typeof storedForm>> } {
  const r = decodeRecord(keySpace(f.family), { key: f.key, value: f.bytes, modRevision: revision });
  if (r.kind !== 'record') throw new Error(`${f.file} does not decode`);
  return { record: r.record, stored: new Map([[r.record, storedForm(r.record, f.bytes)]]) };
}

function snapshotOf(f: Fixture): Snapshot {
  const { record, stored } = read(f);
  return buildSnapshot({ records: [record], stored, revision: '7', layouts: [f.family] });
}

/** A record with a different node (id, address, metadata), from a fixture. */
function variant(f: Fixture, id: string, change: (value: Record<string, unknown>) => void = () => undefined): NodeRecord {
  const value = structuredClone(f.value);
  const node = (value.nodes as Record<string, unknown>[])[0]!;
  node.id = id;
  change(value);
  const dir = f.key.slice(0, f.key.lastIndexOf('/'));
  const key = `${dir.slice(0, dir.lastIndexOf('/'))}/${String(value.name)}/${id.replaceAll('/', '-')}`;
  const r = decodeRecord(keySpace(f.family), { key, value: JSON.stringify(value), modRevision: '9' });
  if (r.kind !== 'record') throw new Error(`variant of ${f.file} does not decode: ${JSON.stringify(r)}`);
  return r.record;
}

const fixtures = loadFixtures();
const v6 = fixtures.find((f) => f.file === 'micro-v6-greeter.json')!;

describe('snapshots: every fixture family round-trips byte for byte', () => {
  for (const f of fixtures) {
    it(`${f.file}: export finds the field order that gives back the stored bytes, and apply writes them again`, async () => {
      const snapshot = snapshotOf(f);
      const [rec] = snapshot.records;
      expect(rec!.raw).toBeUndefined();
      expect(rec!.encoding).toBeDefined();
      expect(rec!.key).toBe(f.key);
      // Through the document as a file: JSON and YAML.
      for (const text of [JSON.stringify(snapshot, null, 2), await renderYaml(snapshot)]) {
        const doc = text.startsWith('{') ? JSON.parse(text) : await parseYaml(text);
        const state = parseStateDocument(doc, 'snap');
        const [d] = desiredRecords(state, { layout: f.family }, 'snap');
        expect(d!.key).toBe(f.key);
        expect(d!.value).toBe(f.bytes);
      }
      // --layout auto writes each record back to the layout it came from.
      const [auto] = desiredRecords({ kind: 'snapshot', snapshot }, { layout: 'auto' }, 'snap');
      expect(auto!.key).toBe(f.key);
      expect(auto!.value).toBe(f.bytes);
    });
  }

  it('keeps the stored bytes when no field order reproduces them, and writes them back unchanged', () => {
    const bytes = v6.bytes.replace('{"name"', '{ "name"');
    const { record } = read(v6);
    const snapshot = buildSnapshot({ records: [record], stored: new Map([[record, storedForm(record, bytes)]]), layouts: ['micro'] });
    expect(snapshot.records[0]!.raw).toBe(bytes);
    expect(snapshot.records[0]!.encoding).toBeUndefined();
    const [d] = desiredRecords({ kind: 'snapshot', snapshot }, { layout: 'micro' }, 'snap');
    expect(d!.value).toBe(bytes);
  });

  it('a record edited by hand is encoded from its fields, not from the stale raw bytes', () => {
    const { record } = read(v6);
    const snapshot = buildSnapshot({ records: [record], stored: new Map([[record, storedForm(record, v6.bytes.replace('{"name"', '{ "name"'))]]), layouts: ['micro'] });
    snapshot.records[0]!.node.address = '10.9.9.9:1';
    const [d] = desiredRecords({ kind: 'snapshot', snapshot }, { layout: 'micro' }, 'snap');
    expect(d!.value).toContain('"address":"10.9.9.9:1"');
    expect(d!.service.nodes[0]!.address).toBe('10.9.9.9:1');
  });

  it('is sorted and stable: the same records in any order give the same document; --no-ttl leaves TTLs out', () => {
    const a = variant(v6, 'n-a');
    const b = variant(v6, 'n-b');
    a.lease = '100';
    const ttls = new Map([['100', 42]]);
    const one = buildSnapshot({ records: [b, a], layouts: ['micro'], ttls });
    const two = buildSnapshot({ records: [a, b], layouts: ['micro'], ttls });
    expect(one).toEqual(two);
    expect(one.records.map((r) => r.node.id)).toEqual(['n-a', 'n-b']);
    expect(one.records[0]).toMatchObject({ lease: '64', ttl: 42 });
    const noTtl = buildSnapshot({ records: [a], layouts: ['micro'], ttls, noTtl: true });
    expect(noTtl.records[0]!.ttl).toBeUndefined();
    expect(Object.keys(one)).toEqual(['format', 'layouts', 'records']);
  });

  it('a snapshot record in another layout is converted into the target layout, its key computed, never taken from the file', () => {
    const snapshot = snapshotOf(v6);
    snapshot.records[0]!.key = '/etc/passwd';
    const [legacy] = desiredRecords({ kind: 'snapshot', snapshot }, { layout: 'legacy' }, 'snap');
    expect(legacy!.key).toBe(`/micro-registry/go.micro.srv.greeter/${v6.key.split('/').pop()}`);
    expect(legacy!.value).toContain('"port":54321');
    const [prefixed] = desiredRecords({ kind: 'snapshot', snapshot }, { layout: 'micro', prefix: '/other/' }, 'snap');
    expect(prefixed!.key.startsWith('/other/go.micro.srv.greeter/')).toBe(true);
  });

  it('targetSpace: auto keeps the layout and domain; an explicit layout takes the configured prefix and domain', () => {
    expect(targetSpace({ layout: 'auto' }, 'domain', 'staging')).toEqual(keySpace('domain', undefined, 'staging'));
    expect(targetSpace({ layout: 'domain', domain: '*' }, 'domain', 'staging')).toEqual(keySpace('domain', undefined, 'staging'));
    expect(targetSpace({ layout: 'domain', domain: 'prod' }, undefined, undefined)).toEqual(keySpace('domain', undefined, 'prod'));
    expect(targetSpace({ layout: 'v2', prefix: '/x/' }, 'micro', undefined)).toEqual(keySpace('v2', '/x/'));
  });
});

describe('files: the hand-written form and bad input', () => {
  it('reads a list of services: endpoints by name, default version and stable node ids', () => {
    const state = parseStateDocument({ services: [{ name: 'db-proxy', endpoints: ['Query'], nodes: [{ address: '10.0.0.7:5432', metadata: { zone: 'eu' } }] }] }, 'f.yaml');
    expect(state.kind).toBe('services');
    const [d] = desiredRecords(state, { layout: 'micro' }, 'f.yaml');
    expect(d!.key).toBe('/micro/registry/db-proxy/db-proxy-10.0.0.7:5432');
    expect(d!.value).toBe(
      '{"name":"db-proxy","version":"latest","metadata":null,"endpoints":[{"request":null,"response":null,"metadata":{},"name":"Query"}],"nodes":[{"metadata":{"zone":"eu"},"id":"db-proxy-10.0.0.7:5432","address":"10.0.0.7:5432"}]}',
    );
    // A bare list works too.
    expect(parseStateDocument([{ name: 'x', nodes: [{ id: 'x1', address: 'h:1' }] }], 'f').kind).toBe('services');
  });

  it.each([
    [{ hello: 1 }, /neither a micro-reg snapshot nor a list of services/],
    [{ services: [{ name: 'x', nodes: [] }] }, /has no nodes/],
    [{ services: [{ name: '..', nodes: [{ address: 'h:1' }] }] }, /invalid name/],
    [{ services: [{ name: 'x', nodes: [{ address: 'nope' }] }] }, /invalid address "nope"/],
    [{ services: [{ name: 'x', nodes: [{ id: 'a', address: 'h:1' }, { id: 'a', address: 'h:2' }] }] }, /lists node "a" of x twice/],
    [{ format: 'other/v9', records: [] }, /has format "other\/v9"/],
    [{ records: [{ service: 'x', node: { id: 'n', address: 'h:1' }, layout: 'etcd' }] }, /layout "etcd" is not one of/],
    [{ records: [{ service: 'x', node: { id: 'n', address: 'h:1', metadata: { a: 1 } } }] }, /not a go-micro record: .*metadata.a is a number/],
  ])('refuses %j', (doc, message) => {
    expect(() => desiredRecords(parseStateDocument(doc, 'f'), { layout: 'micro' }, 'f')).toThrow(message);
  });
});

describe('diff (pure)', () => {
  const base = [variant(v6, 'n1'), variant(v6, 'n2')];

  it('equal registries: no changes, whatever the order, null vs empty maps and lists alike', () => {
    const nullish = variant(v6, 'n2', (v) => {
      const node = (v.nodes as Record<string, unknown>[])[0]!;
      node.metadata = { ...(node.metadata as object) };
    });
    expect(diffRegistries(base, [base[1]!, base[0]!])).toEqual([]);
    expect(diffRegistries([variant(v6, 'a', (v) => ((v.nodes as Record<string, unknown>[])[0]!.metadata = null))], [variant(v6, 'a', (v) => ((v.nodes as Record<string, unknown>[])[0]!.metadata = {}))])).toEqual([]);
    expect(diffRegistries([base[1]!], [nullish])).toEqual([]);
  });

  it('a node added, one removed, one changed (address, metadata, endpoint types), each exactly once', () => {
    const changed = variant(v6, 'n1', (v) => {
      const node = (v.nodes as Record<string, unknown>[])[0]!;
      node.address = '10.0.0.6:1';
      node.metadata = { ...(node.metadata as object), zone: 'eu', broker: 'nats' };
      delete (node.metadata as Record<string, string>).transport;
      const ep = (v.endpoints as Record<string, unknown>[])[0]!;
      (ep.request as Record<string, unknown>).values = [{ name: 'name', type: 'string', values: null }, { name: 'age', type: 'int32', values: null }];
    });
    const changes = diffRegistries(base, [changed, variant(v6, 'n3')]);
    expect(changes).toEqual([
      {
        op: 'change',
        kind: 'node',
        service: 'go.micro.srv.greeter',
        version: 'latest',
        layout: 'micro',
        node: 'n1',
        key: changed.key,
        fields: [
          { op: 'change', field: 'address', from: '10.0.0.5:54321', to: '10.0.0.6:1' },
          { op: 'change', field: 'metadata.broker', from: 'http', to: 'nats' },
          { op: 'remove', field: 'metadata.transport', from: 'http' },
          { op: 'add', field: 'metadata.zone', to: 'eu' },
          expect.objectContaining({ op: 'change', field: 'endpoints[Say.Hello].request' }),
        ],
      },
      expect.objectContaining({ op: 'remove', kind: 'node', node: 'n2', address: '10.0.0.5:54321' }),
      expect.objectContaining({ op: 'add', kind: 'node', node: 'n3' }),
    ]);
    expect(summarise(changes)).toEqual({ added: 1, removed: 1, changed: 1 });
    expect(renderDiff(changes, { from: 'before.json', to: 'the registry' }, plain)).toBe(
      [
        '--- before.json',
        '+++ the registry',
        '~ node go.micro.srv.greeter latest n1',
        '~     address: 10.0.0.5:54321 => 10.0.0.6:1',
        '~     metadata.broker: http => nats',
        '-     metadata.transport: http',
        '+     metadata.zone: eu',
        '~     endpoints[Say.Hello].request: Request{name string} => Request{name string, age int32}',
        '- node go.micro.srv.greeter latest n2 10.0.0.5:54321',
        '+ node go.micro.srv.greeter latest n3 10.0.0.5:54321',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(renderDiffJson(changes, false))).toEqual(JSON.parse(JSON.stringify(changes)));
  });

  it('services and versions that appear or vanish come before their nodes; endpoints added and removed', () => {
    const v2 = variant(v6, 'n9', (v) => {
      v.version = '2.0';
      v.endpoints = [...(v.endpoints as unknown[]).slice(1), { name: 'Say.Bye', request: null, response: null, metadata: {} }];
    });
    const other = variant(v6, 'o1', (v) => (v.name = 'go.micro.srv.other'));
    const lines = renderDiff(diffRegistries([base[0]!, other], [base[0]!, v2]), { from: 'a', to: 'b' }, plain).split('\n');
    expect(lines.slice(2, -1)).toEqual([
      '+ version go.micro.srv.greeter 2.0',
      '+ node go.micro.srv.greeter 2.0 n9 10.0.0.5:54321',
      '- service go.micro.srv.other',
      '- version go.micro.srv.other latest',
      '- node go.micro.srv.other latest o1 10.0.0.5:54321',
    ]);
    const ep = diffRegistries([base[0]!], [variant(v6, 'n1', (v) => (v.endpoints = [...(v.endpoints as unknown[]).slice(1), { name: 'Say.Bye', request: null, response: null, metadata: {} }]))]);
    expect(ep[0]!.fields!.map((f) => `${f.op} ${f.field}`)).toEqual(['add endpoints[Say.Bye]', 'remove endpoints[Say.Hello]']);
  });

  it('--ignore-metadata and --ignore-endpoints narrow the comparison', () => {
    const changed = variant(v6, 'n1', (v) => {
      (v.nodes as Record<string, Record<string, string>>[])[0]!.metadata!.server = 'grpc';
      v.endpoints = [];
    });
    expect(diffRegistries([base[0]!], [changed])).toHaveLength(1);
    expect(diffRegistries([base[0]!], [changed], { ignoreMetadata: ['server'] })[0]!.fields!.map((f) => f.field)).toEqual(['endpoints[Say.Hello]', 'endpoints[Say.Stream]']);
    expect(diffRegistries([base[0]!], [changed], { ignoreMetadata: ['server'], ignoreEndpoints: true })).toEqual([]);
  });

  it('shows untrusted names escaped in text, raw in JSON', () => {
    const evil = variant(v6, 'n\x1b]0;pwned\x07', (v) => ((v.nodes as Record<string, unknown>[])[0]!.address = '10.0.0.1:1'));
    const changes = diffRegistries([], [evil]);
    const text = renderDiff(changes, { from: 'a\x1b[2J', to: 'b' }, plain);
    expect(text).not.toMatch(/\x1b|\x07/);
    expect(text).toContain('n\\x1b]0;pwned\\x07');
    expect(text).toContain('--- a\\x1b[2J');
    expect(JSON.parse(renderDiffJson(changes, false)).at(-1).node).toBe('n\x1b]0;pwned\x07');
  });

  it('colours lines as a unified diff does on a terminal', () => {
    const text = renderDiff(diffRegistries([base[0]!], [base[1]!]), { from: 'a', to: 'b' }, { paint: new Chalk({ level: 1 }) });
    expect(text).toContain('\x1b[31m- node');
    expect(text).toContain('\x1b[32m+ node');
  });

  it('a snapshot compared with the records it was made from shows nothing', () => {
    const reads = fixtures.map((f) => read(f));
    const records = reads.map((r) => r.record);
    const snapshot = buildSnapshot({ records, stored: new Map(reads.flatMap((r) => [...r.stored])), layouts: ['micro', 'domain', 'legacy', 'v2'] });
    expect(diffRegistries(snapshotNodeRecords(snapshot), records)).toEqual([]);
  });
});

describe('diff sources', () => {
  it('orders the two sides: files, then --revision, then live, then the other context', () => {
    expect(diffSources({ file: ['a.json'] })).toEqual([{ kind: 'file', path: 'a.json' }, { kind: 'live' }]);
    expect(diffSources({ revision: '5' })).toEqual([{ kind: 'revision', revision: '5' }, { kind: 'live' }]);
    expect(diffSources({ againstContext: 'prod' })).toEqual([{ kind: 'live' }, { kind: 'context', name: 'prod' }]);
    expect(diffSources({ contextB: 'prod', revision: '5' })).toEqual([{ kind: 'revision', revision: '5' }, { kind: 'context', name: 'prod' }]);
    expect(diffSources({ file: ['a', 'b'] })).toEqual([{ kind: 'file', path: 'a' }, { kind: 'file', path: 'b' }]);
  });

  it('refuses nothing to compare, and more than two sources', () => {
    expect(() => diffSources({})).toThrow(/nothing to compare/);
    expect(() => diffSources({ file: ['a', 'b'], revision: '3' })).toThrow(/at most two/);
    expect(() => diffSources({ againstContext: 'a', contextB: 'b' })).toThrow(/same thing/);
  });
});

describe('apply plan (pure)', () => {
  const live = [variant(v6, 'n1'), variant(v6, 'n2'), variant(v6, 'o1', (v) => (v.name = 'go.micro.srv.other'))];
  const file = (nodes: { id: string; address: string }[]): ReturnType<typeof parseStateDocument> =>
    parseStateDocument({ services: [{ name: 'go.micro.srv.greeter', nodes }] }, 'f');

  it('creates what is missing, rewrites what differs, leaves equal keys alone; prune touches only named services', () => {
    // n1 as it is live: equal; n2 with another address; n3 new.
    const snapshot = buildSnapshot({ records: [live[0]!], layouts: ['micro'] });
    const desired = [
      ...desiredRecords({ kind: 'snapshot', snapshot }, { layout: 'micro' }, 'f'),
      ...desiredRecords(file([{ id: 'n2', address: '10.0.0.9:1' }, { id: 'n3', address: '10.0.0.9:2' }]), { layout: 'micro' }, 'f'),
    ];
    const plan = planApply(desired, live, { prune: false });
    expect(plan.unchanged.map((d) => d.service.nodes[0]!.id)).toEqual(['n1']);
    expect(plan.update.map((u) => u.desired.service.nodes[0]!.id)).toEqual(['n2']);
    expect(plan.create.map((d) => d.service.nodes[0]!.id)).toEqual(['n3']);
    expect(plan.remove).toEqual([]);
    const writes = planWrites(plan);
    expect(writes.map((w) => [w.key.split('/').pop(), w.modRevision, w.value !== undefined])).toEqual([
      ['n3', '0', true],
      ['n2', '9', true],
    ]);

    const pruned = planApply(desiredRecords(file([{ id: 'n3', address: '10.0.0.9:2' }]), { layout: 'micro' }, 'f'), live, { prune: true });
    expect(pruned.remove.map((r) => r.service.nodes[0]!.id).sort()).toEqual(['n1', 'n2']);
    expect(planWrites(pruned).filter((w) => w.value === undefined).every((w) => w.modRevision === '9')).toBe(true);
    const after = plannedRecords(desiredRecords(file([{ id: 'n3', address: '10.0.0.9:2' }]), { layout: 'micro' }, 'f'), live, pruned);
    expect(after.map((r) => r.service.nodes[0]!.id).sort()).toEqual(['n3', 'o1']);
  });

  it('a node moved to another version is rewritten', () => {
    const desired = desiredRecords(parseStateDocument({ services: [{ name: 'go.micro.srv.greeter', version: '2', nodes: [{ id: 'n1', address: '10.0.0.5:54321' }] }] }, 'f'), { layout: 'micro' }, 'f');
    expect(planApply(desired, [live[0]!], { prune: false }).update).toHaveLength(1);
  });
});

describe('docs/snapshot.schema.json describes the files export writes and apply reads', async () => {
  const { readFileSync } = await import('node:fs');
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  const schema = JSON.parse(readFileSync(new URL('../../docs/snapshot.schema.json', import.meta.url), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

  it('accepts a snapshot of every fixture family, with leases, TTLs and raw bytes', () => {
    const records = fixtures.map((f) => read(f).record);
    records[0]!.lease = '7587';
    const stored = new Map(records.map((r, i) => [r, storedForm(r, fixtures[i]!.bytes)]));
    stored.set(records[1]!, storedForm(records[1]!, ` ${fixtures[1]!.bytes}`));
    const snapshot = buildSnapshot({ records, stored, revision: '12', v2Index: 4, layouts: ['micro', 'domain', 'legacy', 'v2'], ttls: new Map([['7587', 30]]) });
    expect(snapshot.records.some((r) => r.raw !== undefined && r.ttl === undefined)).toBe(true);
    expect(snapshot.records.some((r) => r.ttl === 30 && r.lease === '1da3')).toBe(true);
    expect(validate(JSON.parse(JSON.stringify(snapshot))), JSON.stringify(validate.errors)).toBe(true);
  });

  it('accepts the hand-written forms, and refuses what apply refuses', () => {
    const services = [{ name: 'db-proxy', version: '1.0', endpoints: ['Query', { name: 'Exec', request: null, response: null, metadata: {} }], nodes: [{ address: '10.0.0.7:5432', metadata: { zone: 'eu' } }] }];
    expect(validate({ services }), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(services)).toBe(true);
    for (const bad of [{ services: [{ name: 'x', nodes: [] }] }, { services: [{ name: 'x', nodes: [{ address: 'nope' }] }] }, { format: 'other/v9', records: [] }, { records: [{ service: 'x', node: { id: 'n', address: 'h:1', metadata: { a: 1 } } }] }]) {
      expect(validate(bad), JSON.stringify(bad)).toBe(false);
      expect(() => desiredRecords(parseStateDocument(bad, 'f'), { layout: 'micro' }, 'f')).toThrow();
    }
  });
});

describe('export prints a large snapshot in pieces', async () => {
  const { prettyJsonChunks } = await import('../../src/render/json.js');
  it('exactly as JSON.stringify(doc, null, 2) would, whatever the piece size', () => {
    const records = Array.from({ length: 40 }, (_, i) => variant(v6, `n${i}`));
    const snapshot = buildSnapshot({ records, revision: '3', layouts: ['micro'] });
    const whole = `${JSON.stringify(snapshot, null, 2)}\n`;
    for (const size of [1, 500, 1 << 20]) {
      const chunks = [...prettyJsonChunks(snapshot as unknown as Record<string, unknown>, 'records', size)];
      expect(chunks.join('')).toBe(whole);
      if (size === 500) expect(chunks.length).toBeGreaterThan(10);
    }
    const empty = buildSnapshot({ records: [], layouts: ['micro'] });
    expect([...prettyJsonChunks(empty as unknown as Record<string, unknown>, 'records')].join('')).toBe(`${JSON.stringify(empty, null, 2)}\n`);
  });
});

describe('--show-revision', async () => {
  const { describeReadRevision } = await import('../../src/commands/command.js');
  it('names the etcd revision, and the v2 index when the v2 store was read', () => {
    expect(describeReadRevision({ revision: '12' })).toBe('revision: 12');
    expect(describeReadRevision({ revision: '0', v2Index: 7 })).toBe('v2 index: 7');
    expect(describeReadRevision({ revision: '12', v2Index: 7 })).toBe('revision: 12\nv2 index: 7');
  });
});

describe("apply's report", async () => {
  const { renderApplied, renderApplyJson } = await import('../../src/render/diff.js');
  it('a line per key written; a key written by someone else in between is listed as kept, with its reason', () => {
    const live = [variant(v6, 'n1'), variant(v6, 'n2')];
    const desired = desiredRecords(parseStateDocument({ services: [{ name: 'go.micro.srv.greeter', nodes: [{ id: 'n1', address: '10.9.9.9:1' }, { id: 'n3', address: '10.9.9.9:3' }] }] }, 'f'), { layout: 'micro' }, 'f');
    const plan = planApply(desired, live, { prune: true });
    const writes = planWrites(plan);
    const outcomes = writes.map((write) => (write.key.endsWith('/n1') ? { write, done: false, reason: 'changed' as const } : { write, done: true }));
    const result = { plan, outcomes, unchanged: plan.unchanged };
    expect(renderApplied(result, plain)).toBe('+ created /micro/registry/go.micro.srv.greeter/n3\n- removed /micro/registry/go.micro.srv.greeter/n2\n');
    expect(JSON.parse(renderApplyJson(result, false))).toEqual({
      created: ['/micro/registry/go.micro.srv.greeter/n3'],
      updated: [],
      removed: ['/micro/registry/go.micro.srv.greeter/n2'],
      unchanged: [],
      kept: [{ key: '/micro/registry/go.micro.srv.greeter/n1', reason: 'changed' }],
    });
  });
});
