import { describe, expect, it } from 'vitest';
import { decodeRecord, decodeService, decodeServiceValue, encodeService, goJson, groupServices, layoutFieldOrder, maxJsonDepth, maxValueDepth } from '../../src/registry/codec.js';
import { keySpace } from '../../src/registry/keys.js';
import type { NodeRecord } from '../../src/registry/model.js';
import { loadFixtures } from '../helpers/fixtures.js';

const fixtures = loadFixtures();

describe('decoding every fixture', () => {
  it('has fixtures of every family', () => {
    expect(new Set(fixtures.map((f) => f.family))).toEqual(new Set(['micro', 'domain', 'legacy', 'v2']));
  });

  for (const f of fixtures) {
    it(`decodes ${f.file} as a record of its layout`, () => {
      const space = f.family === 'domain' ? keySpace('domain', undefined, '*') : keySpace(f.family);
      const r = decodeRecord(space, { key: f.key, value: Buffer.from(f.bytes), lease: '7587871234567890123' });
      expect(r.kind).toBe('record');
      if (r.kind !== 'record') return;
      const value = f.value as { name: string; version: string; nodes: { id: string; address: string; port?: number }[]; endpoints: unknown[] };
      expect(r.record.service.name).toBe(value.name);
      expect(r.record.service.version).toBe(value.version);
      expect(r.record.service.nodes).toHaveLength(1);
      const node = value.nodes[0]!;
      expect(r.record.service.nodes[0]!.id).toBe(node.id);
      // The old separate port is folded into host:port.
      expect(r.record.service.nodes[0]!.address).toBe(node.port ? `${node.address}:${node.port}` : node.address);
      expect(r.record.service.endpoints).toHaveLength(value.endpoints.length);
      expect(r.record.lease).toBe('7587871234567890123');
      if (f.family === 'domain') expect(r.record.domain).toBe('micro');
    });
  }

  it('keeps protobuf internals in the decoded value trees (JSON shows them)', () => {
    const legacy = fixtures.find((f) => f.family === 'legacy')!;
    const d = decodeService(legacy.bytes);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    const values = d.value.endpoints![0]!.request!.values!;
    expect(values.map((v) => v.name)).toEqual(['name', '-', '-', '-']);
  });

  it('treats null, [] and {} alike for metadata and lists', () => {
    const base = { name: 's', version: '1', nodes: [{ id: 'n', address: 'h:1', metadata: [] }] };
    for (const variant of [null, [], {}]) {
      const d = decodeService(JSON.stringify({ ...base, metadata: variant, endpoints: variant }));
      expect(d.ok, JSON.stringify(variant)).toBe(true);
    }
  });

  it('reads pre-2015 capitalised keys', () => {
    const d = decodeService('{"Name":"s","Version":"1","Nodes":[{"Id":"n","Address":"10.0.0.1","Port":8080}]}');
    expect(d).toMatchObject({ ok: true, value: { name: 's', nodes: [{ id: 'n', address: '10.0.0.1:8080' }] } });
  });

  it('brackets IPv6 hosts when folding the port', () => {
    const d = decodeService('{"name":"s","nodes":[{"id":"n","address":"::1","port":9}]}');
    expect(d).toMatchObject({ ok: true, value: { nodes: [{ address: '[::1]:9' }] } });
  });
});

describe('malformed values are classified, never thrown', () => {
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{"name":', /not JSON/],
    ['empty', '', /empty/],
    ['an array', '[1,2]', /an array, not a JSON object/],
    ['a string', '"x"', /a string, not a JSON object/],
    ['no name', '{"nodes":[{"id":"n"}]}', /no name/],
    ['name of wrong type', '{"name":5,"nodes":[{"id":"n"}]}', /name is a number/],
    ['no node', '{"name":"s","nodes":[]}', /no node/],
    ['nodes not a list', '{"name":"s","nodes":"x"}', /nodes is a string/],
    ['metadata value not a string', '{"name":"s","nodes":[{"id":"n","metadata":{"a":1}}]}', /metadata.a is a number/],
    ['port not an integer', '{"name":"s","nodes":[{"id":"n","port":"80"}]}', /port is a string/],
    ['endpoint not an object', '{"name":"s","endpoints":[3],"nodes":[{"id":"n"}]}', /endpoints\[0\] is a number/],
  ];
  for (const [what, value, reason] of cases) {
    it(what, () => {
      const d = decodeService(value);
      expect(d.ok).toBe(false);
      if (!d.ok) expect(d.reason).toMatch(reason);
    });
  }

  it('refuses value trees nested deeper than the limit, even 10,000 deep', () => {
    let tree = '{"name":"x","type":"x","values":null}';
    for (let i = 0; i < 10_000; i++) tree = `{"name":"x","type":"x","values":[${tree}]}`;
    const d = decodeService(`{"name":"s","endpoints":[{"name":"e","request":${tree}}],"nodes":[{"id":"n"}]}`);
    expect(d.ok).toBe(false);
    if (!d.ok) expect(d.reason).toContain(`deeper than ${maxJsonDepth} levels (value trees: ${maxValueDepth})`);
  });

  it('holds a parsed value (a record of a file for apply or diff) to the same bound as a stored one', () => {
    const tree = (depth: number): string => `${'{"name":"x","type":"x","values":['.repeat(depth - 1)}{"name":"x","type":"x","values":[]}${']}'.repeat(depth - 1)}`;
    const service = (request: string): unknown => JSON.parse(`{"name":"s","endpoints":[{"name":"e","request":${request}}],"nodes":[{"id":"n"}]}`);
    expect(decodeServiceValue(service(tree(maxValueDepth))).ok).toBe(true);
    expect(decodeServiceValue(service(tree(maxValueDepth + 1)))).toMatchObject({ ok: false, reason: expect.stringContaining('nests deeper') });
    expect(decodeServiceValue(JSON.parse(`{"name":"s","nodes":[{"id":"n"}],"x":${'['.repeat(5000)}${']'.repeat(5000)}}`))).toMatchObject({ ok: false, reason: expect.stringContaining('nests deeper') });
  });

  it('takes a value tree of exactly the limit and refuses one level more, and any JSON nested as deep', () => {
    const tree = (depth: number): string => `${'{"name":"x","type":"x","values":['.repeat(depth - 1)}{"name":"x","type":"x","values":[]}${']}'.repeat(depth - 1)}`;
    const service = (request: string): string => `{"name":"s","endpoints":[{"name":"e","request":${request}}],"nodes":[{"id":"n"}]}`;
    expect(decodeService(service(tree(maxValueDepth))).ok).toBe(true);
    expect(decodeService(service(tree(maxValueDepth + 1)))).toMatchObject({ ok: false, reason: expect.stringContaining('nests deeper') });
    // An unknown field Go would skip: refused all the same (it overflowed JSON.stringify in -o json).
    const deepUnknown = `{"name":"s","nodes":[{"id":"n"}],"x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(decodeService(deepUnknown)).toMatchObject({ ok: false, reason: expect.stringContaining('nests deeper') });
    // Brackets inside strings are text, not nesting.
    expect(decodeService(`{"name":"${'[{'.repeat(500)}\\\"","nodes":[{"id":"n"}]}`).ok).toBe(true);
  });

  it('flags a key whose service or node disagrees with the value', () => {
    const space = keySpace('micro');
    const value = '{"name":"greeter","nodes":[{"id":"greeter-1"}]}';
    expect(decodeRecord(space, { key: '/micro/registry/other/greeter-1', value })).toMatchObject({ kind: 'malformed', malformed: { reason: expect.stringMatching(/service "other"/) } });
    expect(decodeRecord(space, { key: '/micro/registry/greeter/greeter-2', value })).toMatchObject({ kind: 'malformed', malformed: { reason: expect.stringMatching(/node "greeter-2"/) } });
    expect(decodeRecord(space, { key: '/micro/registry/greeter/greeter-1', value }).kind).toBe('record');
  });

  it('matches names with "/" through go-micro\'s "-" rule', () => {
    const value = '{"name":"a/b","nodes":[{"id":"x/y"}]}';
    expect(decodeRecord(keySpace('micro'), { key: '/micro/registry/a-b/x-y', value }).kind).toBe('record');
  });

  it('tells keys of the other layout sharing the prefix apart from bad keys', () => {
    const value = '{"name":"s","nodes":[{"id":"n"}]}';
    expect(decodeRecord(keySpace('micro'), { key: '/micro/registry/micro/s/n', value }).kind).toBe('foreign');
    expect(decodeRecord(keySpace('domain', undefined, '*'), { key: '/micro/registry/s/n', value }).kind).toBe('foreign');
    expect(decodeRecord(keySpace('micro'), { key: '/micro/registry/s', value })).toMatchObject({ kind: 'malformed', malformed: { reason: expect.stringMatching(/1 segment/) } });
    expect(decodeRecord(keySpace('micro'), { key: '/micro/registry/s//n', value }).kind).toBe('malformed');
  });
});

describe('encoding what go-micro writes, byte for byte', () => {
  for (const f of fixtures) {
    it(`re-encodes ${f.file} to the stored bytes`, () => {
      const d = decodeService(f.bytes);
      expect(d.ok).toBe(true);
      if (!d.ok) return;
      // Which struct generation wrote the fixture decides the field order.
      const order = f.file.startsWith('micro-v6') ? 'v4.10.2' : f.family === 'legacy' || f.family === 'v2' ? 'v1.7' : 'v1.8';
      expect(encodeService(d.value, order)).toBe(f.bytes);
    });
  }

  it('writes each layout in the order its go-micro generation does', () => {
    expect(layoutFieldOrder).toEqual({ micro: 'v4.10.2', domain: 'v1.8', legacy: 'v1.7', v2: 'v1.7' });
  });

  it("escapes like Go's encoder and sorts metadata keys", () => {
    expect(goJson({ a: '<b>&\u2028\u2029' })).toBe('{"a":"\\u003cb\\u003e\\u0026\\u2028\\u2029"}');
    const s = encodeService({ name: 's', version: 'v', metadata: { z: '1', a: '2' }, endpoints: null, nodes: [{ id: 'n', address: 'h:1', metadata: null }] }, 'v1.8');
    expect(s).toBe('{"name":"s","version":"v","metadata":{"a":"2","z":"1"},"endpoints":null,"nodes":[{"id":"n","address":"h:1","metadata":null}]}');
  });
});

describe('grouping', () => {
  const rec = (key: string, name: string, version: string, id: string, extra: Partial<NodeRecord> = {}): NodeRecord => ({
    key,
    layout: 'micro',
    service: { name, version, metadata: null, endpoints: [], nodes: [{ id, address: 'h:1', metadata: null }] },
    ...extra,
  });

  it('groups by name and version, sorted, nodes by id, lease in hex with its TTL', () => {
    const out = groupServices(
      [rec('/k/b/2', 'b', '1', 'b-2'), rec('/k/a/1', 'a', '2', 'a-1'), rec('/k/b/1', 'b', '1', 'b-1', { lease: '255' }), rec('/k/a/0', 'a', '1', 'a-0')],
      new Map([['255', 42]]),
    );
    expect(out.map((s) => `${s.name}@${s.version}:${s.nodes.map((n) => n.id).join(',')}`)).toEqual(['a@1:a-0', 'a@2:a-1', 'b@1:b-1,b-2']);
    expect(out[2]!.nodes[0]).toMatchObject({ lease: 'ff', ttl: 42 });
    expect(out[2]!.nodes[1]!.lease).toBeUndefined();
  });
});
