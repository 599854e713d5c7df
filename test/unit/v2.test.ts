// Pure parts of the v2 layout: URLs and bodies as the Go client builds them, how answers are read,
// how a v2 tree becomes records, and how TTLs of v2 keys are shown.
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { decodeRecord, groupServices } from '../../src/registry/codec.js';
import { keySpace } from '../../src/registry/keys.js';
import { childDirNames, flattenV2, keyPath, parseAnswer, queryString, setForm, v2RawKeyValue, watchResult, type V2Node } from '../../src/registry/v2/keys-api.js';
import { renderServicesJson } from '../../src/render/json.js';
import { formatTtl, renderServiceDetail } from '../../src/render/table.js';
import { fixture } from '../helpers/fixtures.js';

const v2fx = fixture('v2-plugin-greeter');

describe('v2 requests', () => {
  it('percent-encodes each key segment under /v2/keys', () => {
    expect(keyPath('/micro-registry/go.micro.srv.greeter/n 1?')).toBe('/v2/keys/micro-registry/go.micro.srv.greeter/n%201%3F');
    expect(keyPath('/micro-registry/')).toBe('/v2/keys/micro-registry');
    // A byte that is not UTF-8 (kept as U+DC80+byte) goes as that byte, not as U+FFFD (and never throws).
    expect(keyPath('/micro-registry/u8/n\udcff x')).toBe('/v2/keys/micro-registry/u8/n%FF%20x');
    expect(keyPath('/micro-registry/u8/n\ufffd')).toBe('/v2/keys/micro-registry/u8/n%EF%BF%BD');
  });

  it('puts options in the query and leaves out unset ones', () => {
    expect(queryString({ recursive: true, sorted: undefined, waitIndex: 42 })).toBe('?recursive=true&waitIndex=42');
    expect(queryString({ dir: undefined })).toBe('');
  });

  it('sends value and ttl form-encoded, without ttl for a permanent key', () => {
    expect(setForm('{"a":"b c&d"}', 30)).toBe('value=%7B%22a%22%3A%22b+c%26d%22%7D&ttl=30');
    expect(setForm('x')).toBe('value=x');
    expect(setForm('x', 0)).toBe('value=x');
  });
});

describe('v2 answers', () => {
  const answer = (status: number, body: string, etcdIndex?: number) => parseAnswer({ status, body, etcdIndex, contentType: 'application/json' });

  it('reads a success with its X-Etcd-Index and prevNode', () => {
    const a = answer(200, '{"action":"delete","node":{"key":"/a","modifiedIndex":9,"createdIndex":3},"prevNode":{"key":"/a","value":"v","modifiedIndex":3,"createdIndex":3}}', 9);
    expect(a).toMatchObject({ kind: 'ok', response: { action: 'delete', etcdIndex: 9, prevNode: { value: 'v' } } });
  });

  it('reads an error answer with code, cause and index', () => {
    expect(answer(404, '{"errorCode":100,"message":"Key not found","cause":"/x","index":7}')).toEqual({ kind: 'error', status: 404, errorCode: 100, message: 'Key not found', cause: '/x', index: 7 });
  });

  it('tells an etcd without the v2 API (plain 404) from a missing key', () => {
    expect(answer(404, '404 page not found\n')).toEqual({ kind: 'not-served' });
  });

  it('reads refused credentials as unauthorized', () => {
    expect(answer(401, '{"errorCode":110,"message":"The request requires user authentication","cause":"Insufficient credentials","index":0}').kind).toBe('unauthorized');
    expect(answer(401, 'nope').kind).toBe('unauthorized');
  });

  it('turns a watch answer into an event continuing after the node, or a cleared index', () => {
    const ev = watchResult(answer(200, '{"action":"expire","node":{"key":"/r/s/n","modifiedIndex":12,"createdIndex":5},"prevNode":{"key":"/r/s/n","value":"v","modifiedIndex":5,"createdIndex":5}}', 4));
    expect(ev).toMatchObject({ kind: 'event', event: { action: 'expire', nextIndex: 13, prevNode: { value: 'v' } } });
    const cleared = watchResult(answer(400, '{"errorCode":401,"message":"The event in requested index is outdated and cleared","cause":"the requested history has been cleared [107/2]","index":1106}'));
    expect(cleared).toEqual({ kind: 'cleared', etcdIndex: 1106 });
  });
});

describe('v2 trees as records', () => {
  const prefix = '/micro-registry/';
  const tree: V2Node = {
    key: '/micro-registry',
    dir: true,
    modifiedIndex: 1,
    createdIndex: 1,
    nodes: [
      {
        key: '/micro-registry/go.micro.srv.greeter',
        dir: true,
        modifiedIndex: 4,
        createdIndex: 4,
        nodes: [{ key: v2fx.key, value: v2fx.bytes, ttl: 58, expiration: '2026-01-01T00:01:00.5Z', modifiedIndex: 5, createdIndex: 5 }],
      },
      // An expired node's directory stays behind, empty: no record, no complaint.
      { key: '/micro-registry/gone', dir: true, modifiedIndex: 2, createdIndex: 2 },
    ],
  };

  it('flattens directories to their keys and names the service directories', () => {
    const leaves = flattenV2(tree);
    expect(leaves).toHaveLength(1);
    expect(leaves[0]).toMatchObject({ key: v2fx.key, ttl: 58, modifiedIndex: 5 });
    expect(childDirNames(tree)).toEqual(['go.micro.srv.greeter', 'gone']);
  });

  it('decodes the plugin fixture with the same codec: port folded, TTL and index carried', () => {
    const r = decodeRecord(keySpace('v2', prefix), v2RawKeyValue(flattenV2(tree)[0]!));
    expect(r.kind).toBe('record');
    if (r.kind !== 'record') return;
    expect(r.record).toMatchObject({ layout: 'v2', ttl: 58, expiration: '2026-01-01T00:01:00.5Z', modRevision: '5', createRevision: '5' });
    expect(r.record.lease).toBeUndefined();
    expect(r.record.service.nodes[0]!.address).toBe('10.0.0.5:54321');
  });

  it('shows a v2 key TTL without a lease, and a permanent key as "no ttl"', () => {
    const r = decodeRecord(keySpace('v2', prefix), v2RawKeyValue(flattenV2(tree)[0]!));
    if (r.kind !== 'record') throw new Error('not a record');
    const [svc] = groupServices([r.record]);
    const node = svc!.nodes[0]!;
    expect(node).toMatchObject({ ttl: 58, expiration: '2026-01-01T00:01:00.5Z', layout: 'v2' });
    const paint = new Chalk({ level: 0 });
    expect(formatTtl(node, paint)).toBe('58s');
    const { ttl: _t, expiration: _e, ...permanent } = node;
    expect(formatTtl(permanent, paint)).toBe('no ttl');
    expect(formatTtl({ ...permanent, layout: 'legacy' }, paint)).toBe('no lease');
    const json = JSON.parse(renderServicesJson([svc!], false));
    expect(json[0].nodes[0]).toMatchObject({ ttl: 58, expiration: '2026-01-01T00:01:00.5Z', layout: 'v2' });
    expect(json[0].nodes[0].lease).toBeUndefined();
    const text = renderServiceDetail([svc!], { tty: false, paint, width: 200, wide: true });
    expect(text).toContain('layout=v2');
    expect(text).toMatch(/go\.micro\.srv\.greeter-d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12\t10\.0\.0\.5:54321\t58s\t/);
  });

  it('classifies a key nested deeper than service/node, and a bad value, as malformed', () => {
    const space = keySpace('v2', prefix);
    expect(decodeRecord(space, { key: '/micro-registry/a/b/c', value: '{}' }).kind).toBe('malformed');
    expect(decodeRecord(space, { key: '/micro-registry/a/b', value: 'not json' })).toMatchObject({ kind: 'malformed', malformed: { reason: 'the value is not JSON', layout: 'v2' } });
  });
});
