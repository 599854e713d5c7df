// The keepalive loop (src/registry/keepalive.ts) and the stores' renew/remove against a real etcd, run
// in-process: register-keepalive.test.ts drives the same through the built bin, which a mutation run
// (stryker/writes.conf.mjs) cannot reach; these tests can. Keys and values are written out here.
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { AuthError, UnavailableError } from '../../src/errors.js';
import { keepAlive, type KeepAliveReport } from '../../src/registry/keepalive.js';
import type { EncodedRecord, RecordStore, Written } from '../../src/registry/store.js';
import { V2Store } from '../../src/registry/v2/store.js';
import { V3Store } from '../../src/registry/v3/store.js';
import { V2Client } from '../../src/registry/v2/client.js';
import { etcdClient, randomPrefix } from '../helpers/cli.js';
import { v2Raw } from '../helpers/v2.js';
import { elapse, loadMarginMs, waitFor } from '../helpers/wait.js';

const endpoint = inject('etcdEndpoint');
const client = etcdClient(endpoint);
const v2 = new V2Client({ endpoints: [endpoint], tls: false, insecureSkipVerify: false, timeoutMs: 5000 });
afterAll(() => {
  client.close();
  v2.close();
});

/** One node's record as go-micro v1.8 writes it, under a prefix of its own. */
function record(prefix: string, id: string): EncodedRecord {
  const service = { name: 'ka', version: '1', metadata: null, endpoints: null, nodes: [{ id, address: '10.0.0.1:80', metadata: null }] };
  return { key: `${prefix}ka/${id}`, value: `{"name":"ka","version":"1","metadata":null,"endpoints":null,"nodes":[{"id":"${id}","address":"10.0.0.1:80","metadata":null}]}`, service };
}

/** What the loop reported, in order. */
function recorder(): KeepAliveReport & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    unreachable: (e) => log.push(`unreachable ${e.message}`),
    reachable: () => log.push('reachable'),
    lost: () => log.push('lost'),
    rewritten: (w) => log.push(`rewritten ${w.lease ?? 'v2'}`),
  };
}

/** Reads `key` every 100 ms for `forMs`: every read must find it on `lease`, and the lease alive. */
async function expectKeptOn(key: string, lease: string, forMs: number): Promise<number> {
  const until = Date.now() + forMs;
  let reads = 0;
  for (let i = 0; i < forMs / 100 + 1 && Date.now() < until; i++) {
    const { kvs } = await client.rangePrefix(key);
    expect(kvs.map((kv) => [kv.key, kv.lease]), `read ${reads} after ${forMs - (until - Date.now())} ms`).toEqual([[key, lease]]);
    expect(await client.leaseTtl(lease)).toBeGreaterThan(0);
    reads++;
    await elapse(100);
  }
  return reads;
}

const stops: AbortController[] = [];
afterEach(() => {
  for (const s of stops.splice(0)) s.abort();
});

function start(store: RecordStore, written: Written, report: KeepAliveReport, intervalMs?: number): { stop: () => Promise<Written> } {
  const controller = new AbortController();
  stops.push(controller);
  const running = keepAlive(store, written, controller.signal, report, intervalMs === undefined ? {} : { intervalMs });
  return {
    stop: () => {
      controller.abort();
      return running;
    },
  };
}

describe('keepAlive over the v3 store', () => {
  it('renews the lease of a 2 s TTL well past it: present at every read, on the same lease, nothing rewritten', async () => {
    const prefix = randomPrefix();
    const store = new V3Store(client);
    const written = await store.write([record(prefix, 'n1')], 2);
    expect(written.lease).toBeDefined();
    const report = recorder();
    const loop = start(store, written, report);
    expect(await expectKeptOn(`${prefix}ka/n1`, written.lease!, 5_000)).toBeGreaterThan(10);
    const last = await loop.stop();
    expect(last.lease).toBe(written.lease);
    expect(report.log).toEqual([]);
    await store.remove(last);
    expect((await client.rangePrefix(prefix)).kvs).toEqual([]);
    expect(await client.leaseTtl(written.lease!)).toBe(-1);
  });

  it('writes the records again on a new lease when the lease is lost, and hands back that lease', async () => {
    const prefix = randomPrefix();
    const store = new V3Store(client);
    const written = await store.write([record(prefix, 'n1'), record(prefix, 'n2')], 2);
    const report = recorder();
    const loop = start(store, written, report, 200);
    await client.revoke(written.lease!);
    await waitFor(() => report.log.length >= 2, 10_000, 'the rewrite');
    const newLease = report.log[1]!.replace('rewritten ', '');
    expect(report.log).toEqual(['lost', `rewritten ${newLease}`]);
    expect(newLease).not.toBe(written.lease);
    await expectKeptOn(`${prefix}ka/n1`, newLease, 1_000);
    const last = await loop.stop();
    expect(last.lease).toBe(newLease);
    expect(last.records.map((r) => r.key)).toEqual([`${prefix}ka/n1`, `${prefix}ka/n2`]);
    const kvs = (await client.rangePrefix(prefix)).kvs;
    expect(kvs.map((kv) => [kv.key, Buffer.from(kv.value).toString(), kv.lease])).toEqual([
      [`${prefix}ka/n1`, record(prefix, 'n1').value, newLease],
      [`${prefix}ka/n2`, record(prefix, 'n2').value, newLease],
    ]);
    await store.remove(last);
    expect((await client.rangePrefix(prefix)).kvs).toEqual([]);
  });

  it('remove takes only the keys still on its lease: a node re-registered by someone else stays', async () => {
    const prefix = randomPrefix();
    const store = new V3Store(client);
    const written = await store.write([record(prefix, 'mine'), record(prefix, 'theirs')], 30);
    const theirLease = await client.grant(30);
    await client.put(`${prefix}ka/theirs`, record(prefix, 'theirs').value, theirLease);
    await store.remove(written);
    expect((await client.rangePrefix(prefix)).kvs.map((kv) => [kv.key, kv.lease])).toEqual([[`${prefix}ka/theirs`, theirLease]]);
    expect(await client.leaseTtl(written.lease!)).toBe(-1);
    expect(await client.leaseTtl(theirLease)).toBeGreaterThan(0);
  });

  it('without a TTL (--ttl 0) renew has nothing to do and remove deletes the lease-less keys', async () => {
    const prefix = randomPrefix();
    const store = new V3Store(client);
    const written = await store.write([record(prefix, 'n1')], 0);
    expect(written.lease).toBeUndefined();
    expect(await store.renew(written)).toBe(true);
    expect((await client.rangePrefix(prefix)).kvs.map((kv) => [kv.key, kv.lease])).toEqual([[`${prefix}ka/n1`, '0']]);
    await store.remove(written);
    expect((await client.rangePrefix(prefix)).kvs).toEqual([]);
  });

  it('remove after the lease has expired by itself: no error, nothing left', async () => {
    const prefix = randomPrefix();
    const store = new V3Store(client);
    const written = await store.write([record(prefix, 'n1')], 1);
    await waitFor(async () => (await client.rangePrefix(prefix)).kvs.length === 0, 15_000, 'the lease to expire');
    // No error: what expired is reported, not removed.
    const report = await store.remove(written);
    expect(report.removed).toEqual([]);
    expect(await client.leaseTtl(written.lease!)).toBe(-1);
  });

  it('renew says false once the lease is gone, true while it lives', async () => {
    const prefix = randomPrefix();
    const store = new V3Store(client);
    const written = await store.write([record(prefix, 'n1')], 30);
    expect(await store.renew(written)).toBe(true);
    await client.revoke(written.lease!);
    expect(await store.renew(written)).toBe(false);
  });

  it('reports an etcd that does not answer once, and its return, and keeps going', async () => {
    // A store whose etcd is away for the first two renewals: the loop's own reporting is under test,
    // over the real store for everything else.
    const prefix = randomPrefix();
    const real = new V3Store(client);
    const written = await real.write([record(prefix, 'n1')], 2);
    let failures = 2;
    const flaky: RecordStore = {
      write: (r, t) => real.write(r, t),
      renew: async (w) => {
        if (failures > 0) {
          failures--;
          throw new UnavailableError('etcd at 127.0.0.1:1 did not answer');
        }
        return real.renew(w);
      },
      remove: (w) => real.remove(w),
      removeIfUnchanged: (r) => real.removeIfUnchanged(r),
      applyWrites: (w, t) => real.applyWrites(w, t),
    };
    const report = recorder();
    const loop = start(flaky, written, report, 200);
    await waitFor(() => report.log.includes('reachable'), 10_000, 'the return to be reported');
    expect(report.log).toEqual(['unreachable etcd at 127.0.0.1:1 did not answer', 'reachable']);
    await expectKeptOn(`${prefix}ka/n1`, written.lease!, 1_000);
    const last = await loop.stop();
    expect(last.lease).toBe(written.lease);
    await real.remove(last);
  });
});

describe('keepAlive: its timing and how it ends', () => {
  /** The real v3 store, counting renewals; `down` makes renew fail as an etcd that does not answer. */
  function counting(real: V3Store, down: () => boolean = () => false): RecordStore & { renewals: number; failed: number } {
    const store = {
      renewals: 0,
      failed: 0,
      write: (r: readonly EncodedRecord[], t: number) => real.write(r, t),
      renew: async (w: Written) => {
        if (down()) {
          store.failed++;
          throw new UnavailableError('etcd at 127.0.0.1:1 did not answer');
        }
        store.renewals++;
        return real.renew(w);
      },
      remove: (w: Written) => real.remove(w),
      removeIfUnchanged: (r: Parameters<RecordStore['removeIfUnchanged']>[0]) => real.removeIfUnchanged(r),
      applyWrites: (w: Parameters<RecordStore['applyWrites']>[0], t: number) => real.applyWrites(w, t),
    };
    return store;
  }

  // The cadence is the behaviour (renew every TTL/3, as etcd's clients do): 3 s at a TTL of 2 s is about
  // four renewals. The bounds leave room for a loaded machine (timers late: fewer) and still fail a loop
  // that renews without pause or every 200 ms (15 or more).
  it('renews every TTL/3 by default: a handful of renewals in 3 s for a TTL of 2 s, not a busy loop', async () => {
    const prefix = randomPrefix();
    const real = new V3Store(client);
    const written = await real.write([record(prefix, 'n1')], 2);
    const store = counting(real);
    const loop = start(store, written, recorder());
    await elapse(3_000);
    const last = await loop.stop();
    expect(store.renewals).toBeGreaterThanOrEqual(2);
    expect(store.renewals).toBeLessThanOrEqual(6);
    await real.remove(last);
  });

  it('stops at once when told, even in the middle of a long interval', async () => {
    const prefix = randomPrefix();
    const real = new V3Store(client);
    const written = await real.write([record(prefix, 'n1')], 60);
    const loop = start(real, written, recorder(), 60_000);
    await elapse(200);
    const asked = Date.now();
    const last = await loop.stop();
    // Not the 60 s interval: the abort ends the pause. (A bound with the load margin, see helpers/wait.ts.)
    expect(Date.now() - asked).toBeLessThan(1_000 + loadMarginMs);
    expect(last.lease).toBe(written.lease);
    await real.remove(last);
  });

  it('while etcd does not answer, retries at the retry interval (not in a busy loop), and says how long it was away', async () => {
    const prefix = randomPrefix();
    const real = new V3Store(client);
    const written = await real.write([record(prefix, 'n1')], 30);
    const downUntil = Date.now() + 1_500;
    const store = counting(real, () => Date.now() < downUntil);
    const log: string[] = [];
    const report: KeepAliveReport = {
      unreachable: () => log.push('unreachable'),
      reachable: (downMs) => log.push(`reachable after ${downMs >= 0 && downMs < 30_000 ? 'a while' : `${downMs} ms`}`),
      lost: () => log.push('lost'),
      rewritten: () => log.push('rewritten'),
    };
    const loop = start(store, written, report, 300);
    await waitFor(() => log.includes('reachable after a while') || log.some((l) => l.startsWith('reachable after ') && !l.endsWith('a while')), 15_000, 'the return');
    const last = await loop.stop();
    expect(log).toEqual(['unreachable', 'reachable after a while']);
    // 1.5 s down, a retry every 300 ms: about five attempts (a busy loop would make thousands).
    expect(store.failed).toBeGreaterThanOrEqual(1);
    expect(store.failed).toBeLessThanOrEqual(10);
    await real.remove(last);
  });

  it('leaves no listener behind on the stop signal: hours of renewals print no "possible memory leak" warning', async () => {
    const prefix = randomPrefix();
    const real = new V3Store(client);
    const written = await real.write([record(prefix, 'n1')], 30);
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(`${w.name}: ${w.message}`);
    };
    process.on('warning', onWarning);
    try {
      const store = counting(real);
      // Node warns once more than 10 listeners wait on one signal: 20 pauses would pass that.
      const loop = start(store, written, recorder(), 20);
      await waitFor(() => store.renewals >= 20, 15_000, '20 renewals');
      await real.remove(await loop.stop());
      await elapse(50);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('ends with the error when etcd refuses (not an outage): a lost permission is not retried for ever', async () => {
    const prefix = randomPrefix();
    const real = new V3Store(client);
    const written = await real.write([record(prefix, 'n1')], 30);
    const refusing: RecordStore = {
      write: (r, t) => real.write(r, t),
      renew: () => Promise.reject(new AuthError('etcd refused the request: permission denied')),
      remove: (w) => real.remove(w),
      removeIfUnchanged: (r) => real.removeIfUnchanged(r),
      applyWrites: (w, t) => real.applyWrites(w, t),
    };
    const controller = new AbortController();
    stops.push(controller);
    await expect(keepAlive(refusing, written, controller.signal, recorder(), { intervalMs: 100 })).rejects.toThrow('permission denied');
    await real.remove(written);
  });
});

describe('deleteEachIf, the conditional delete under deregister, check --prune and remove', () => {
  it('on lease conditions: deletes the keys still on the lease, reports the others with what they hold now', async () => {
    const prefix = randomPrefix();
    const ours = await client.grant(30);
    const theirs = await client.grant(30);
    await client.put(`${prefix}a`, 'ours', ours);
    await client.put(`${prefix}b`, 'theirs now', theirs);
    await client.put(`${prefix}c`, 'ours', ours);
    const [b] = (await client.rangePrefix(`${prefix}b`)).kvs;
    const outcomes = await client.deleteEachIf([
      { key: `${prefix}a`, lease: ours },
      { key: `${prefix}b`, lease: ours },
      { key: `${prefix}c`, lease: ours },
      { key: `${prefix}gone`, lease: ours },
    ]);
    expect(outcomes).toEqual([
      { key: `${prefix}a`, deleted: true },
      { key: `${prefix}b`, deleted: false, now: { modRevision: b!.modRevision, lease: theirs } },
      { key: `${prefix}c`, deleted: true },
      { key: `${prefix}gone`, deleted: false },
    ]);
    expect((await client.rangePrefix(prefix)).kvs.map((kv) => kv.key)).toEqual([`${prefix}b`]);
  });

  it('on mod revisions: a key written since is reported with its new revision, the unchanged ones are deleted', async () => {
    const prefix = randomPrefix();
    await client.put(`${prefix}a`, '1');
    await client.put(`${prefix}b`, '1');
    const read = Object.fromEntries((await client.rangePrefix(prefix)).kvs.map((kv) => [kv.key, kv.modRevision!]));
    await client.put(`${prefix}b`, '2');
    const [b] = (await client.rangePrefix(`${prefix}b`)).kvs;
    const outcomes = await client.deleteEachIf([
      { key: `${prefix}a`, modRevision: read[`${prefix}a`] },
      { key: `${prefix}b`, modRevision: read[`${prefix}b`] },
    ]);
    expect(outcomes).toEqual([
      { key: `${prefix}a`, deleted: true },
      { key: `${prefix}b`, deleted: false, now: { modRevision: b!.modRevision, lease: '0' } },
    ]);
  });

  it('more keys than etcd takes in one transaction (128): all deleted, in batches', async () => {
    const prefix = randomPrefix();
    const keys = Array.from({ length: 130 }, (_, i) => `${prefix}k${String(i).padStart(3, '0')}`);
    for (let i = 0; i < keys.length; i += 50) await client.putAll(keys.slice(i, i + 50).map((key) => ({ key, value: 'v' })));
    const read = (await client.rangePrefix(prefix)).kvs;
    expect(read).toHaveLength(130);
    const outcomes = await client.deleteEachIf(read.map((kv) => ({ key: kv.key, modRevision: kv.modRevision! })));
    expect(outcomes.filter((o) => o.deleted)).toHaveLength(130);
    expect((await client.rangePrefix(prefix)).kvs).toEqual([]);
  });
});

describe('keepAlive over the v2 store', () => {
  it('refreshes each key\'s TTL (same value, same createdIndex) and writes it again once it is gone', async () => {
    const root = `${randomPrefix()}micro-registry/`;
    const key = `${root}ka/n1`;
    const store = new V2Store(v2);
    const written = await store.write([record(root, 'n1')], 2);
    const first = (await v2Raw(endpoint, 'GET', key)).body.node as { value: string; createdIndex: number; modifiedIndex: number };
    expect(first.value).toBe(record(root, 'n1').value);
    const report = recorder();
    const loop = start(store, written, report, 300);
    // Present at every read for 2.5 TTLs, never written anew, its TTL refreshed (modifiedIndex moves).
    const indexes = new Set<number>();
    const until = Date.now() + 5_000;
    for (let i = 0; i < 51 && Date.now() < until; i++) {
      const now = (await v2Raw(endpoint, 'GET', key)).body.node as { value: string; createdIndex: number; modifiedIndex: number } | undefined;
      expect(now, `read ${i}`).toMatchObject({ value: first.value, createdIndex: first.createdIndex });
      indexes.add(now!.modifiedIndex);
      await elapse(100);
    }
    expect(indexes.size).toBeGreaterThan(3);
    expect(report.log).toEqual([]);
    // Deleted (as if expired): written again.
    expect((await v2Raw(endpoint, 'DELETE', key)).status).toBe(200);
    await waitFor(() => report.log.length >= 2, 10_000, 'the rewrite');
    expect(report.log).toEqual(['lost', 'rewritten v2']);
    const last = await loop.stop();
    await store.remove(last);
    expect((await v2Raw(endpoint, 'GET', key)).status).toBe(404);
    expect((await v2Raw(endpoint, 'GET', `${root}ka`)).status).toBe(404);
  });

  it('a key without TTL (--ttl 0) is left as it is by renew: no TTL given to it', async () => {
    const root = `${randomPrefix()}micro-registry/`;
    const key = `${root}ka/n1`;
    const store = new V2Store(v2);
    const written = await store.write([record(root, 'n1')], 0);
    const before = (await v2Raw(endpoint, 'GET', key)).body.node as { modifiedIndex: number; ttl?: number };
    expect(before.ttl).toBeUndefined();
    expect(await store.renew(written)).toBe(true);
    const after = (await v2Raw(endpoint, 'GET', key)).body.node as { modifiedIndex: number; ttl?: number } | undefined;
    expect(after).toMatchObject({ modifiedIndex: before.modifiedIndex });
    expect(after!.ttl).toBeUndefined();
    await store.remove(written);
  });

  it('leaves a key someone else wrote since: not refreshed, not removed', async () => {
    const root = `${randomPrefix()}micro-registry/`;
    const key = `${root}ka/n1`;
    const store = new V2Store(v2);
    const written = await store.write([record(root, 'n1')], 30);
    expect((await v2Raw(endpoint, 'PUT', key, { form: { value: 'theirs' } })).status).toBe(200);
    const theirs = (await v2Raw(endpoint, 'GET', key)).body.node as { modifiedIndex: number; ttl?: number };
    // Renewed twice: the first finds it changed and lets it go, the second must not touch it either.
    expect(await store.renew(written)).toBe(true);
    expect(await store.renew(written)).toBe(true);
    await store.remove(written);
    const after = (await v2Raw(endpoint, 'GET', key)).body.node as { value: string; modifiedIndex: number; ttl?: number };
    expect(after).toMatchObject({ value: 'theirs', modifiedIndex: theirs.modifiedIndex });
    expect(after.ttl).toBeUndefined();
  });
});
