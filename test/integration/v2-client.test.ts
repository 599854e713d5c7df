// The v2 keys API client against a real etcd (--enable-v2): the primitives register, deregister and
// watch build on, and its errors (no v2 API, unreachable, silent, refused credentials).
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ConnectionConfig } from '../../src/settings/config.js';
import { AuthError, UnavailableError } from '../../src/errors.js';
import { V2Client } from '../../src/registry/v2/client.js';
import { V2ApiError, V2NotServedError } from '../../src/registry/v2/keys-api.js';
import { randomPrefix, runCli } from '../helpers/cli.js';
import { type EtcdServer, startEtcd } from '../helpers/etcd.js';
import { closedAddress } from '../helpers/ports.js';
import { fixture } from '../helpers/fixtures.js';
import { seedV2, v2Raw } from '../helpers/v2.js';

const endpoint = inject('etcdEndpoint');
const connection = (endpoints: string[], extra: Partial<ConnectionConfig> = {}): ConnectionConfig => ({ endpoints, tls: false, insecureSkipVerify: false, timeoutMs: 2000, ...extra });

describe('v2 client primitives', () => {
  const client = new V2Client(connection([endpoint]));
  const value = fixture('v2-plugin-greeter').bytes;
  afterAll(() => client.close());

  /** A registry root of this test's own, its service directory and node key (not yet written). */
  const paths = () => {
    const root = `${randomPrefix()}micro-registry`;
    const dir = `${root}/go.micro.srv.greeter`;
    return { root, dir, key: `${dir}/go.micro.srv.greeter-1` };
  };
  /** paths() with the node key written, raw, as the plugin writes it (TTL 30 s). */
  const written = async () => {
    const p = paths();
    await seedV2(endpoint, [{ key: p.key, value, ttl: 30 }]);
    return p;
  };

  it('creates the service directory, and a second time is no error (102 ignored)', async () => {
    const { dir } = paths();
    await client.createDir(dir);
    await client.createDir(dir);
    const raw = await v2Raw(endpoint, 'GET', dir);
    expect(raw.body).toMatchObject({ node: { dir: true } });
  });

  it('sets a key with a TTL as a form body and reads it back with ttl and expiration', async () => {
    const { root, key } = paths();
    const set = await client.set(key, value, { ttlSeconds: 30 });
    expect(set.action).toBe('set');
    expect(set.node.ttl).toBe(30);
    const tree = await client.readTree(root);
    expect(tree.exists).toBe(true);
    expect(tree.etcdIndex).toBeGreaterThanOrEqual(set.node.modifiedIndex);
    expect(tree.leaves).toHaveLength(1);
    const [leaf] = tree.leaves;
    expect(leaf!.value).toBe(value);
    expect(leaf!.ttl).toBeGreaterThan(25);
    expect(leaf!.ttl).toBeLessThanOrEqual(30);
    expect(Date.parse(leaf!.expiration!)).toBeGreaterThan(Date.now());
    expect(await client.listDirs(root)).toEqual(['go.micro.srv.greeter']);
    expect(await client.hasEntries(root)).toBe(true);
  });

  it('refreshes a TTL without rewriting the value, and says so when the key is gone', async () => {
    const { dir, key } = await written();
    const before = await client.get(key);
    const refreshed = await client.refreshTtl(key, 60);
    const after = await client.get(key);
    expect(refreshed).toEqual({ refreshed: true, modifiedIndex: after!.node.modifiedIndex });
    expect(after!.node.ttl).toBeGreaterThan(55);
    expect(after!.node.value).toBe(before!.node.value);
    // Only the version given: a stale index means someone wrote the key since.
    expect(await client.refreshTtl(key, 60, before!.node.modifiedIndex)).toEqual({ refreshed: false, reason: 'changed' });
    expect(await client.refreshTtl(key, 60, after!.node.modifiedIndex)).toMatchObject({ refreshed: true });
    expect(await client.refreshTtl(`${dir}/missing`, 60)).toEqual({ refreshed: false, reason: 'gone' });
  });

  it('compare-and-deletes only the version it was given, then removes the emptied directory', async () => {
    const { dir, key } = await written();
    const current = await client.get(key);
    const stale = await client.compareAndDelete(key, current!.node.modifiedIndex - 1);
    expect(stale).toEqual({ deleted: false, reason: 'changed' });
    expect(await client.get(key)).toBeDefined();
    const other = `${dir}/go.micro.srv.greeter-2`;
    await client.set(other, value, { ttlSeconds: 30 });
    expect(await client.deleteDir(dir)).toBe(false); // 108: other nodes remain
    const ok = await client.compareAndDelete(key, current!.node.modifiedIndex);
    expect(ok.deleted).toBe(true);
    expect(ok.response!.prevNode!.value).toBe(value);
    expect(await client.compareAndDelete(key, current!.node.modifiedIndex)).toEqual({ deleted: false, reason: 'gone' });
    expect(await client.delete(other)).toBe(true);
    expect(await client.deleteDir(dir)).toBe(true);
    expect(await client.deleteDir(dir)).toBe(false);
    expect(await client.readTree(dir)).toMatchObject({ exists: false, leaves: [] });
  });

  it('only creates with prevExist=false, and reports the conflict as a v2 API error', async () => {
    const { root } = paths();
    const k = `${root}/svc/n`;
    await client.set(k, value, { prevExist: false });
    const err = await client.set(k, value, { prevExist: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(V2ApiError);
    expect((err as V2ApiError).errorCode).toBe(105);
  });

  it('watches: one event per long poll, continuing after it, including a TTL expiry', async () => {
    const wroot = `${randomPrefix()}micro-registry`;
    const start = (await client.readTree(wroot)).etcdIndex + 1;
    const k = `${wroot}/svc/node-1`;
    await client.set(k, value, { ttlSeconds: 1 });
    const first = await client.watchOnce(wroot, start);
    if (first.kind !== 'event') throw new Error(`expected an event, got ${first.kind}`);
    // Setting a key first creates its directory: directory events come too; the caller skips them.
    let ev = first.event;
    for (let i = 0; i < 5 && ev.node.dir; i++) {
      const next = await client.watchOnce(wroot, ev.nextIndex);
      if (next.kind !== 'event') throw new Error(`expected an event, got ${next.kind}`);
      ev = next.event;
    }
    expect(ev).toMatchObject({ action: 'set', node: { key: k, value } });
    const expired = await client.watchOnce(wroot, ev.nextIndex, { maxWaitMs: 15_000 });
    if (expired.kind !== 'event') throw new Error(`expected the expiry, got ${expired.kind}`);
    expect(expired.event.action).toBe('expire');
    expect(expired.event.node.value).toBeUndefined();
    expect(expired.event.prevNode!.value).toBe(value);
  });

  it('returns idle when nothing happens within maxWaitMs, and rejects when aborted', async () => {
    const quiet = `${randomPrefix()}micro-registry`;
    const from = (await client.readTree(quiet)).etcdIndex + 1;
    expect(await client.watchOnce(quiet, from, { maxWaitMs: 300 })).toEqual({ kind: 'idle' });
    const controller = new AbortController();
    const pending = client.watchOnce(quiet, from, { signal: controller.signal, maxWaitMs: 30_000 });
    setTimeout(() => controller.abort(new Error('stopped by test')), 100);
    await expect(pending).rejects.toThrow('stopped by test');
  });

  // 1,005 writes push every other watcher out of etcd's single v2 event history (1,000 events): this
  // runs on an etcd of its own, so that the v2 watch tests on the shared one are not cleared by it.
  it('signals a cleared event index (more than 1000 events since) with the index to restart from', async () => {
    const own = await startEtcd({ enableV2: true });
    const ownClient = new V2Client(connection([own.endpoint]));
    try {
      const croot = `${randomPrefix()}micro-registry`;
      const from = (await ownClient.readTree(croot)).etcdIndex + 1;
      for (let i = 0; i < 1005; i++) await ownClient.set(`${croot}/spam/k`, String(i));
      const res = await ownClient.watchOnce(croot, from);
      expect(res.kind).toBe('cleared');
      if (res.kind !== 'cleared') return;
      expect(res.etcdIndex).toBeGreaterThanOrEqual(from + 1004);
      const resumed = await ownClient.watchOnce(croot, res.etcdIndex + 1, { maxWaitMs: 300 });
      expect(resumed.kind).toBe('idle');
    } finally {
      ownClient.close();
      await own.stop();
    }
  });
});

describe('v2 client errors', () => {
  let noV2: EtcdServer;
  let silent: Server;
  let silentPort: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    noV2 = await startEtcd();
    silent = createServer((s) => sockets.push(s)); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
    await noV2.stop();
  });

  it('says etcd serves no v2 API (exit 4) when started without --enable-v2; auto probing is quiet', async () => {
    const client = new V2Client(connection([noV2.endpoint]));
    try {
      const err = await client.readTree('/micro-registry').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(V2NotServedError);
      expect((err as V2NotServedError).exitCode).toBe(4);
      expect((err as Error).message).toMatch(/no v2 keys API/);
      expect((err as V2NotServedError).hint).toMatch(/--enable-v2/);
      expect(await client.hasEntries('/micro-registry')).toBe(false);
    } finally {
      client.close();
    }
  });

  it('fails with exit 4 when nothing listens, and fails over to the next endpoint', async () => {
    const dead = await closedAddress();
    const alone = new V2Client(connection([dead]));
    const err = await alone.readTree('/micro-registry').catch((e: unknown) => e);
    alone.close();
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(/connection refused/);
    const both = new V2Client(connection([dead, endpoint]));
    await expect(both.readTree(`${randomPrefix()}x`)).resolves.toMatchObject({ exists: false });
    both.close();
  });

  it('gives up after --timeout when the server never answers', async () => {
    const client = new V2Client(connection([`127.0.0.1:${silentPort}`], { timeoutMs: 300 }));
    const started = Date.now();
    const err = await client.get('/micro-registry').catch((e: unknown) => e);
    client.close();
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(/did not answer within 300 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
    const cli = await runCli(['--endpoints', `127.0.0.1:${silentPort}`, '--layout', 'v2', '--timeout', '300ms', 'list']);
    expect(cli.code).toBe(4);
    expect(cli.stderr).toMatch(/error: etcd at .* did not answer within 300 ms/);
  });
});

describe('v2 client with v2 auth enabled', () => {
  let etcd: EtcdServer;
  beforeAll(async () => {
    etcd = await startEtcd({ enableV2: true });
    const e = etcd.endpoint;
    const put = async (path: string, body: unknown, auth?: string): Promise<void> => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (auth) headers.authorization = `Basic ${Buffer.from(auth).toString('base64')}`;
      const res = await fetch(`http://${e}/v2/auth/${path}`, { method: 'PUT', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`v2 auth setup ${path}: ${res.status} ${await res.text()}`);
    };
    await put('users/root', { user: 'root', password: 'secret' });
    await put('enable', {});
    // The guest role may do anything by default; take that away so requests need credentials.
    await put('roles/guest', { role: 'guest', revoke: { kv: { read: ['/*'], write: ['/*'] } } }, 'root:secret');
  });
  afterAll(async () => {
    await etcd.stop();
  });

  it('refuses without or with wrong credentials (exit 5) and works with the right ones', async () => {
    for (const extra of [{}, { username: 'root', password: 'wrong' }]) {
      const client = new V2Client(connection([etcd.endpoint], extra));
      const err = await client.readTree('/micro-registry').catch((e: unknown) => e);
      client.close();
      expect(err).toBeInstanceOf(AuthError);
      expect((err as AuthError).exitCode).toBe(5);
    }
    const client = new V2Client(connection([etcd.endpoint], { username: 'root', password: 'secret' }));
    await client.set('/micro-registry/svc/n', 'x', { ttlSeconds: 30 });
    expect((await client.readTree('/micro-registry')).leaves).toHaveLength(1);
    client.close();
  });

  it('the CLI exits 5 without credentials and reads with --user', async () => {
    const refused = await runCli(['--endpoints', etcd.endpoint, '--layout', 'v2', 'list']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/error: etcd at .* refused the request: Insufficient credentials/);
    expect(refused.stderr).toMatch(/hint: pass --user user:password/);
    // A record of its own (not the one the test above wrote), under credentials.
    const prefix = `${randomPrefix()}micro-registry/`;
    expect((await v2Raw(etcd.endpoint, 'PUT', `${prefix}svc/n`, { form: { value: 'x' }, auth: 'root:secret' })).status).toBe(201);
    const ok = await runCli(['--endpoints', etcd.endpoint, '--layout', 'v2', '--prefix', prefix, '--user', 'root:secret', 'list', '-o', 'json']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe(`warning: skipped malformed record ${prefix}svc/n: the value is not JSON\n`);
  });
});
