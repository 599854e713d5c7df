// register, deregister and check --prune with --layout v2 against real etcds started with --enable-v2:
// what micro-reg writes is read back raw through the v2 keys API (test/helpers/v2.ts), and what it
// removes was written there the way go-plugins' registry/etcd writes it (seedV2).
import { type Server, createServer } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { selectNodes } from '../../src/commands/deregister.js';
import { resolveRegistryConfig } from '../../src/settings/config.js';
import { EtcdClient } from '../../src/registry/v3/client.js';
import { Registry } from '../../src/registry/registry.js';
import { recordStore } from '../../src/registry/store-for-layout.js';
import { V2Client } from '../../src/registry/v2/client.js';
import { randomPrefix, runCli, seed } from '../helpers/cli.js';
import { type EtcdServer, startEtcd } from '../helpers/etcd.js';
import { closedPort } from '../helpers/ports.js';
import { fixture } from '../helpers/fixtures.js';
import { killAll, spawnCli } from '../helpers/process.js';
import { TmuxSession } from '../helpers/tmux.js';
import { type V2SeedEntry, seedV2, v2Raw } from '../helpers/v2.js';
import { waitFor } from '../helpers/wait.js';

const endpoint = inject('etcdEndpoint');
const v2fx = fixture('v2-plugin-greeter');
const service = 'go.micro.srv.greeter';
const fixtureId = 'go.micro.srv.greeter-d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12';
const dir = mkdtempSync(join(tmpdir(), 'micro-reg-v2-write-'));
const connection = { endpoints: [endpoint], tls: false, insecureSkipVerify: false, timeoutMs: 5000 };

afterEach(() => killAll());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh v2 registry root, the CLI arguments that point at it, and raw reads of it. */
function v2Root() {
  const root = `${randomPrefix()}micro-registry/`;
  const args = ['--endpoints', endpoint, '--layout', 'v2', '--prefix', root];
  /** The node keys (last segment) under a service directory, or undefined when the directory is gone. */
  const nodesOf = async (svc: string): Promise<string[] | undefined> => {
    const raw = await v2Raw(endpoint, 'GET', `${root}${svc}`);
    if (raw.status === 404) return undefined;
    const nodes = ((raw.body.node as { nodes?: { key: string }[] }).nodes ?? []).map((n) => n.key.slice(n.key.lastIndexOf('/') + 1));
    return nodes.sort();
  };
  return { root, args, nodesOf };
}

/** The v2 fixture as another node of the service (id, version, address as go-micro v1.7 stores it: host + port). */
function v2Node(root: string, id: string, opts: { version?: string; host?: string; port?: number; name?: string; ttl?: number } = {}): V2SeedEntry {
  const value = structuredClone(v2fx.value) as { name: string; version: string; nodes: { id: string; address: string; port: number }[] };
  const name = opts.name ?? service;
  value.name = name;
  value.version = opts.version ?? value.version;
  value.nodes[0]!.id = id;
  if (opts.host !== undefined) value.nodes[0]!.address = opts.host;
  if (opts.port !== undefined) value.nodes[0]!.port = opts.port;
  return { key: `${root}${name}/${id}`, value: JSON.stringify(value), ttl: opts.ttl ?? 120 };
}

describe('register --layout v2', () => {
  it('a key that is not UTF-8 (the v2 API shows it as U+FFFD) is never deleted in place of its look-alike', async () => {
    const { root, args } = v2Root();
    // Written through the HTTP API with the raw byte in the path: etcd keeps the byte, its JSON answers show U+FFFD.
    const put = async (segment: string, address: string): Promise<void> => {
      const value = JSON.stringify({ name: 'u8', version: '1', metadata: null, endpoints: null, nodes: [{ id: 'n\ufffd', address, port: 0, metadata: null }] });
      const res = await fetch(`http://${endpoint}/v2/keys${root}u8/${segment}`, { method: 'PUT', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ value }).toString(), signal: AbortSignal.timeout(5000) });
      expect(res.status).toBeLessThan(300);
    };
    await put('n%FF', '127.0.0.1:1');
    await put('n%EF%BF%BD', '127.0.0.1:2');
    const status = async (segment: string): Promise<number> => (await fetch(`http://${endpoint}/v2/keys${root}u8/${segment}`, { signal: AbortSignal.timeout(5000) })).status;
    const r = await runCli([...args, 'deregister', 'u8', '--node', 'n\ufffd', '--yes']);
    expect(r.code, r.stderr).toBe(0);
    // The real U+FFFD key went; the other was not deleted in its place (its delete named the U+FFFD key
    // with the other key's index, which etcd refused), and is reported kept.
    expect(await status('n%EF%BF%BD')).toBe(404);
    expect(await status('n%FF')).toBe(200);
    expect(r.stderr).toContain('removed 1 node of u8');
  });

  it('never replaces a plain key with the service directory: exit 2 naming the key, the value kept', async () => {
    const { root, args } = v2Root();
    const put = await v2Raw(endpoint, 'PUT', `${root}vs`, { form: { value: 'not a directory: keep me' } });
    expect(put.status).toBeLessThan(300);
    const r = await runCli([...args, 'register', '--name', 'vs', '--address', '127.0.0.1:1', '--ttl', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${root}vs holds a value, not a service directory`);
    const after = await v2Raw(endpoint, 'GET', `${root}vs`);
    expect(after.body.node).toMatchObject({ key: `${root}vs`, value: 'not a directory: keep me' });
    expect((after.body.node as { dir?: boolean }).dir).toBeUndefined();
  });

  it('writes the fixture from --file byte for byte: the service directory, then the node key with its TTL', async () => {
    const { root, args } = v2Root();
    const file = join(dir, 'v2-plugin-greeter.json');
    writeFileSync(file, JSON.stringify(v2fx.value, null, 2));
    const key = v2fx.key.replace('/micro-registry/', root);

    const r = await runCli([...args, 'register', '--file', file, '--ttl', '30', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    // No lease in the v2 layout: the TTL is the key's own.
    expect(out).toMatchObject({ key, ttl: 30, layout: 'v2' });
    expect(out).not.toHaveProperty('lease');
    const stored = v2fx.value as { name: string; nodes: { id: string; address: string; port: number }[] };
    expect(out).toMatchObject({ service: stored.name, id: stored.nodes[0]!.id, address: `${stored.nodes[0]!.address}:${stored.nodes[0]!.port}` });

    const serviceDir = await v2Raw(endpoint, 'GET', `${root}${service}`);
    expect(serviceDir.status).toBe(200);
    const node = serviceDir.body.node as { dir?: boolean; nodes: { key: string; value: string; ttl?: number; expiration?: string }[] };
    expect(node.dir).toBe(true);
    expect(node.nodes).toHaveLength(1);
    expect(node.nodes[0]!.key).toBe(key);
    expect(node.nodes[0]!.value).toBe(v2fx.bytes);
    expect(node.nodes[0]!.ttl).toBeGreaterThan(25);
    expect(node.nodes[0]!.ttl).toBeLessThanOrEqual(30);
    expect(Date.parse(node.nodes[0]!.expiration!)).toBeGreaterThan(Date.now());
  });

  it('from flags writes the host in address and the port as a number; --ttl 0 a key without TTL, as go-micro before v1.11', async () => {
    const { root, args } = v2Root();
    const r = await runCli([...args, 'register', '--name', 'billing', '--address', '10.0.0.9:9000', '--id', 'billing-1', '--meta', 'server=rpc', '--ttl', '0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/billing\tlatest\tbilling-1\t10\.0\.0\.9:9000\tnever expires\t-/);
    expect(r.stderr).toMatch(/--ttl 0: the record has no TTL and never expires/);
    const raw = await v2Raw(endpoint, 'GET', `${root}billing/billing-1`);
    const node = raw.body.node as { value: string; ttl?: number; expiration?: string };
    expect(node.value).toBe('{"name":"billing","version":"latest","metadata":null,"endpoints":null,"nodes":[{"id":"billing-1","address":"10.0.0.9","port":9000,"metadata":{"server":"rpc"}}]}');
    expect(node.ttl).toBeUndefined();
    expect(node.expiration).toBeUndefined();
    // …and it reads back through the v2 layout as host:port.
    const got = await runCli([...args, 'get', 'billing', '-o', 'json']);
    expect(JSON.parse(got.stdout)[0].nodes[0]).toMatchObject({ id: 'billing-1', address: '10.0.0.9:9000', layout: 'v2' });
  });

  it('writes all of a file\'s nodes or none: a failed set takes back the keys already set', async () => {
    const { root, args, nodesOf } = v2Root();
    // n2's key is taken by a directory, so its set fails (102 "Not a file") after n1's succeeded.
    expect((await v2Raw(endpoint, 'PUT', `${root}two/n2`, { query: { dir: 'true' } })).status).toBe(201);
    const file = join(dir, 'two.json');
    writeFileSync(file, JSON.stringify({ name: 'two', nodes: [{ id: 'n1', address: '10.0.0.1:1' }, { id: 'n2', address: '10.0.0.2:2' }] }));
    const r = await runCli([...args, 'register', '--file', file, '--ttl', '30']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: etcd v2 API: Not a file/);
    expect(await nodesOf('two')).toEqual(['n2']);
  });

  it('--keepalive keeps a 3 s key alive for 10 s, writes it again when it is lost, and SIGTERM removes it and the empty directory', async () => {
    const { root, args, nodesOf } = v2Root();
    const key = `${root}ka/ka-1`;
    const reg = spawnCli([...args, 'register', '--name', 'ka', '--address', '10.0.0.1:80', '--id', 'ka-1', '--ttl', '3', '--keepalive', '-o', 'json']);
    const [first] = await reg.waitForLines(1);
    expect(JSON.parse(first!)).toMatchObject({ key, ttl: 3, service: 'ka', id: 'ka-1', address: '10.0.0.1:80', layout: 'v2' });
    await reg.waitForStderr(/refreshing the key TTL of 3s every 1\.0s/);

    const read = async () => (await v2Raw(endpoint, 'GET', key)).body.node as { value: string; ttl: number; createdIndex: number; modifiedIndex: number } | undefined;
    const created = await read();
    expect(created).toBeDefined();
    // Present throughout, more than three TTLs: only its TTL is refreshed (same value, same createdIndex).
    // (A problem ends the polling at once: waitFor would retry past a thrown error.)
    const since = Date.now();
    const seenIndexes = new Set<number>();
    let problem: string | undefined;
    await waitFor(async () => {
      const now = await read();
      if (now === undefined) problem = `the key vanished after ${Date.now() - since} ms`;
      else if (now.createdIndex !== created!.createdIndex || now.value !== created!.value) problem = 'the key was written again instead of refreshed';
      else seenIndexes.add(now.modifiedIndex);
      return problem !== undefined || Date.now() - since > 10_000;
    }, 12_000, 'the key to outlive its TTL for 10 s');
    expect(problem).toBeUndefined();
    expect(seenIndexes.size).toBeGreaterThan(3);
    expect(reg.lines()).toHaveLength(1);

    // Someone deletes it (as if it had expired): it is written again, and says so.
    const deleted = await v2Raw(endpoint, 'DELETE', key);
    expect(deleted.status).toBe(200);
    const [, second] = await reg.waitForLines(2, 5_000);
    expect(JSON.parse(second!)).toMatchObject({ key, ttl: 3, id: 'ka-1' });
    expect(reg.stderr()).toMatch(/key lost \(expired or deleted\): registering again/);
    await waitFor(async () => (await read())?.value === created!.value, 3_000, 'the key written again');

    reg.signal('SIGTERM');
    expect(await reg.exited()).toEqual({ code: 0, signal: null });
    expect(reg.stderr()).toMatch(/SIGTERM: deregistering…\nderegistered .*ka-1\n/);
    expect((await v2Raw(endpoint, 'GET', key)).status).toBe(404);
    expect(await nodesOf('ka')).toBeUndefined();
  });

  it('--keepalive leaves a key that someone else wrote since alone: not refreshed, not deleted on SIGTERM', async () => {
    const { root, args, nodesOf } = v2Root();
    const reg = spawnCli([...args, 'register', '--name', 'ka', '--address', '10.0.0.1:80', '--id', 'ka-1', '--ttl', '3', '--keepalive']);
    await reg.waitForStderr(/refreshing the key TTL/);
    // A go-micro server with the same id re-registers (the plugin sets the key again, here without a TTL).
    await seedV2(endpoint, [{ ...v2Node(root, 'ka-1', { name: 'ka' }), ttl: undefined }]);
    const theirs = (await v2Raw(endpoint, 'GET', `${root}ka/ka-1`)).body.node as { modifiedIndex: number };
    // Over several refresh intervals (1 s) their key keeps its index and gets no TTL from us.
    const since = Date.now();
    let touched = false;
    await waitFor(async () => {
      const now = (await v2Raw(endpoint, 'GET', `${root}ka/ka-1`)).body.node as { modifiedIndex: number; ttl?: number };
      touched = now.modifiedIndex !== theirs.modifiedIndex || now.ttl !== undefined;
      return touched || Date.now() - since > 2_500;
    }, 4_000, 'their key to stay untouched for 2.5 s');
    expect(touched).toBe(false);
    expect(reg.child.exitCode).toBeNull();
    reg.signal('SIGTERM');
    expect((await reg.exited()).code).toBe(0);
    const after = (await v2Raw(endpoint, 'GET', `${root}ka/ka-1`)).body.node as { modifiedIndex: number; ttl?: number };
    expect(after.modifiedIndex).toBe(theirs.modifiedIndex);
    expect(after.ttl).toBeUndefined();
    expect(await nodesOf('ka')).toEqual(['ka-1']);
  });
});


// Names hold what a URL treats specially: the v2 keys API is HTTP, so each key segment must travel
// percent-encoded or a "?" starts a query, a "#" a fragment, a "%" an escape, and a "/" a new directory.
// The keys expected here are written out by hand; the raw reads (test/helpers/v2.ts) encode them.
describe('--layout v2 with names that URLs treat specially', () => {
  const awkward = [
    { name: 'greeter svc', id: 'node 1', dir: 'greeter svc', leaf: 'node 1' },
    { name: 'what?why', id: 'id?x=1', dir: 'what?why', leaf: 'id?x=1' },
    { name: 'hash#tag', id: '#1', dir: 'hash#tag', leaf: '#1' },
    { name: '100%real', id: '%41%2F', dir: '100%real', leaf: '%41%2F' },
    { name: 'a/b', id: 'x/y', dir: 'a-b', leaf: 'x-y' },
  ];

  for (const a of awkward) {
    it(`register, get, list and deregister ${JSON.stringify(a.name)} node ${JSON.stringify(a.id)}: the key is ${a.dir}/${a.leaf}`, async () => {
      const { root, args, nodesOf } = v2Root();
      const key = `${root}${a.dir}/${a.leaf}`;
      const reg = await runCli([...args, 'register', '--name', a.name, '--address', '10.1.2.3:4567', '--id', a.id, '--ttl', '60', '-o', 'json']);
      expect(reg.code, reg.stderr).toBe(0);
      expect(JSON.parse(reg.stdout).key).toBe(key);
      // The key is where go-plugins' registry/etcd would look for it, and holds the plugin's JSON.
      const raw = await v2Raw(endpoint, 'GET', key);
      expect(raw.status, JSON.stringify(raw.body)).toBe(200);
      const stored = JSON.parse((raw.body.node as { value: string }).value);
      expect(stored).toMatchObject({ name: a.name, nodes: [{ id: a.id, address: '10.1.2.3', port: 4567 }] });
      expect(await nodesOf(a.dir)).toEqual([a.leaf]);

      const list = await runCli([...args, 'list', '-o', 'json']);
      expect(list.code, list.stderr).toBe(0);
      expect(JSON.parse(list.stdout).map((x: { name: string }) => x.name)).toEqual([a.name]);
      const got = await runCli([...args, 'get', a.name, '-o', 'json']);
      expect(got.code, got.stderr).toBe(0);
      expect(JSON.parse(got.stdout)[0].nodes[0]).toMatchObject({ id: a.id, address: '10.1.2.3:4567', key });

      const gone = await runCli([...args, 'deregister', a.name, '--node', a.id, '--yes']);
      expect(gone.code, gone.stderr).toBe(0);
      expect((await v2Raw(endpoint, 'GET', key)).status).toBe(404);
      expect(await nodesOf(a.dir)).toBeUndefined();
    });
  }

  it('a record seeded raw under such a name, the way the plugin writes it, is read back by list', async () => {
    const { root, args } = v2Root();
    await seedV2(endpoint, [{ ...v2Node(root, 'n?1', { name: 'q?a#b%c d' }), key: `${root}q?a#b%c d/n?1` }]);
    const r = await runCli([...args, 'get', 'q?a#b%c d', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)[0].nodes.map((n: { id: string; key: string }) => [n.id, n.key])).toEqual([['n?1', `${root}q?a#b%c d/n?1`]]);
  });
});

describe('deregister --layout v2', () => {
  async function seeded() {
    const r = v2Root();
    await seedV2(endpoint, [v2Node(r.root, 'n1', { version: '1.0.0' }), v2Node(r.root, 'n2', { version: '1.0.0' }), v2Node(r.root, 'n3', { version: '2.0.0' })]);
    return r;
  }

  it('--node --yes deletes only that key; --all then removes the rest and the emptied service directory', async () => {
    const { root, args, nodesOf } = await seeded();
    const one = await runCli([...args, 'deregister', service, '--node', 'n2', '--yes']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toContain(`${root}${service}/n2`);
    expect(one.stderr).toMatch(/removed 1 node of go\.micro\.srv\.greeter/);
    expect(await nodesOf(service)).toEqual(['n1', 'n3']);

    const rest = await runCli([...args, 'deregister', service, '--all', '--yes', '-o', 'json']);
    expect(rest.code, rest.stderr).toBe(0);
    const out = JSON.parse(rest.stdout);
    expect(out.kept).toEqual([]);
    expect(out.removed.map((n: { id: string }) => n.id).sort()).toEqual(['n1', 'n3']);
    expect(out.removed[0]).toMatchObject({ layout: 'v2', address: '10.0.0.5:54321' });
    expect(out.removed[0].lease).toBeUndefined();
    expect(await nodesOf(service)).toBeUndefined();
  });

  it('the race: a node rewritten between read and delete is kept (changed), a vanished one reported (gone), the rest deleted', async () => {
    const { root, nodesOf } = await seeded();
    const client = new EtcdClient(connection);
    const v2 = new V2Client(connection);
    try {
      const registry = new Registry(resolveRegistryConfig({ endpoints: endpoint, layout: 'v2', prefix: root }, {}), { v3: () => client, v2: () => v2 });
      // What deregister reads and shows…
      const shown = selectNodes(service, (await registry.read(service)).records, {}).records;
      expect(shown.map((r) => r.service.nodes[0]!.id)).toEqual(['n1', 'n2', 'n3']);
      // …then n1 re-registers (the plugin sets its key again) and n2 goes…
      await seedV2(endpoint, [v2Node(root, 'n1', { version: '1.0.0' })]);
      expect((await v2Raw(endpoint, 'DELETE', `${root}${service}/n2`)).status).toBe(200);
      // …and only then the delete of what was shown, through the store deregister uses.
      const outcomes = await recordStore(registry.writeSpace().layout, registry).removeIfUnchanged(shown);
      expect(outcomes.map((o) => [o.record.service.nodes[0]!.id, o.removed, o.reason])).toEqual([
        ['n1', false, 'changed'],
        ['n2', false, 'gone'],
        ['n3', true, undefined],
      ]);
      // The directory stays while n1 is in it.
      expect(await nodesOf(service)).toEqual(['n1']);
    } finally {
      client.close();
      v2.close();
    }
  });

  it('the race, alone: a node re-registered between read and delete is kept; one refreshed before the read goes', async () => {
    const { root, nodesOf } = await seeded();
    const v2 = new V2Client(connection);
    const client = new EtcdClient(connection);
    try {
      const registry = new Registry(resolveRegistryConfig({ endpoints: endpoint, layout: 'v2', prefix: root }, {}), { v3: () => client, v2: () => v2 });
      // n2's TTL was refreshed before the read (as a keepalive does): its modifiedIndex is past its
      // createdIndex, and it is the modifiedIndex that a delete must compare.
      const refreshed = await v2Raw(endpoint, 'PUT', `${root}${service}/n2`, { query: { refresh: 'true', prevExist: 'true' }, form: { ttl: '120' } });
      expect(refreshed.status).toBe(200);
      const n2 = refreshed.body.node as { createdIndex: number; modifiedIndex: number };
      expect(n2.modifiedIndex).toBeGreaterThan(n2.createdIndex);
      const shown = selectNodes(service, (await registry.read(service)).records, { node: ['n1', 'n2'] }).records;
      expect(shown.map((r) => r.key)).toEqual([`${root}${service}/n1`, `${root}${service}/n2`]);
      // The plugin sets the key again with the same value: only its modifiedIndex tells.
      const before = (await v2Raw(endpoint, 'GET', `${root}${service}/n1`)).body.node as { value: string; createdIndex: number; modifiedIndex: number };
      expect((await v2Raw(endpoint, 'PUT', `${root}${service}/n1`, { form: { value: before.value, ttl: '120' } })).status).toBe(200);
      const outcomes = await recordStore(registry.writeSpace().layout, registry).removeIfUnchanged(shown);
      expect(outcomes.map((o) => [o.record.key, o.removed, o.reason])).toEqual([
        [`${root}${service}/n1`, false, 'changed'],
        [`${root}${service}/n2`, true, undefined],
      ]);
      expect(await nodesOf(service)).toEqual(['n1', 'n3']);
    } finally {
      client.close();
      v2.close();
    }
  });

  it('on a terminal: a node re-registered while the confirmation is open is kept and reported', async () => {
    const { root, args, nodesOf } = await seeded();
    const session = new TmuxSession([...args, 'deregister', service, '--version', '1.0.0']);
    try {
      await session.waitForScreen(/Deregister 2 nodes of go\.micro\.srv\.greeter\? \(y\/N\)/);
      await seedV2(endpoint, [v2Node(root, 'n1', { version: '1.0.0' })]);
      session.keys('y', 'Enter');
      expect(await session.exitCode()).toBe(0);
      const screen = await session.waitForScreen(/removed 1 node/);
      expect(screen).toMatch(/kept node n1: it was written again after it was read/);
    } finally {
      session.close();
    }
    expect(await nodesOf(service)).toEqual(['n1', 'n3']);
  });
});

describe('check --prune --layout v2', () => {
  let live: Server;
  let livePort: number;
  beforeAll(async () => {
    live = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => live.listen(0, '127.0.0.1', resolve));
    livePort = (live.address() as { port: number }).port;
  });
  afterAll(() => new Promise((r) => live.close(r)));

  it('--yes removes only the dead nodes, and the directory of a service left empty', async () => {
    const { root, args, nodesOf } = v2Root();
    const deadPort = await closedPort();
    await seedV2(endpoint, [
      v2Node(root, 'live', { host: '127.0.0.1', port: livePort }),
      v2Node(root, 'dead', { host: '127.0.0.1', port: deadPort }),
      v2Node(root, 'ghost-1', { name: 'ghost', host: '127.0.0.1', port: deadPort }),
    ]);
    const r = await runCli([...args, 'check', '--prune', '--yes', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout) as { id: string; layout: string; reachable: boolean; pruned?: string }[];
    const byId = Object.fromEntries(results.map((x) => [x.id, x]));
    expect(byId.live).toMatchObject({ reachable: true, layout: 'v2' });
    expect(byId.live!.pruned).toBeUndefined();
    expect(byId.dead).toMatchObject({ reachable: false, pruned: 'removed' });
    expect(byId['ghost-1']).toMatchObject({ reachable: false, pruned: 'removed' });
    expect(await nodesOf(service)).toEqual(['live']);
    expect(await nodesOf('ghost')).toBeUndefined();
    expect((await runCli([...args, 'check'])).code).toBe(0);
  });

  it('on a terminal: a dead node that re-registers while the confirmation is open is kept and reported', async () => {
    const { root, args, nodesOf } = v2Root();
    const deadPort = await closedPort();
    await seedV2(endpoint, [v2Node(root, 'live', { host: '127.0.0.1', port: livePort }), v2Node(root, 'dead', { host: '127.0.0.1', port: deadPort })]);
    const session = new TmuxSession([...args, 'check', '--prune']);
    try {
      await session.waitForScreen(/Deregister 1 unreachable node\? \(y\/N\)/);
      await seedV2(endpoint, [v2Node(root, 'dead', { host: '127.0.0.1', port: deadPort })]);
      session.keys('y', 'Enter');
      expect(await session.exitCode()).toBe(8);
      expect(await session.waitForScreen(/kept go\.micro\.srv\.greeter dead/)).toMatch(/it re-registered \(its key changed\) since it was checked/);
    } finally {
      session.close();
    }
    expect(await nodesOf(service)).toEqual(['dead', 'live']);
  });
});

describe('--layout auto: v2 and legacy records under the same key', () => {
  let etcd: EtcdServer;
  beforeAll(async () => {
    etcd = await startEtcd({ enableV2: true });
  });
  afterAll(async () => {
    await etcd.stop();
  });

  it('deregister deletes each record through the API it was read from', async () => {
    const legacy = fixture('legacy-greeter');
    const key = `/micro-registry/${service}/${fixtureId}`;
    expect(legacy.key).toBe(key);
    expect(v2fx.key).toBe(key);
    await seed(etcd.endpoint, [{ key, value: legacy.bytes, ttl: 60 }]);
    await seedV2(etcd.endpoint, [{ key, value: v2fx.bytes, ttl: 60 }]);

    const r = await runCli(['--endpoints', etcd.endpoint, '--layout', 'auto', 'deregister', service, '--all', '--yes', '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.kept).toEqual([]);
    expect(out.removed.map((n: { layout: string }) => n.layout).sort()).toEqual(['legacy', 'v2']);
    const client = new EtcdClient({ ...connection, endpoints: [etcd.endpoint] });
    try {
      expect((await client.rangePrefix('/micro-registry/')).kvs).toHaveLength(0);
    } finally {
      client.close();
    }
    expect((await v2Raw(etcd.endpoint, 'GET', `/micro-registry/${service}`)).status).toBe(404);
  });
});
