// `watch` against a real etcd, run as the built binary: events, reasons, transactions, layouts,
// reconnects and compaction. Tests that kill or compact etcd use their own etcd.
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { EtcdClient } from '../../src/registry/v3/client.js';
import { etcdClient, randomPrefix } from '../helpers/cli.js';
import { type EtcdServer, startEtcd } from '../helpers/etcd.js';
import { closedPort } from '../helpers/ports.js';
import { type Fixture, fixture } from '../helpers/fixtures.js';
import { type CliProcess, killAll, spawnCli } from '../helpers/process.js';
import { type JsonEvent, events, waitForEvents, watchJson } from '../helpers/watch.js';

const sharedEndpoint = inject('etcdEndpoint');
const fixtureId = 'go.micro.srv.greeter-d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12';

function writer(endpoint: string): EtcdClient {
  return etcdClient(endpoint);
}

/** A fixture's record moved under `prefix` (the layout's default prefix replaced), for node `id`. */
function record(f: Fixture, prefix: string, id: string, address?: string): { key: string; value: string } {
  const defaultPrefix = f.family === 'legacy' ? '/micro-registry/' : '/micro/registry/';
  let value = f.bytes.replaceAll(fixtureId, id);
  if (address !== undefined) value = value.replace('"10.0.0.5:54321"', JSON.stringify(address));
  return { key: f.key.replace(defaultPrefix, prefix).replace(fixtureId, id), value };
}





afterEach(() => killAll());

describe('watch on the shared etcd', () => {
  const client = writer(sharedEndpoint);
  const v6 = fixture('micro-v6-greeter');
  afterAll(() => client.close());

  it('reports create, update and delete of one node as NDJSON', async () => {
    const prefix = `${randomPrefix()}micro/registry/`;
    const p = await watchJson(['--endpoints', sharedEndpoint, '--prefix', prefix]);
    const a = record(v6, prefix, 'greeter-a');
    await client.put(a.key, a.value);
    const moved = record(v6, prefix, 'greeter-a', '10.0.0.9:1234');
    await client.put(moved.key, moved.value);
    await client.etcd.kv.deleteRange({ key: Buffer.from(a.key) });
    const got = await waitForEvents(p, 3);
    expect(got.map((e) => e.action)).toEqual(['create', 'update', 'delete']);
    expect(got.every((e) => e.key === a.key && e.service.name === 'go.micro.srv.greeter')).toBe(true);
    expect(got.map((e) => e.service.nodes[0]!.address)).toEqual(['10.0.0.5:54321', '10.0.0.9:1234', '10.0.0.9:1234']);
    expect(got[0]!.service.nodes).toHaveLength(1);
    expect(got[0]!.revision).toBeLessThan(got[1]!.revision);
    expect(got[1]!.revision).toBeLessThan(got[2]!.revision);
    expect(new Date(got[0]!.time).toISOString()).toBe(got[0]!.time);
    expect(got[2]!.reason).toBe('deregistered');
    expect(got.every((e) => e.resync === undefined)).toBe(true);
    p.signal('SIGINT');
    expect((await p.exited()).code).toBe(0);
  });

  it('reports every node of a three-key transaction', async () => {
    const prefix = `${randomPrefix()}micro/registry/`;
    const p = await watchJson(['--endpoints', sharedEndpoint, '--prefix', prefix]);
    const nodes = ['t-1', 't-2', 't-3'].map((id) => record(v6, prefix, id));
    await client.etcd.kv.txn({ compare: [], success: nodes.map((n) => ({ request_put: { key: Buffer.from(n.key), value: Buffer.from(n.value) } })), failure: [] });
    const got = await waitForEvents(p, 3);
    expect(got.map((e) => e.service.nodes[0]!.id).sort()).toEqual(['t-1', 't-2', 't-3']);
    expect(new Set(got.map((e) => e.revision)).size).toBe(1);
    // A prefix delete of all three is three deletes too.
    await client.etcd.kv.deleteRange({ key: Buffer.from(prefix), range_end: Buffer.from(`${prefix.slice(0, -1)}0`) });
    const all = await waitForEvents(p, 6);
    expect(all.slice(3).map((e) => `${e.action} ${e.service.nodes[0]!.id} ${e.reason}`).sort()).toEqual(['delete t-1 deregistered', 'delete t-2 deregistered', 'delete t-3 deregistered']);
  });

  it('tells a deregister (lease alive) from an expiry (lease gone)', async () => {
    const prefix = `${randomPrefix()}micro/registry/`;
    const p = await watchJson(['--endpoints', sharedEndpoint, '--prefix', prefix]);
    const kept = record(v6, prefix, 'kept');
    const keptLease = await client.grant(60);
    await client.put(kept.key, kept.value, keptLease);
    const dying = record(v6, prefix, 'dying');
    await client.put(dying.key, dying.value, await client.grant(1));
    await waitForEvents(p, 2);
    // go-micro deregisters by deleting the key; the lease lingers.
    await client.etcd.kv.deleteRange({ key: Buffer.from(kept.key) });
    const got = await waitForEvents(p, 4, 15_000);
    const deletes = got.filter((e) => e.action === 'delete').map((e) => `${e.service.nodes[0]!.id} ${e.reason}`).sort();
    expect(deletes).toEqual(['dying expired', 'kept deregistered']);
    await client.revoke(keptLease);
  });

  it('filters on names, globs and --selector, and prints the current nodes with --initial', async () => {
    const prefix = `${randomPrefix()}micro/registry/`;
    const grpcNode = record(v6, prefix, 'sel-1');
    await client.put(grpcNode.key, grpcNode.value.replace('"server":"mucp"', '"server":"grpc"'));
    await client.put(`${prefix}other/other-1`, '{"name":"other","version":"1","nodes":[{"id":"other-1","address":"1.2.3.4:5","metadata":{"server":"grpc"}}]}');
    const p = spawnCli(['watch', '-o', 'json', '--initial', '--endpoints', sharedEndpoint, '--prefix', prefix, 'go.micro.srv.*', '--selector', 'server=grpc']);
    await p.waitForStderr(/^watching 1 service, 1 node at revision \d+/m);
    const initial = await waitForEvents(p, 1);
    expect(initial[0]).toMatchObject({ action: 'create', key: grpcNode.key });
    const mucp = record(v6, prefix, 'sel-2');
    await client.put(mucp.key, mucp.value);
    await client.put(`${prefix}other/other-2`, '{"name":"other","version":"1","nodes":[{"id":"other-2","address":"1.2.3.4:6","metadata":{"server":"grpc"}}]}');
    const third = record(v6, prefix, 'sel-3');
    await client.put(third.key, third.value.replace('"server":"mucp"', '"server":"grpc"'));
    const got = await waitForEvents(p, 2);
    expect(got.map((e) => `${e.action} ${e.service.nodes[0]!.id}`)).toEqual(['create sel-1', 'create sel-3']);
  });

  it('watches the domain and legacy layouts', async () => {
    const root = randomPrefix();
    const domainPrefix = `${root}micro/registry/`;
    const legacyPrefix = `${root}micro-registry/`;
    const d = spawnCli(['watch', '-o', 'json', '--endpoints', sharedEndpoint, '--layout', 'domain', '--domain', '*', '--prefix', domainPrefix]);
    const l = spawnCli(['watch', '-o', 'json', '--endpoints', sharedEndpoint, '--layout', 'legacy', '--prefix', legacyPrefix]);
    await d.waitForStderr(/^watching/m);
    await l.waitForStderr(/^watching/m);
    const dn = record(fixture('domain-micro-greeter'), domainPrefix, 'dom-1');
    const ln = record(fixture('legacy-greeter'), legacyPrefix, 'leg-1');
    await client.put(dn.key, dn.value);
    await client.put(ln.key, ln.value);
    const [de] = await waitForEvents(d, 1);
    expect(de).toMatchObject({ action: 'create', key: dn.key, service: { name: 'go.micro.srv.greeter', domain: 'micro' } });
    const [le] = await waitForEvents(l, 1);
    // go-micro v1.7's separate port is folded into the address.
    expect(le).toMatchObject({ action: 'create', key: ln.key, service: { nodes: [{ id: 'leg-1', address: '10.0.0.5:54321' }] } });
  });

  it('prints one human line per event: time, action, service, version, node, address, changes, reason', async () => {
    const prefix = `${randomPrefix()}micro/registry/`;
    const p = spawnCli(['watch', '--endpoints', sharedEndpoint, '--prefix', prefix]);
    await p.waitForStderr(/^watching 0 services, 0 nodes at revision \d+/m);
    const a = record(v6, prefix, 'h-1');
    await client.put(a.key, a.value);
    await client.put(a.key, a.value.replace('"10.0.0.5:54321"', '"10.0.0.6:1"').replace('"broker":"http",', ''));
    await client.etcd.kv.deleteRange({ key: Buffer.from(a.key) });
    const lines = (await p.waitForLines(3)).map((l) => l.split('\t'));
    expect(lines[0]!.slice(1)).toEqual(['create', 'go.micro.srv.greeter', 'latest', 'h-1', '10.0.0.5:54321', '-']);
    // Piped: the date and offset are in the time, and every line has the same fields.
    expect(lines[0]![0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/);
    expect(new Set(lines.map((l) => l.length))).toEqual(new Set([7]));
    expect(lines[1]!.slice(1, 6)).toEqual(['update', 'go.micro.srv.greeter', 'latest', 'h-1', '10.0.0.6:1']);
    expect(lines[1]![6]).toBe('address 10.0.0.5:54321 → 10.0.0.6:1, metadata -broker');
    expect(lines[2]!.slice(1)).toEqual(['delete', 'go.micro.srv.greeter', 'latest', 'h-1', '10.0.0.6:1', 'deregistered']);
  });

  it('exits after --count events and after --for', async () => {
    const prefix = `${randomPrefix()}micro/registry/`;
    const counted = await watchJson(['--endpoints', sharedEndpoint, '--prefix', prefix, '--count', '2']);
    for (const id of ['c-1', 'c-2', 'c-3']) {
      const n = record(v6, prefix, id);
      await client.put(n.key, n.value);
    }
    expect((await counted.exited()).code).toBe(0);
    expect(events(counted).map((e) => e.service.nodes[0]!.id)).toEqual(['c-1', 'c-2']);
    const timed = spawnCli(['watch', '--endpoints', sharedEndpoint, '--prefix', prefix, '--for', '300ms']);
    expect((await timed.exited()).code).toBe(0);
    expect(timed.stderr()).toMatch(/^watching 1 service, 3 nodes at revision/m);
  });

  it('exits 4 within --timeout when etcd cannot be reached at start', async () => {
    const port = await closedPort();
    const started = Date.now();
    const p = spawnCli(['watch', '--endpoints', `127.0.0.1:${port}`, '--timeout', '1s']);
    expect((await p.exited(10_000)).code).toBe(4);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(p.stderr()).toMatch(/^error: .*127\.0\.0\.1/m);
  });
});

describe('watch across an etcd restart and a compaction', () => {
  let etcd: EtcdServer;
  const v6 = fixture('micro-v6-greeter');
  const prefix = '/micro/registry/';

  // An etcd for each test: a test kills and restarts it, and must not depend on (or leave behind for
  // the next) an etcd another test restarted, nor keys under the default prefix another test wrote.
  beforeEach(async () => {
    etcd = await startEtcd();
  });
  afterEach(async () => {
    killAll();
    await etcd.stop();
  });

  const key = (id: string): string => record(v6, prefix, id).key;
  /**
   * Kills etcd, waits for the watcher to notice, freezes the watcher and starts etcd again: writes made
   * with the returned client land before the watcher can reconnect.
   */
  async function restartWhileFrozen(p: CliProcess): Promise<EtcdClient> {
    await etcd.kill();
    await p.waitForStderr(/reconnecting…/);
    p.signal('SIGSTOP');
    etcd = await etcd.restart();
    return writer(etcd.endpoint);
  }

  const ids = (list: JsonEvent[]): string[] => list.map((e) => `${e.action} ${e.service.nodes[0]!.id}${e.resync ? ' resync' : ''}`);

  it('reports writes made after a restart, before the watcher reconnects, exactly once', async () => {
    const w = writer(etcd.endpoint);
    const p = await watchJson(['--endpoints', etcd.endpoint]);
    const before = record(v6, prefix, 'r-before');
    await w.put(before.key, before.value);
    await waitForEvents(p, 1);
    w.close();
    const w2 = await restartWhileFrozen(p);
    try {
      for (const id of ['r-1', 'r-2']) {
        const n = record(v6, prefix, id);
        await w2.put(n.key, n.value);
      }
      await w2.etcd.kv.deleteRange({ key: Buffer.from(key('r-before')) });
      p.signal('SIGCONT');
      await waitForEvents(p, 4, 15_000);
      const after = record(v6, prefix, 'r-3');
      await w2.put(after.key, after.value);
      const got = await waitForEvents(p, 5, 15_000);
      expect(ids(got)).toEqual(['create r-before', 'create r-1', 'create r-2', 'delete r-before', 'create r-3']);
      expect(got[3]!.reason).toBe('deregistered');
      expect(p.stderr()).toMatch(/resumed at revision \d+/);
      // Nothing doubled, nothing more: the deletes of the three keys left are the next three events, so
      // a repeated event would show before them.
      await w2.etcd.kv.deleteRange({ key: Buffer.from(prefix), range_end: Buffer.from('/micro/registry0') });
      const all = await waitForEvents(p, 8);
      expect(ids(all.slice(5)).sort()).toEqual(['delete r-1', 'delete r-2', 'delete r-3']);
    } finally {
      w2.close();
    }
    p.signal('SIGTERM');
    expect((await p.exited()).code).toBe(0);
  });

  it('resyncs without loss or duplicates when its revision was compacted', async () => {
    const w = writer(etcd.endpoint);
    for (const id of ['k-same', 'k-changed', 'k-gone']) {
      const n = record(v6, prefix, id);
      await w.put(n.key, n.value);
    }
    const p = await watchJson(['--endpoints', etcd.endpoint]);
    const seen = record(v6, prefix, 'k-seen');
    await w.put(seen.key, seen.value);
    await waitForEvents(p, 1);
    w.close();
    const w2 = await restartWhileFrozen(p);
    try {
      const changed = record(v6, prefix, 'k-changed', '10.1.1.1:1');
      await w2.put(changed.key, changed.value);
      await w2.etcd.kv.deleteRange({ key: Buffer.from(key('k-gone')) });
      const fresh = record(v6, prefix, 'k-new');
      await w2.put(fresh.key, fresh.value);
      // Created and deleted while the watcher was away: the viewer never saw it, so no event.
      const blink = record(v6, prefix, 'k-blink');
      const { revision } = await w2.put(blink.key, blink.value);
      const del = await w2.etcd.kv.deleteRange({ key: Buffer.from(blink.key) });
      expect(BigInt(del.header.revision)).toBeGreaterThan(BigInt(revision));
      await w2.etcd.kv.compact({ revision: del.header.revision, physical: true });
      p.signal('SIGCONT');
      const got = await waitForEvents(p, 4, 15_000);
      expect(ids(got.slice(1)).sort()).toEqual(['create k-new resync', 'delete k-gone resync', 'update k-changed resync']);
      expect(got.find((e) => e.action === 'update')!.service.nodes[0]!.address).toBe('10.1.1.1:1');
      // Live again after the resync, without repeats.
      const later = record(v6, prefix, 'k-later');
      await w2.put(later.key, later.value);
      const all = await waitForEvents(p, 5, 15_000);
      expect(ids([all[4]!])).toEqual(['create k-later']);
      // A second live write is the sixth event: nothing was repeated before it.
      const last = record(v6, prefix, 'k-last');
      await w2.put(last.key, last.value);
      const six = await waitForEvents(p, 6, 15_000);
      expect(ids(six.slice(4))).toEqual(['create k-later', 'create k-last']);
    } finally {
      w2.close();
    }
    p.signal('SIGINT');
    expect((await p.exited()).code).toBe(0);
  });
});
