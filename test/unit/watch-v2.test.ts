// The pure parts of the v2 watch: v2 events as source changes, the pipeline with a v2 source (TTL
// heartbeats, directory deletes, resync reasons), and the reason a resync gives a vanished v2 node.
import { describe, expect, it } from 'vitest';
import { keySpace } from '../../src/registry/keys.js';
import type { NodeRecord } from '../../src/registry/model.js';
import { type EventSource, type RegistryEvent, type SourceBatch, WatchPipeline, diffRecords, v2GoneReason } from '../../src/registry/watch/pipeline.js';
import { v2Change } from '../../src/registry/v2/watch-source.js';
import type { V2Event } from '../../src/registry/v2/keys-api.js';
import { fixture } from '../helpers/fixtures.js';

const space = keySpace('v2');
const v2fx = fixture('v2-plugin-greeter');
const fixtureId = 'go.micro.srv.greeter-d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12';
const dir = '/micro-registry/go.micro.srv.greeter';

function value(id: string, address = '10.0.0.5'): string {
  return v2fx.bytes.replaceAll(fixtureId, id).replace('"address":"10.0.0.5"', `"address":"${address}"`);
}

/** A v2 key as the codec gets it from a read or an event. */
function kv(id: string, opts: { address?: string; index?: number; expiration?: string } = {}) {
  const out: { key: string; value: string; modRevision: string; createRevision: string; expiration?: string; ttl?: number } = {
    key: `${dir}/${id}`,
    value: value(id, opts.address),
    modRevision: String(opts.index ?? 1),
    createRevision: '1',
  };
  if (opts.expiration !== undefined) {
    out.expiration = opts.expiration;
    out.ttl = 60;
  }
  return out;
}

function event(action: string, id: string, opts: { index?: number; dir?: boolean; prev?: boolean } = {}): V2Event {
  const index = opts.index ?? 5;
  const key = opts.dir ? dir : `${dir}/${id}`;
  const node: V2Event['node'] = opts.dir ? { key, dir: true, modifiedIndex: index, createdIndex: 2 } : { key, modifiedIndex: index, createdIndex: 2 };
  if (!opts.dir && !['delete', 'expire', 'compareAndDelete'].includes(action)) Object.assign(node, { value: value(id), ttl: 30, expiration: '2026-01-01T00:00:30Z' });
  const e: V2Event = { action, node, nextIndex: index + 1 };
  if (opts.prev) e.prevNode = { key, value: value(id), modifiedIndex: index - 1, createdIndex: 2 };
  return e;
}

describe('v2Change', () => {
  it('maps set, create, update and compareAndSwap to a put of the key with its TTL and indexes', () => {
    for (const action of ['set', 'create', 'update', 'compareAndSwap']) {
      expect(v2Change(event(action, 'a', { index: 7 }))).toEqual({
        kind: 'put',
        kv: { key: `${dir}/a`, value: value('a'), modRevision: '7', createRevision: '2', ttl: 30, expiration: '2026-01-01T00:00:30Z' },
        revision: '7',
      });
    }
  });

  it('maps delete and compareAndDelete to deregistered, expire to expired, the old value from prevNode', () => {
    expect(v2Change(event('delete', 'a', { prev: true }))).toMatchObject({ kind: 'delete', key: `${dir}/a`, reason: 'deregistered', revision: '5', prev: { value: value('a'), modRevision: '4' } });
    expect(v2Change(event('compareAndDelete', 'a'))).toEqual({ kind: 'delete', key: `${dir}/a`, reason: 'deregistered', revision: '5' });
    expect(v2Change(event('expire', 'a', { prev: true }))).toMatchObject({ kind: 'delete', reason: 'expired' });
  });

  it('skips directories being made; a directory going takes the keys below it', () => {
    expect(v2Change(event('create', '', { dir: true }))).toBeUndefined();
    expect(v2Change(event('set', '', { dir: true }))).toBeUndefined();
    expect(v2Change(event('delete', '', { dir: true }))).toEqual({ kind: 'deleteDir', dir, revision: '5', reason: 'deregistered' });
    expect(v2Change(event('expire', '', { dir: true }))).toEqual({ kind: 'deleteDir', dir, revision: '5', reason: 'expired' });
    expect(v2Change(event('get', 'a'))).toBeUndefined();
  });
});

describe('v2GoneReason', () => {
  const rec = (expiration?: string): NodeRecord => {
    const r: NodeRecord = { key: `${dir}/a`, layout: 'v2', service: JSON.parse(value('a')) };
    if (expiration !== undefined) r.expiration = expiration;
    return r;
  };
  it('a key without TTL, or gone before its deadline, was deleted; after its deadline nobody can tell', () => {
    const at = new Date('2026-01-01T00:01:00Z');
    expect(v2GoneReason(rec(), at)).toBe('deregistered');
    expect(v2GoneReason(rec('2026-01-01T00:02:00Z'), at)).toBe('deregistered');
    expect(v2GoneReason(rec('2026-01-01T00:00:30Z'), at)).toBeUndefined();
  });
});

/** A v2-like source (quiet rewrites) that hands the pipeline what a test scripts. */
class ScriptedV2Source implements EventSource {
  readonly spaces = [space];
  readonly quietRewrites = true;
  sink: (b: SourceBatch) => void = () => undefined;
  constructor(private readonly initial: ReturnType<typeof kv>[]) {}
  async start(sink: (b: SourceBatch) => void): Promise<void> {
    this.sink = sink;
    sink({ kind: 'snapshot', kvs: this.initial, revision: '10', resync: false });
  }
  pause(): void {}
  resume(): void {}
  close(): void {}
}

async function pipelineWith(source: ScriptedV2Source, now = new Date('2026-01-01T00:01:00Z')) {
  const events: RegistryEvent[] = [];
  const pipeline = new WatchPipeline([source], () => true, { event: (e) => events.push(e), status: () => undefined, malformed: () => undefined, failed: (e) => { throw e; } }, { initial: false, now: () => now });
  await pipeline.start();
  return { pipeline, events };
}

const summary = (events: RegistryEvent[]): string[] => events.map((e) => `${e.action} ${e.record.service.nodes[0]!.id}${e.reason ? ` ${e.reason}` : ''}${e.resync ? ' resync' : ''}`);

describe('WatchPipeline with a v2 source', () => {
  it('keeps a re-set of the same value quiet but takes its new TTL; a changed value is an update', async () => {
    const source = new ScriptedV2Source([kv('a', { expiration: '2026-01-01T00:01:30Z' })]);
    const { pipeline, events } = await pipelineWith(source);
    source.sink({ kind: 'changes', changes: [{ kind: 'put', kv: kv('a', { index: 11, expiration: '2026-01-01T00:02:00Z' }), revision: '11' }] });
    await pipeline.idle();
    expect(events).toEqual([]);
    expect(pipeline.shown()[0]!.expiration).toBe('2026-01-01T00:02:00Z');
    source.sink({ kind: 'changes', changes: [{ kind: 'put', kv: kv('a', { index: 12, address: '10.0.0.9' }), revision: '12' }] });
    await pipeline.idle();
    expect(summary(events)).toEqual(['update a']);
    expect(events[0]!.previous!.service.nodes[0]!.address).toBe('10.0.0.5:54321');
    expect(events[0]!.record.service.nodes[0]!.address).toBe('10.0.0.9:54321');
  });

  it('turns a directory delete into a delete of each node below it, in key order, and nothing else', async () => {
    // A service whose name starts like the deleted one's stays.
    const other = { ...kv('x'), key: '/micro-registry/go.micro.srv.greeter2/x', value: value('x').replace('"name":"go.micro.srv.greeter"', '"name":"go.micro.srv.greeter2"') };
    const source = new ScriptedV2Source([kv('b'), kv('a'), other]);
    const { pipeline, events } = await pipelineWith(source);
    source.sink({ kind: 'changes', changes: [{ kind: 'deleteDir', dir, revision: '11', reason: 'expired' }] });
    await pipeline.idle();
    expect(summary(events)).toEqual(['delete a expired', 'delete b expired']);
    expect(pipeline.shown().map((r) => r.key)).toEqual([other.key]);
  });

  it('resyncs by value: re-set heartbeats are no updates; vanished nodes get the reason their TTL allows', async () => {
    const source = new ScriptedV2Source([kv('same'), kv('changed'), kv('permanent'), kv('early', { expiration: '2026-01-01T00:05:00Z' }), kv('late', { expiration: '2026-01-01T00:00:10Z' })]);
    const { pipeline, events } = await pipelineWith(source);
    source.sink({ kind: 'snapshot', kvs: [kv('same', { index: 30 }), kv('changed', { index: 31, address: '10.1.1.1' }), kv('new', { index: 32 })], revision: '40', resync: true });
    await pipeline.idle();
    expect(summary(events)).toEqual(['delete early deregistered resync', 'delete late resync', 'delete permanent deregistered resync', 'update changed resync', 'create new resync']);
  });
});

describe('diffRecords byValue', () => {
  it('compares values, not indexes', () => {
    const rec = (index: string): NodeRecord => ({ key: `${dir}/a`, layout: 'v2', service: JSON.parse(value('a')), modRevision: index });
    expect(diffRecords(new Map([['a', rec('1')]]), new Map([['a', rec('2')]]))).toHaveLength(1);
    expect(diffRecords(new Map([['a', rec('1')]]), new Map([['a', rec('2')]]), { byValue: true })).toEqual([]);
  });
});
