// `watch` and `wait` with --layout v2 (and v2 under --layout auto) against real etcds started with
// --enable-v2, the records written through the v2 keys API exactly as go-plugins' registry/etcd writes
// them. Tests that kill etcd or flood its event history use their own etcd.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { etcdClient, randomPrefix, seed } from '../helpers/cli.js';
import { type EtcdServer, startEtcd } from '../helpers/etcd.js';
import { closedPort } from '../helpers/ports.js';
import { fixture } from '../helpers/fixtures.js';
import { killAll, spawnCli } from '../helpers/process.js';
import { events, summary, waitForEvents, watchJson } from '../helpers/watch.js';
import { seedV2, v2Raw } from '../helpers/v2.js';
import { TmuxSession } from '../helpers/tmux.js';
import { loadMarginMs } from '../helpers/wait.js';

const sharedEndpoint = inject('etcdEndpoint');
const v2fx = fixture('v2-plugin-greeter');
const fixtureId = 'go.micro.srv.greeter-d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12';
const service = 'go.micro.srv.greeter';

/** The plugin's record of node `id` under `root` (a /…/micro-registry/ directory), optionally at another address. */
function node(root: string, id: string, address?: string): { key: string; value: string } {
  let value = v2fx.bytes.replaceAll(fixtureId, id);
  if (address !== undefined) value = value.replace('"address":"10.0.0.5"', `"address":${JSON.stringify(address)}`);
  return { key: v2fx.key.replace('/micro-registry/', root).replace(fixtureId, id), value };
}

/** The plugin's Register: the directory, then the node key with its TTL (set on every call, no hash). */
function register(endpoint: string, root: string, id: string, opts: { ttl?: number; address?: string } = {}): Promise<void> {
  const n = node(root, id, opts.address);
  return seedV2(endpoint, [{ ...n, ...(opts.ttl === undefined ? {} : { ttl: opts.ttl }) }]);
}

/** The plugin's Deregister: the node key, then the service directory (108 "not empty" ignored). */
async function deregister(endpoint: string, root: string, id: string): Promise<void> {
  const n = node(root, id);
  const del = await v2Raw(endpoint, 'DELETE', n.key);
  if (del.status !== 200) throw new Error(`cannot delete ${n.key}: ${JSON.stringify(del.body)}`);
  await v2Raw(endpoint, 'DELETE', n.key.slice(0, n.key.lastIndexOf('/')), { query: { dir: 'true' } });
}





afterEach(() => killAll());

describe('watch --layout v2 on the shared etcd', () => {
  const v2 = (root: string): string[] => ['--endpoints', sharedEndpoint, '--layout', 'v2', '--prefix', root];

  it('reports create, update and delete (deregistered); TTL heartbeats and refreshes are not changes', async () => {
    const root = `${randomPrefix()}micro-registry/`;
    const p = await watchJson(v2(root));
    await register(sharedEndpoint, root, 'n-1', { ttl: 60 });
    // The plugin re-sets the same value every interval; a refresh=true PUT renews the TTL alone.
    await register(sharedEndpoint, root, 'n-1', { ttl: 60 });
    const refreshed = await v2Raw(sharedEndpoint, 'PUT', node(root, 'n-1').key, { query: { refresh: 'true', prevExist: 'true' }, form: { ttl: '60' } });
    expect(refreshed.status).toBe(200);
    await register(sharedEndpoint, root, 'n-1', { ttl: 60, address: '10.0.0.9' });
    await deregister(sharedEndpoint, root, 'n-1');
    // A last create: every event before it has been printed by then.
    await register(sharedEndpoint, root, 'n-2', { ttl: 60 });
    const got = await waitForEvents(p, 4);
    expect(summary(got)).toEqual(['create n-1', 'update n-1', 'delete n-1 deregistered', 'create n-2']);
    expect(got.slice(0, 3).every((e) => e.key === node(root, 'n-1').key && e.service.name === service)).toBe(true);
    // go-micro v1.7's separate port is folded into the address; the node carries its layout and TTL.
    expect(got.map((e) => e.service.nodes[0]!.address)).toEqual(['10.0.0.5:54321', '10.0.0.9:54321', '10.0.0.9:54321', '10.0.0.5:54321']);
    expect(got[0]!.service.nodes[0]).toMatchObject({ layout: 'v2', ttl: 60 });
    // Revisions are the v2 store's modifiedIndex, increasing.
    expect(got[0]!.revision).toBeLessThan(got[1]!.revision);
    expect(got[1]!.revision).toBeLessThan(got[2]!.revision);
    expect(got.every((e) => e.resync === undefined)).toBe(true);
    expect(p.lines()).toHaveLength(4);
    p.signal('SIGINT');
    expect((await p.exited()).code).toBe(0);
  });

  it('reports a TTL expiry as expired, and a recursive directory delete as a delete of each node', async () => {
    const root = `${randomPrefix()}micro-registry/`;
    const p = await watchJson(v2(root));
    await register(sharedEndpoint, root, 'short', { ttl: 1 });
    await register(sharedEndpoint, root, 'kept-1');
    await register(sharedEndpoint, root, 'kept-2');
    await waitForEvents(p, 3);
    const expired = await waitForEvents(p, 4, 15_000);
    expect(summary([expired[3]!])).toEqual(['delete short expired']);
    // `etcdctl rm -r` style: one v2 event for the directory, the nodes below it gone with it.
    const dir = node(root, 'x').key.replace(/\/x$/, '');
    expect((await v2Raw(sharedEndpoint, 'DELETE', dir, { query: { recursive: 'true', dir: 'true' } })).status).toBe(200);
    const all = await waitForEvents(p, 6);
    expect(summary(all.slice(4))).toEqual(['delete kept-1 deregistered', 'delete kept-2 deregistered']);
  });

  it('prints human lines, honours names and --initial, and skips malformed values with a warning', async () => {
    const root = `${randomPrefix()}micro-registry/`;
    await register(sharedEndpoint, root, 'i-1', { ttl: 60 });
    const p = spawnCli(['watch', '--initial', ...v2(root), service]);
    await p.waitForStderr(/^watching 1 service, 1 node at revision \d+/m);
    await seedV2(sharedEndpoint, [{ key: `${root}other/other-1`, value: '{"name":"other","version":"1","nodes":[{"id":"other-1","address":"1.2.3.4","port":5}]}' }]);
    await seedV2(sharedEndpoint, [{ key: `${root}${service}/broken`, value: 'not json' }]);
    await register(sharedEndpoint, root, 'i-2');
    const lines = (await p.waitForLines(2)).map((l) => l.split('\t'));
    expect(lines.map((l) => l.slice(1, 6))).toEqual([
      ['create', service, 'latest', 'i-1', '10.0.0.5:54321'],
      ['create', service, 'latest', 'i-2', '10.0.0.5:54321'],
    ]);
    expect(p.stderr()).toMatch(new RegExp(`warning: skipped malformed record ${root}${service}/broken: the value is not JSON`));
  });

  it('exits 4 within --timeout when etcd cannot be reached at start', async () => {
    const port = await closedPort();
    const started = Date.now();
    const p = spawnCli(['watch', '--endpoints', `127.0.0.1:${port}`, '--layout', 'v2', '--timeout', '1s']);
    expect((await p.exited(10_000)).code).toBe(4);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(p.stderr()).toMatch(/^error: cannot reach etcd at 127\.0\.0\.1/m);
  });
});

describe('wait --layout v2', () => {
  const v2 = (root: string): string[] => ['--endpoints', sharedEndpoint, '--layout', 'v2', '--prefix', root];

  it('returns once enough nodes are registered, including nodes registered while it waits', async () => {
    const root = `${randomPrefix()}micro-registry/`;
    await register(sharedEndpoint, root, 'w-1', { ttl: 60 });
    // On a terminal (a real pty) it shows its progress: that line says the state has been read and is being followed.
    const session = new TmuxSession(['wait', service, '--nodes', '2', ...v2(root), '--timeout', '20s']);
    try {
      await session.waitForScreen(/go\.micro\.srv\.greeter: 1\/2 nodes/);
      // A heartbeat of the node already counted changes nothing…
      await register(sharedEndpoint, root, 'w-1', { ttl: 60 });
      await register(sharedEndpoint, root, 'w-2', { ttl: 60 });
      expect(await session.exitCode()).toBe(0);
      expect(session.screen()).toMatch(/go\.micro\.srv\.greeter: 2\/2 nodes/);
    } finally {
      session.close();
    }
    const p = spawnCli(['wait', service, '--nodes', '2', ...v2(root), '-o', 'json']);
    expect((await p.exited()).code).toBe(0);
    const [svc] = JSON.parse(p.lines().join('\n'));
    expect(svc.nodes.map((n: { id: string; layout: string }) => `${n.id} ${n.layout}`)).toEqual(['w-1 v2', 'w-2 v2']);
  });

  it('with --gone returns once the last node has expired or been deregistered', async () => {
    const root = `${randomPrefix()}micro-registry/`;
    await register(sharedEndpoint, root, 'g-short', { ttl: 2 });
    await register(sharedEndpoint, root, 'g-kept');
    const session = new TmuxSession(['wait', service, '--gone', ...v2(root), '--timeout', '20s']);
    try {
      await session.waitForScreen(/go\.micro\.srv\.greeter: 2 nodes left/);
      // The short one expires by itself; the wait goes on while the other is there.
      await session.waitForScreen(/go\.micro\.srv\.greeter: 1 node left/, 15_000);
      await deregister(sharedEndpoint, root, 'g-kept');
      expect(await session.exitCode()).toBe(0);
      expect(session.screen()).toMatch(/go\.micro\.srv\.greeter: 0 nodes left/);
    } finally {
      session.close();
    }
  });

  it('times out with exit 7', async () => {
    const root = `${randomPrefix()}micro-registry/`;
    const p = spawnCli(['wait', service, ...v2(root), '--timeout', '1s']);
    expect((await p.exited(10_000)).code).toBe(7);
    expect(p.stderr()).toMatch(/^error: timed out after 1s waiting for 1 node of go\.micro\.srv\.greeter \(0\/1 node\)/m);
  });
});

describe('watch --layout v2 across an etcd restart and a cleared event index', () => {
  let etcd: EtcdServer;
  const root = '/micro-registry/';

  // An etcd for each test: a test kills and restarts it, and the default root is shared by both tests.
  beforeEach(async () => {
    etcd = await startEtcd({ enableV2: true });
  });
  afterEach(async () => {
    killAll();
    await etcd.stop();
  });

  it('reports writes made after a restart, before the watcher reconnects, exactly once', async () => {
    const p = await watchJson(['--endpoints', etcd.endpoint, '--layout', 'v2']);
    await register(etcd.endpoint, root, 'r-before', { ttl: 60 });
    await waitForEvents(p, 1);
    await etcd.kill();
    await p.waitForStderr(/reconnecting…/);
    // Frozen, the watcher cannot reconnect before the writes below.
    p.signal('SIGSTOP');
    etcd = await etcd.restart();
    await register(etcd.endpoint, root, 'r-1', { ttl: 60 });
    await register(etcd.endpoint, root, 'r-2', { ttl: 60 });
    await deregister(etcd.endpoint, root, 'r-before');
    const backAt = Date.now();
    p.signal('SIGCONT');
    await p.waitForStderr(/resumed at index \d+/);
    // Retries are at most 1 s apart while etcd is away (a request of up to --timeout each): back within
    // about 2 s, asserted with the margin for a loaded machine.
    expect(Date.now() - backAt).toBeLessThan(3000 + loadMarginMs);
    await waitForEvents(p, 4, 15_000);
    await register(etcd.endpoint, root, 'r-3', { ttl: 60 });
    const got = await waitForEvents(p, 5, 15_000);
    expect(summary(got)).toEqual(['create r-before', 'create r-1', 'create r-2', 'delete r-before deregistered', 'create r-3']);
    expect(p.lines()).toHaveLength(5);
    p.signal('SIGTERM');
    expect((await p.exited()).code).toBe(0);
    for (const id of ['r-1', 'r-2', 'r-3']) await deregister(etcd.endpoint, root, id);
  });

  it('resyncs without loss or duplicates when more than 1000 events passed while it was stopped', async () => {
    const base = '/cleared/micro-registry/';
    for (const id of ['k-same', 'k-changed', 'k-gone']) await register(etcd.endpoint, base, id);
    const p = await watchJson(['--endpoints', etcd.endpoint, '--layout', 'v2', '--prefix', base]);
    await register(etcd.endpoint, base, 'k-seen');
    await waitForEvents(p, 1);
    p.signal('SIGSTOP');
    // The pending long poll may still catch the first of these; the rest are older than etcd's 1000 events.
    await register(etcd.endpoint, base, 'k-changed', { address: '10.1.1.1' });
    await deregister(etcd.endpoint, base, 'k-gone');
    await register(etcd.endpoint, base, 'k-new');
    // The same value again: a heartbeat, no change to report.
    await register(etcd.endpoint, base, 'k-same');
    // Created and deleted while the watcher was away: the viewer never saw it, so no event.
    await register(etcd.endpoint, base, 'k-blink');
    await deregister(etcd.endpoint, base, 'k-blink');
    for (let batch = 0; batch < 105; batch++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => v2Raw(etcd.endpoint, 'PUT', `/spam/k${i}`, { form: { value: String(batch) } })));
    }
    p.signal('SIGCONT');
    const got = await waitForEvents(p, 4, 15_000);
    const later = summary(got.slice(1));
    // k-changed is live (the pending poll) or part of the resync; the others can only come from the resync.
    expect(later.map((s) => s.replace(' resync', '')).sort()).toEqual(['create k-new', 'delete k-gone deregistered', 'update k-changed']);
    expect(later).toContain('create k-new resync');
    expect(later).toContain('delete k-gone deregistered resync');
    expect(got.find((e) => e.action === 'update')!.service.nodes[0]!.address).toBe('10.1.1.1:54321');
    // Live again after the resync, without repeats.
    await register(etcd.endpoint, base, 'k-later');
    const all = await waitForEvents(p, 5, 15_000);
    expect(summary([all[4]!])).toEqual(['create k-later']);
    expect(all).toHaveLength(5);
    p.signal('SIGINT');
    expect((await p.exited()).code).toBe(0);
  });
});

describe('watch --layout auto with a v2 store', () => {
  let etcd: EtcdServer;
  let noV2: EtcdServer;
  const micro = fixture('micro-v6-greeter');
  const microId = fixtureId;

  beforeAll(async () => {
    [etcd, noV2] = await Promise.all([startEtcd({ enableV2: true }), startEtcd()]);
  });
  afterAll(async () => {
    killAll();
    await Promise.all([etcd?.stop(), noV2?.stop()]);
  });

  it('merges v2 events with the v3 ones into one stream, each node with its layout', async () => {
    const p = await watchJson(['--endpoints', etcd.endpoint, '--layout', 'auto']);
    await seed(etcd.endpoint, [{ key: micro.key.replace(microId, 'v3-node'), value: micro.bytes.replaceAll(microId, 'v3-node') }]);
    await waitForEvents(p, 1);
    await register(etcd.endpoint, '/micro-registry/', 'v2-node', { ttl: 1 });
    const got = await waitForEvents(p, 3, 15_000);
    expect(got.map((e) => `${summary([e])[0]} ${e.service.nodes[0]!.layout}`)).toEqual(['create v3-node micro', 'create v2-node v2', 'delete v2-node expired v2']);
    p.signal('SIGINT');
    expect((await p.exited()).code).toBe(0);
  });

  it('on an etcd without --enable-v2 watches the v3 layouts without complaint', async () => {
    const p = await watchJson(['--endpoints', noV2.endpoint, '--layout', 'auto']);
    const client = etcdClient(noV2.endpoint);
    try {
      await client.put(micro.key, micro.bytes);
    } finally {
      client.close();
    }
    const [e] = await waitForEvents(p, 1);
    expect(e).toMatchObject({ action: 'create', key: micro.key });
    expect(p.stderr()).not.toMatch(/v2|warning|error/);
    const v2Only = spawnCli(['watch', '--endpoints', noV2.endpoint, '--layout', 'v2']);
    expect((await v2Only.exited()).code).toBe(4);
    expect(v2Only.stderr()).toMatch(/^error: etcd at .* serves no v2 keys API/m);
  });
});
