// The pure parts of watch: the resync diff, the pipeline's bookkeeping (fed by a scripted source),
// and the event renderers.
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { keySpace } from '../../src/registry/keys.js';
import type { NodeRecord } from '../../src/registry/model.js';
import { type DeleteReason, type EventSource, type RegistryEvent, type SourceBatch, WatchPipeline, diffRecords } from '../../src/registry/watch/pipeline.js';
import { describeUpdate, eventJson, formatTimestamp, layoutLiveScreen, liveKeys, renderEventJson, renderEventLine, renderLiveScreen } from '../../src/render/events.js';
import type { Style } from '../../src/render/table.js';
import { fixture } from '../helpers/fixtures.js';

const space = keySpace('micro');
const v6 = fixture('micro-v6-greeter');
const fixtureId = 'go.micro.srv.greeter-d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12';

function kv(id: string, opts: { address?: string; rev?: string; lease?: string; server?: string } = {}) {
  let value = v6.bytes.replaceAll(fixtureId, id);
  if (opts.address) value = value.replace('10.0.0.5:54321', opts.address);
  if (opts.server) value = value.replace('"server":"mucp"', `"server":"${opts.server}"`);
  return { key: `/micro/registry/go.micro.srv.greeter/${id}`, value, modRevision: opts.rev ?? '1', lease: opts.lease ?? '0' };
}

function rec(id: string, opts: { address?: string; rev?: string; lease?: string } = {}): NodeRecord {
  const r: NodeRecord = { key: kv(id).key, layout: 'micro', service: JSON.parse(kv(id, opts).value), modRevision: opts.rev ?? '1' };
  if (opts.lease) r.lease = opts.lease;
  return r;
}

/** A source that hands the pipeline what a test scripts. */
class ScriptedSource implements EventSource {
  readonly spaces = [space];
  sink: (b: SourceBatch) => void = () => undefined;
  constructor(
    private readonly initial: ReturnType<typeof kv>[],
    private readonly leases: Record<string, DeleteReason> = {},
  ) {}
  async start(sink: (b: SourceBatch) => void): Promise<void> {
    this.sink = sink;
    sink({ kind: 'snapshot', kvs: this.initial, revision: '10', resync: false });
  }
  async deleteReason(lease: string): Promise<DeleteReason | undefined> {
    return this.leases[lease];
  }
  pause(): void {}
  resume(): void {}
  close(): void {}
}

async function pipelineWith(source: ScriptedSource, filter = (_: NodeRecord) => true, initial = false) {
  const events: RegistryEvent[] = [];
  const pipeline = new WatchPipeline([source], filter, { event: (e) => events.push(e), status: () => undefined, malformed: () => undefined, failed: (e) => { throw e; } }, { initial, now: () => new Date(0) });
  await pipeline.start();
  return { pipeline, events };
}

const summary = (events: RegistryEvent[]): string[] => events.map((e) => `${e.action} ${e.record.service.nodes[0]!.id}${e.reason ? ` ${e.reason}` : ''}${e.resync ? ' resync' : ''}`);

describe('diffRecords', () => {
  it('gives deletes first, then creates and updates in key order; an unchanged key gives nothing', () => {
    const before = new Map([['a', rec('a')], ['b', rec('b')], ['c', rec('c')]]);
    const after = new Map([['b', rec('b', { rev: '5', address: '1.1.1.1:1' })], ['c', rec('c')], ['d', rec('d')]]);
    expect(diffRecords(before, after).map((c) => `${c.action} ${c.record.service.nodes[0]!.id}`)).toEqual(['delete a', 'update b', 'create d']);
  });

  it('without revisions (a v2 source) compares values', () => {
    const a = rec('a');
    delete a.modRevision;
    const same = rec('a');
    delete same.modRevision;
    expect(diffRecords(new Map([['a', a]]), new Map([['a', same]]))).toEqual([]);
  });
});

describe('WatchPipeline', () => {
  it('turns puts into create/update and deletes into delete with the lease reason', async () => {
    const source = new ScriptedSource([kv('old', { lease: '7' })], { '7': 'expired', '8': 'deregistered' });
    const { pipeline, events } = await pipelineWith(source);
    expect(events).toEqual([]);
    source.sink({ kind: 'changes', changes: [{ kind: 'put', kv: kv('n1', { rev: '11', lease: '8' }), revision: '11' }, { kind: 'put', kv: kv('n1', { rev: '12', address: '2.2.2.2:2', lease: '8' }), revision: '12' }] });
    source.sink({ kind: 'changes', changes: [{ kind: 'delete', key: kv('n1').key, revision: '13' }, { kind: 'delete', key: kv('old').key, revision: '13' }] });
    source.sink({ kind: 'changes', changes: [{ kind: 'delete', key: kv('never-seen').key, revision: '14', prev: kv('never-seen') }] });
    await pipeline.idle();
    expect(summary(events)).toEqual(['create n1', 'update n1', 'delete n1 deregistered', 'delete old expired', 'delete never-seen deregistered']);
    expect(events[1]!.previous?.service.nodes[0]!.address).toBe('10.0.0.5:54321');
    expect(pipeline.revision).toBe('14');
  });

  it('a put that makes a node match the filter is a create, one that makes it stop matching a delete', async () => {
    const source = new ScriptedSource([kv('s', { server: 'mucp' })]);
    const { pipeline, events } = await pipelineWith(source, (r) => r.service.nodes[0]!.metadata?.server === 'grpc');
    source.sink({ kind: 'changes', changes: [{ kind: 'put', kv: kv('s', { server: 'grpc', rev: '11' }), revision: '11' }] });
    source.sink({ kind: 'changes', changes: [{ kind: 'put', kv: kv('s', { server: 'mucp', rev: '12' }), revision: '12' }] });
    await pipeline.idle();
    expect(summary(events)).toEqual(['create s', 'delete s']);
  });

  it('--initial shows the first state as creates; a resync snapshot as resync events', async () => {
    const source = new ScriptedSource([kv('a'), kv('b')]);
    const { pipeline, events } = await pipelineWith(source, () => true, true);
    source.sink({ kind: 'snapshot', kvs: [kv('b', { rev: '20' }), kv('c', { rev: '20' })], revision: '20', resync: true });
    await pipeline.idle();
    expect(summary(events)).toEqual(['create a', 'create b', 'delete a deregistered resync', 'update b resync', 'create c resync']);
    expect(pipeline.shown().map((r) => r.service.nodes[0]!.id).sort()).toEqual(['b', 'c']);
  });
});

describe('event renderers', () => {
  const plain: Style = { tty: false, paint: new Chalk({ level: 0 }), width: 120, wide: false };
  const time = new Date(2026, 0, 2, 3, 4, 5, 67);

  it('says what an update changed', () => {
    const was = rec('a');
    const now = rec('a', { address: '10.0.0.6:1', lease: '255' });
    now.service.nodes[0]!.metadata = { ...was.service.nodes[0]!.metadata!, extra: 'x', server: 'grpc' };
    delete now.service.nodes[0]!.metadata!.broker;
    now.service.endpoints = [];
    expect(describeUpdate(was, now)).toEqual([
      'address 10.0.0.5:54321 → 10.0.0.6:1',
      'metadata -broker +extra=x ~server=grpc',
      'endpoints -Say.Hello -Say.Stream',
      'lease none → ff',
    ]);
    expect(describeUpdate(was, rec('a', { rev: '9' }))).toEqual(['re-registered, no change']);
  });

  it('renders a line and a JSON line per event', () => {
    const event: RegistryEvent = { action: 'delete', record: rec('a', { lease: '16' }), revision: '42', time, reason: 'expired', resync: true };
    expect(renderEventLine(event, plain)).toBe(`${formatTimestamp(time)}\tdelete\tgo.micro.srv.greeter\tlatest\ta\t10.0.0.5:54321\texpired (resync)\n`);
    const json = JSON.parse(renderEventJson(event));
    expect(json).toEqual(eventJson(event));
    expect(json).toMatchObject({ action: 'delete', key: '/micro/registry/go.micro.srv.greeter/a', revision: 42, time: time.toISOString(), reason: 'expired', resync: true });
    expect(json.service).toMatchObject({ name: 'go.micro.srv.greeter', version: 'latest', nodes: [{ id: 'a', address: '10.0.0.5:54321', lease: '10' }] });
    expect(Object.keys(json.service)).toEqual(['name', 'version', 'metadata', 'endpoints', 'nodes']);
  });

  it('piped lines carry the date and offset and always the same number of tab-separated fields', () => {
    expect(formatTimestamp(time)).toMatch(/^2026-01-02T03:04:05\.067[+-]\d\d:\d\d$/);
    const events: RegistryEvent[] = [
      { action: 'create', record: rec('a'), revision: '1', time },
      { action: 'update', record: rec('a', { address: '10.0.0.6:1' }), previous: rec('a'), revision: '2', time },
      { action: 'delete', record: rec('a'), revision: '3', time, reason: 'deregistered' },
    ];
    for (const wide of [false, true]) {
      const counts = events.map((e) => renderEventLine(e, { ...plain, wide }).trimEnd().split('\t').length);
      expect(new Set(counts), `wide=${wide}`).toEqual(new Set([wide ? 9 : 7]));
    }
    expect(renderEventLine(events[0]!, plain).trimEnd().split('\t')[6]).toBe('-');
  });

  it('on a terminal the columns line up from line to line', () => {
    const widths: number[] = [];
    const tty = { ...plain, tty: true };
    const lines = [
      renderEventLine({ action: 'create', record: rec('a-long-node-id'), revision: '1', time }, tty, widths),
      renderEventLine({ action: 'create', record: rec('b'), revision: '2', time }, tty, widths),
      renderEventLine({ action: 'delete', record: rec('c'), revision: '3', time, reason: 'expired' }, tty, widths),
    ];
    expect(lines[0]).toMatch(/^03:04:05\.067  create  go\.micro\.srv\.greeter  latest  a-long-node-id  10\.0\.0\.5:54321  -$/m);
    const addressAt = lines.slice(1).map((l) => l.indexOf('10.0.0.5'));
    expect(new Set(addressAt)).toEqual(new Set([lines[0]!.indexOf('10.0.0.5')]));
  });

  it('fits the live screen to the terminal height: the table scrolls, the recent changes and the keys stay', () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({ record: rec(`n-${String(i).padStart(2, '0')}`) }));
    const screen = { title: 'T', status: 'connected', rows, recent: ['r1'] };
    const text = renderLiveScreen(screen, { ...plain, tty: true }, 20);
    const lines = text.replace(/\x1b\[(?:H|2K|J)/g, '').split('\r\n');
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe('T');
    expect(lines[3]).toMatch(/^SERVICE\s+VERSION\s+NODE\s+ADDRESS\s+TTL$/);
    expect(lines[4]).toMatch(/\bn-00\b/);
    expect(text).toMatch(/… \d+ more below \(↑\/↓ PgUp\/PgDn; or enlarge the terminal\)/);
    expect(lines.at(-2)).toMatch(/^r1/);
    expect(lines.at(-1)).toBe(liveKeys);
    // Scrolled down: the first rows give way, the heading stays; past the end it stops at the last row.
    const scrolled = layoutLiveScreen({ ...screen, scroll: 10 }, { ...plain, tty: true }, 20);
    expect(scrolled.lines[3]).toMatch(/^SERVICE/);
    expect(scrolled.lines[4]).toMatch(/\bn-10\b/);
    expect(scrolled.lines.join('\n')).toMatch(/more below, 10 above/);
    const end = layoutLiveScreen({ ...screen, scroll: 1000 }, { ...plain, tty: true }, 20);
    expect(end.scroll).toBe(end.maxScroll);
    expect(end.lines.join('\n')).toMatch(/\bn-49\b/);
    expect(end.lines).toHaveLength(20);
  });

  it('recent changes keep their colours when they fit and are cut as plain text when they do not', () => {
    const short = '\x1b[32mcreate\x1b[39m  a';
    const long = `\x1b[31mdelete\x1b[39m  ${'x'.repeat(100)}`;
    const lines = layoutLiveScreen({ title: 'T', status: '', rows: [], recent: [short, long] }, { ...plain, tty: true, width: 40 }, 12).lines;
    expect(lines).toContain(short);
    const cut = lines.find((l) => l.startsWith('delete'));
    expect(cut).toBe(`delete  ${'x'.repeat(31)}…`);
  });

  it('counts the TTL down from the lease, and shows the lease id only with -o wide', () => {
    const rows = [{ record: rec('a', { lease: '16' }) }];
    const ttls = new Map([['16', 3579]]);
    const narrow = layoutLiveScreen({ title: 'T', status: '', rows, recent: [], ttls }, { ...plain, tty: true }, 10).lines.join('\n');
    expect(narrow).toMatch(/\ba\s+10\.0\.0\.5:54321\s+59m39s/);
    expect(narrow).not.toMatch(/LEASE/);
    const wide = layoutLiveScreen({ title: 'T', status: '', rows, recent: [], ttls: new Map([['16', 45]]) }, { ...plain, tty: true, wide: true }, 10).lines.join('\n');
    expect(wide).toMatch(/TTL\s+LEASE/);
    expect(wide).toMatch(/45s\s+10$/m);
  });
});
