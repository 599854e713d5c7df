// The pieces that make large reads cheap (issue 17) give exactly what the general paths give: Range
// answers decoded from the wire as etcd3's own decoder reads them, values decoded with shared heads as
// decodeService decodes each alone, and the listing JSON written in pieces as renderJson writes it whole.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { ValueDecoder, decodeService, encodeService, groupServices } from '../../src/registry/codec.js';
import type { NodeRecord, Service } from '../../src/registry/model.js';
import { decodeRangeResponse } from '../../src/registry/v3/range-wire.js';
import { renderJson, serviceJson, servicesJsonChunks } from '../../src/render/json.js';
import { Rng, genCase } from '../helpers/fuzz.js';
import { loadFixtures } from '../helpers/fixtures.js';

// etcd's own message definitions, as etcd3 loads them: the serializer and decoder to compare with.
const requireEtcd3 = createRequire(createRequire(import.meta.url).resolve('etcd3'));
const protoLoader = requireEtcd3('@grpc/proto-loader') as typeof import('@grpc/proto-loader');
const rpc = protoLoader.loadSync(requireEtcd3.resolve('../proto/rpc.proto'), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
const range = (rpc['etcdserverpb.KV'] as Record<string, { responseSerialize(v: unknown): Buffer; responseDeserialize(b: Buffer): unknown }>).Range!;

describe('decodeRangeResponse', () => {
  const response = {
    header: { cluster_id: '14841639068965178418', member_id: '10276657743932975437', revision: '9007199254740993', raft_term: '7' },
    kvs: [
      { key: Buffer.from('/micro/registry/a/a-1'), create_revision: '2', mod_revision: '3', version: '1', value: Buffer.from('{"name":"a"}'), lease: '7587887374219385613' },
      // A key that is not UTF-8, an empty value, no lease, a revision past 2^53.
      { key: Buffer.from([0x2f, 0x6e, 0xff, 0x80]), create_revision: '9007199254740993', mod_revision: '9223372036854775807', version: '3', value: Buffer.alloc(0), lease: '0' },
    ],
    more: true,
    count: '30000',
  };

  it('reads what etcd3 reads: keys and values as bytes, int64s as decimal text, past 2^53 too', () => {
    const bytes = range.responseSerialize(response);
    const theirs = range.responseDeserialize(bytes) as typeof response;
    const ours = decodeRangeResponse(bytes);
    expect(ours.revision).toBe(theirs.header.revision);
    expect(ours.more).toBe(true);
    expect(ours.count).toBe('30000');
    expect(ours.kvs).toHaveLength(2);
    ours.kvs.forEach((kv, i) => {
      const want = theirs.kvs[i]!;
      expect(Buffer.compare(kv.key, want.key)).toBe(0);
      expect(Buffer.compare(kv.value, want.value)).toBe(0);
      expect([kv.createRevision, kv.modRevision, kv.lease]).toEqual([want.create_revision, want.mod_revision, want.lease]);
    });
    expect(ours.kvs[0]!.lease).toBe('7587887374219385613');
    expect(ours.kvs[1]!.modRevision).toBe('9223372036854775807');
  });

  it('keys only: the keys, without reading revisions and leases', () => {
    const ours = decodeRangeResponse(range.responseSerialize(response), true);
    expect(ours.kvs.map((kv) => kv.key.toString('latin1'))).toEqual(response.kvs.map((kv) => kv.key.toString('latin1')));
    expect(ours.kvs.map((kv) => kv.lease)).toEqual(['0', '0']);
  });

  it('an empty answer and a count-only answer', () => {
    expect(decodeRangeResponse(range.responseSerialize({ header: { revision: '5' }, kvs: [], more: false, count: '0' }))).toEqual({ revision: '5', kvs: [], more: false, count: '0' });
    expect(decodeRangeResponse(range.responseSerialize({ header: { revision: '6' }, count: '42' })).count).toBe('42');
  });

  it('refuses a cut message rather than reading past it', () => {
    const bytes = range.responseSerialize(response);
    expect(() => decodeRangeResponse(bytes.subarray(0, bytes.length - 3))).toThrow();
  });
});

describe('ValueDecoder', () => {
  /** Every value through one decoder, in turn: each result must deep-equal decodeService's of it alone. */
  function sameAsAlone(values: readonly (string | Buffer)[]): void {
    const decoder = new ValueDecoder();
    for (const v of values) {
      const bytes = typeof v === 'string' ? Buffer.from(v) : v;
      expect(decoder.decode(bytes), bytes.toString('latin1').slice(0, 200)).toStrictEqual(decodeService(bytes));
    }
  }

  const nodesOf = (service: Service, n: number): Service[] =>
    Array.from({ length: n }, (_, i) => ({ ...service, nodes: [{ id: `${service.name}-${i}`, address: `10.0.0.${i}:8080`, metadata: { server: 'grpc', i: String(i) } }] }));

  it('every fixture, many nodes of one service in each field order: the same services as decoded alone', () => {
    for (const f of loadFixtures()) {
      const decoded = decodeService(f.bytes);
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) continue;
      for (const order of ['v1.7', 'v1.8', 'v4.10.2'] as const) sameAsAlone(nodesOf(decoded.value, 5).map((s) => encodeService(s, order)));
    }
  });

  it('a head shared by a value that is not what it seems is never reused', () => {
    const head = '{"name":"a","version":"1","metadata":null,"endpoints":[],';
    const good = `${head}"nodes":[{"id":"a-1","address":"h:1","metadata":null}]}`;
    sameAsAlone([
      good,
      // The same head, then a tail with a second member after nodes: the name is the tail's.
      `${head}"nodes":[{"id":"a-2","address":"h:2","metadata":null}],"name":"b"}`,
      // A tail that is not JSON, a tail with an empty or null node list, a node that is not an object.
      `${head}"nodes":[{"id":"a-3"`,
      `${head}"nodes":[]}`,
      `${head}"nodes":null}`,
      `${head}"nodes":["x"]}`,
      `${head}"nodes":[{"id":"a-4","address":"h:4","metadata":null}]}`,
    ]);
    // A head that ends inside a key string (an escaped quote): the last `"nodes":` is part of the key
    // `k"nodes`, and the node list is the member spelled `\u006eodes` before it.
    const inKey = '{"name":"a","\\u006eodes":[{"id":"a-1","address":"h:1","metadata":null}],"k\\';
    sameAsAlone([`${inKey}"nodes":[{"id":"a-1","address":"h:1","metadata":null}]}`, `${inKey}"nodes":[{"id":"a-2","address":"h:2","metadata":null}]}`]);
    // A head that ends one level down (`nodes` of an endpoint's metadata).
    const nested = '{"name":"a","nodes":[{"id":"a-1","address":"h:1","metadata":null}],"metadata":{';
    sameAsAlone([`${nested}"nodes":"x"}}`, `${nested}"nodes":"y"}}`]);
  });

  it('fuzzed values, and each with its node list swapped for another value\'s', () => {
    const rng = new Rng(1717);
    const values: Buffer[] = [];
    for (let i = 0; i < 1500; i++) {
      const c = genCase(rng);
      const v = typeof c.kv.value === 'string' ? Buffer.from(c.kv.value) : Buffer.from(c.kv.value);
      values.push(v);
      const other = values[rng.int(values.length)]!;
      const at = v.lastIndexOf('"nodes":');
      const otherAt = other.lastIndexOf('"nodes":');
      if (at > 0 && otherAt > 0) values.push(Buffer.concat([v.subarray(0, at), other.subarray(otherAt)]), v);
    }
    sameAsAlone(values);
  });
});

describe('servicesJsonChunks', () => {
  const records: NodeRecord[] = loadFixtures().flatMap((f) => {
    const d = decodeService(f.bytes);
    if (!d.ok) return [];
    return nodesOf3(d.value).map((service, i) => ({ key: `${f.key}-${i}`, layout: f.family, service, lease: '694' }));
  });
  function nodesOf3(s: Service): Service[] {
    return [0, 1, 2].map((i) => ({ ...s, nodes: [{ ...s.nodes[0]!, id: `${s.nodes[0]!.id}-${i}`, metadata: { bidi: '\u202e', c1: '\u0085' } }] }));
  }

  it('joined, byte for byte renderJson of the whole list, pretty and compact, however small the pieces', () => {
    const services = groupServices(records, new Map([['694', 37]]));
    expect(services.length).toBeGreaterThan(3);
    for (const pretty of [true, false]) {
      const whole = renderJson(services.map(serviceJson), pretty);
      for (const size of [1, 100, 64 * 1024]) {
        const chunks = [...servicesJsonChunks(services, pretty, size)];
        expect(chunks.join('')).toBe(whole);
        if (size === 1) expect(chunks.length).toBe(services.length + 1);
      }
    }
    expect([...servicesJsonChunks([], true)].join('')).toBe(renderJson([], true));
    expect([...servicesJsonChunks([], false)].join('')).toBe('[]\n');
  });
});
