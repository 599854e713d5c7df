// export, diff, apply and reads at a revision against real etcds: two of this file's own (the revision
// checks and the compaction must not see, or disturb, other test files' writes), both serving v2.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planWrites } from '../../src/commands/apply.js';
import { Registry } from '../../src/registry/registry.js';
import { desiredRecords, parseStateDocument, planApply } from '../../src/registry/snapshot.js';
import { recordStore } from '../../src/registry/store-for-layout.js';
import { V2Client } from '../../src/registry/v2/client.js';
import { etcdClient, randomPrefix, runCli, seed } from '../helpers/cli.js';
import { type EtcdServer, startEtcd } from '../helpers/etcd.js';
import { fixture, loadFixtures } from '../helpers/fixtures.js';
import { killAll, spawnCli } from '../helpers/process.js';
import { seedV2, v2Raw } from '../helpers/v2.js';
import { elapse } from '../helpers/wait.js';

const v6 = fixture('micro-v6-greeter');

/** The v6 fixture's value as service `name` with one node `id` at `address`, metadata changed by `meta`. */
function node(name: string, id: string, address = '10.0.0.5:54321', change: (v: Record<string, unknown>) => void = () => undefined): string {
  const value = structuredClone(v6.value);
  value.name = name;
  const n = (value.nodes as Record<string, unknown>[])[0]!;
  n.id = id;
  n.address = address;
  change(value);
  return JSON.stringify(value);
}

/** Every key and value under a prefix of a v3 etcd, values as text. */
async function dump(endpoint: string, prefix: string): Promise<Map<string, string>> {
  const client = etcdClient(endpoint);
  try {
    const { kvs } = await client.rangePrefix(prefix);
    return new Map(kvs.map((kv) => [kv.key, Buffer.from(kv.value as Uint8Array).toString('utf8')]));
  } finally {
    client.close();
  }
}

/** etcd's current revision. */
async function revisionOf(endpoint: string): Promise<string> {
  const client = etcdClient(endpoint);
  try {
    return (await client.rangePrefix('\0revision-probe')).revision;
  } finally {
    client.close();
  }
}

async function put(endpoint: string, key: string, value: string): Promise<void> {
  await seed(endpoint, [{ key, value }]);
}

describe('the registry as data: export, diff, apply against real etcds', () => {
  let a: EtcdServer;
  let b: EtcdServer;
  const dir = mkdtempSync(join(tmpdir(), 'micro-reg-data-'));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  beforeAll(async () => {
    [a, b] = await Promise.all([startEtcd({ enableV2: true }), startEtcd({ enableV2: true })]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => killAll());

  it('every fixture family: export, apply to a second etcd, diff shows nothing, and every key holds the same bytes', async () => {
    // Two fixtures (go-micro v2 and v6) share a key: each gets its own node id (same bytes otherwise).
    const records = loadFixtures().map((f, i) => ({ family: f.family, key: f.key.replace('greeter-d3e0', `greeter-${i}3e0`), bytes: f.bytes.replace('greeter-d3e0', `greeter-${i}3e0`) }));
    for (const f of records) {
      if (f.family === 'v2') await seedV2(a.endpoint, [{ key: f.key, value: f.bytes }]);
      else await put(a.endpoint, f.key, f.bytes);
    }
    const exported = await runCli(['--endpoints', a.endpoint, '--layout', 'auto', 'export', '--no-ttl']);
    expect(exported.code).toBe(0);
    const snapshot = JSON.parse(exported.stdout);
    expect(snapshot.layouts).toEqual(['micro', 'domain', 'legacy', 'v2']);
    expect(snapshot.records).toHaveLength(loadFixtures().length);
    const path = file('all.json', exported.stdout);

    const applied = await runCli(['--endpoints', b.endpoint, '--layout', 'auto', 'apply', '-f', path, '-o', 'json']);
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout).created).toHaveLength(loadFixtures().length);
    const diff = await runCli(['--endpoints', b.endpoint, '--layout', 'auto', 'diff', '-f', path]);
    expect(diff).toMatchObject({ code: 0, stdout: '' });
    expect(diff.stderr).toMatch(/^no differences between .*all\.json and the registry at revision \d+\n$/);

    // Byte for byte: the v3 keys, and the v2 store's node keys.
    for (const prefix of ['/micro/registry/', '/micro-registry/']) expect(await dump(b.endpoint, prefix)).toEqual(await dump(a.endpoint, prefix));
    const v2 = records.find((f) => f.family === 'v2')!;
    const [fromA, fromB] = await Promise.all([v2Raw(a.endpoint, 'GET', v2.key), v2Raw(b.endpoint, 'GET', v2.key)]);
    expect((fromB.body.node as { value: string }).value).toBe(v2.bytes);
    expect((fromB.body.node as { value: string }).value).toBe((fromA.body.node as { value: string }).value);
    // Exported again from the copy: the same document.
    const again = await runCli(['--endpoints', b.endpoint, '--layout', 'auto', 'export', '--no-ttl']);
    expect(JSON.parse(again.stdout).records).toEqual(snapshot.records.map((r: Record<string, unknown>) => ({ ...r })));
  });

  it('hand-edited snapshots give exactly the expected diff lines and JSON', async () => {
    const prefix = randomPrefix();
    const svc = 'go.micro.srv.greeter';
    await seed(a.endpoint, [
      { key: `${prefix}${svc}/n1`, value: node(svc, 'n1', '10.0.0.1:1') },
      { key: `${prefix}${svc}/n2`, value: node(svc, 'n2', '10.0.0.2:2') },
    ]);
    const base = ['--endpoints', a.endpoint, '--prefix', prefix];
    const snapshot = JSON.parse((await runCli([...base, 'export'])).stdout);
    const edits: [string, (s: { records: Record<string, any>[] }) => void, string[], unknown[]][] = [
      [
        'added node',
        (s) => s.records.push({ ...structuredClone(s.records[1]!), key: `${prefix}${svc}/n3`, node: { ...s.records[1]!.node, id: 'n3', address: '10.0.0.3:3' } }),
        [`- node ${svc} latest n3 10.0.0.3:3`],
        [{ op: 'remove', kind: 'node', service: svc, version: 'latest', layout: 'micro', node: 'n3', address: '10.0.0.3:3', key: `${prefix}${svc}/n3` }],
      ],
      [
        'removed node',
        (s) => s.records.shift(),
        [`+ node ${svc} latest n1 10.0.0.1:1`],
        [{ op: 'add', kind: 'node', service: svc, version: 'latest', layout: 'micro', node: 'n1', address: '10.0.0.1:1', key: `${prefix}${svc}/n1` }],
      ],
      [
        'changed metadata',
        (s) => {
          s.records[0]!.node.metadata.server = 'grpc';
          s.records[0]!.node.metadata.zone = 'eu-1';
        },
        [`~ node ${svc} latest n1`, '~     metadata.server: grpc => mucp', '-     metadata.zone: eu-1'],
        [
          {
            op: 'change', kind: 'node', service: svc, version: 'latest', layout: 'micro', node: 'n1', key: `${prefix}${svc}/n1`,
            fields: [{ op: 'change', field: 'metadata.server', from: 'grpc', to: 'mucp' }, { op: 'remove', field: 'metadata.zone', from: 'eu-1' }],
          },
        ],
      ],
      [
        'changed endpoint types',
        (s) => {
          s.records[1]!.endpoints[0].response.values[0].type = 'int64';
          s.records[1]!.endpoints[1].request = { name: 'Ping', type: 'Ping', values: null };
        },
        [`~ node ${svc} latest n2`, '~     endpoints[Say.Hello].response: Response{msg int64} => Response{msg string}', '~     endpoints[Say.Stream].request: Ping => Context'],
        [
          {
            op: 'change', kind: 'node', service: svc, version: 'latest', layout: 'micro', node: 'n2', key: `${prefix}${svc}/n2`,
            fields: [
              { op: 'change', field: 'endpoints[Say.Hello].response', from: { name: 'Response', type: 'Response', values: [{ name: 'msg', type: 'int64', values: null }] }, to: { name: 'Response', type: 'Response', values: [{ name: 'msg', type: 'string', values: null }] } },
              { op: 'change', field: 'endpoints[Say.Stream].request', from: { name: 'Ping', type: 'Ping', values: null }, to: { name: 'Context', type: 'Context', values: null } },
            ],
          },
        ],
      ],
    ];
    for (const [what, edit, lines, json] of edits) {
      const edited = structuredClone(snapshot);
      edit(edited);
      const path = file(`${what.replaceAll(' ', '-')}.json`, JSON.stringify(edited));
      const text = await runCli([...base, 'diff', '-f', path]);
      expect(text.code, what).toBe(9);
      expect(text.stdout, what).toBe([`--- ${path}`, `+++ the registry at revision ${snapshot.revision}`, ...lines, ''].join('\n'));
      const asJson = await runCli([...base, 'diff', '-f', path, '-o', 'json']);
      expect(asJson.code, what).toBe(9);
      expect(JSON.parse(asJson.stdout), what).toEqual(json);
      expect(asJson.stderr, what).toBe('');
    }
  });

  it('apply twice: the second run writes nothing and etcd keeps its revision; YAML files work as JSON ones', async () => {
    const prefix = randomPrefix();
    const base = ['--endpoints', b.endpoint, '--prefix', prefix];
    const path = file(
      'external.yaml',
      ['services:', '  - name: db-proxy', '    version: "1.0"', '    endpoints: [Query]', '    nodes:', '      - {id: db-1, address: "10.0.0.7:5432", metadata: {zone: eu-1}}', '      - address: 10.0.0.8:5432', ''].join('\n'),
    );
    const first = await runCli([...base, 'apply', '-f', path, '-o', 'json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ created: [`${prefix}db-proxy/db-1`, `${prefix}db-proxy/db-proxy-10.0.0.8:5432`], updated: [], removed: [], unchanged: [], kept: [] });
    const revision = await revisionOf(b.endpoint);
    const second = await runCli([...base, 'apply', '-f', path, '-o', 'json']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ created: [], updated: [], removed: [], unchanged: [`${prefix}db-proxy/db-1`, `${prefix}db-proxy/db-proxy-10.0.0.8:5432`] });
    expect(await revisionOf(b.endpoint)).toBe(revision);
    expect((await runCli([...base, 'apply', '-f', path])).stderr).toBe('nothing to do: 2 nodes already as declared\n');
    expect(await revisionOf(b.endpoint)).toBe(revision);
    // A change in the file is one write, and the diff of the file is empty after it.
    writeFileSync(path, [
      'services:', '  - name: db-proxy', '    version: "1.0"', '    endpoints: [Query]', '    nodes:', '      - {id: db-1, address: "10.0.0.7:5433", metadata: {zone: eu-1}}', '      - address: 10.0.0.8:5432', '',
    ].join('\n'));
    const dry = await runCli([...base, 'apply', '-f', path, '--dry-run']);
    expect(dry.stdout.split('\n').slice(2)).toEqual(['~ node db-proxy 1.0 db-1', '~     address: 10.0.0.7:5432 => 10.0.0.7:5433', '']);
    expect(await revisionOf(b.endpoint)).toBe(revision);
    const third = await runCli([...base, 'apply', '-f', path, '-o', 'json']);
    expect(JSON.parse(third.stdout)).toMatchObject({ updated: [`${prefix}db-proxy/db-1`], created: [], removed: [] });
    expect(BigInt(await revisionOf(b.endpoint))).toBe(BigInt(revision) + 1n);
    expect((await runCli([...base, 'diff', '-f', path])).code).toBe(0);
    // The same file on standard input.
    const { readFileSync } = await import('node:fs');
    expect((await runCli([...base, 'diff', '-f', '-'], { stdin: readFileSync(path, 'utf8') })).code).toBe(0);
    const bad = await runCli([...base, 'apply', '-f', '-'], { stdin: 'services: [ {name: x' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: standard input is neither JSON nor YAML: /);
  });

  it('more writes than one etcd transaction takes (128 operations): all made, each batch compared', async () => {
    const prefix = randomPrefix();
    const nodes = Array.from({ length: 150 }, (_, i) => ({ id: `n${String(i).padStart(3, '0')}`, address: `10.0.${i >> 8}.${i & 255}:80` }));
    const path = file('many.json', JSON.stringify({ services: [{ name: 'svc.many', nodes }] }));
    const base = ['--endpoints', b.endpoint, '--prefix', prefix];
    const first = await runCli([...base, 'apply', '-f', path, '-o', 'json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).created).toHaveLength(150);
    expect((await dump(b.endpoint, prefix)).size).toBe(150);
    const revision = await revisionOf(b.endpoint);
    expect(JSON.parse((await runCli([...base, 'apply', '-f', path, '-o', 'json'])).stdout).unchanged).toHaveLength(150);
    expect(await revisionOf(b.endpoint)).toBe(revision);
    const pruned = await runCli([...base, 'apply', '--prune', '-f', file('few.json', JSON.stringify({ services: [{ name: 'svc.many', nodes: nodes.slice(0, 1) }] })), '-o', 'json']);
    expect(JSON.parse(pruned.stdout).removed).toHaveLength(149);
    expect([...(await dump(b.endpoint, prefix)).keys()]).toEqual([`${prefix}svc.many/n000`]);
  });

  it('--prune removes only the unlisted nodes of the services the file names, never another service', async () => {
    const prefix = randomPrefix();
    await seed(b.endpoint, [
      { key: `${prefix}svc.a/a1`, value: node('svc.a', 'a1', '10.0.0.1:1') },
      { key: `${prefix}svc.a/a2`, value: node('svc.a', 'a2', '10.0.0.2:2') },
      { key: `${prefix}svc.b/b1`, value: node('svc.b', 'b1', '10.0.0.3:3') },
    ]);
    const path = file('prune.json', JSON.stringify({ services: [{ name: 'svc.a', nodes: [{ id: 'a9', address: '10.0.0.9:9' }] }] }));
    const base = ['--endpoints', b.endpoint, '--prefix', prefix];
    const dry = await runCli([...base, 'apply', '-f', path, '--prune', '--dry-run', '-o', 'json']);
    expect(JSON.parse(dry.stdout).map((c: { op: string; node?: string }) => `${c.op} ${c.node ?? ''}`)).toEqual(['remove a1', 'remove a2', 'add a9']);
    expect([...(await dump(b.endpoint, prefix)).keys()]).toHaveLength(3);
    const r = await runCli([...base, 'apply', '-f', path, '--prune', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ created: [`${prefix}svc.a/a9`], removed: [`${prefix}svc.a/a1`, `${prefix}svc.a/a2`] });
    expect([...(await dump(b.endpoint, prefix)).keys()].sort()).toEqual([`${prefix}svc.a/a9`, `${prefix}svc.b/b1`]);
  });

  for (const layout of ['micro', 'v2'] as const) {
    it(`${layout}: a node written again between the read and the write is reported and kept (compare-and-swap)`, async () => {
      const prefix = randomPrefix();
      const key = `${prefix}svc.c/c1`;
      const original = node('svc.c', 'c1', '10.0.0.1:1');
      if (layout === 'v2') await seedV2(a.endpoint, [{ key, value: original }]);
      else await put(a.endpoint, key, original);
      const connection = { endpoints: [a.endpoint], tls: false, insecureSkipVerify: false, timeoutMs: 5000 };
      const client = layout === 'v2' ? undefined : etcdClient(a.endpoint);
      const v2 = layout === 'v2' ? new V2Client(connection) : undefined;
      const registry = new Registry({ connection, layout, prefix, strict: false }, { ...(client && { v3: () => client }), ...(v2 && { v2: () => v2 }) });
      try {
        const live = (await registry.read()).records;
        const desired = desiredRecords(parseStateDocument({ services: [{ name: 'svc.c', nodes: [{ id: 'c1', address: '10.0.0.9:9' }, { id: 'c2', address: '10.0.0.9:8' }] }] }, 'f'), { layout, prefix }, 'f');
        const plan = planApply(desired, live, { prune: false });
        expect(plan.update).toHaveLength(1);
        // The node re-registers (as go-micro does on restart) after apply read it.
        const reregistered = node('svc.c', 'c1', '10.0.0.1:2');
        if (layout === 'v2') await seedV2(a.endpoint, [{ key, value: reregistered }]);
        else await put(a.endpoint, key, reregistered);
        const { outcomes } = await recordStore(layout, registry).applyWrites(planWrites(plan), 0);
        expect(outcomes.map((o) => [o.write.key, o.done, o.reason])).toEqual([
          [`${prefix}svc.c/c2`, true, undefined],
          [key, false, 'changed'],
        ]);
        const now = layout === 'v2' ? ((await v2Raw(a.endpoint, 'GET', key)).body.node as { value: string }).value : (await dump(a.endpoint, key)).get(key);
        expect(now).toBe(reregistered);
      } finally {
        client?.close();
        v2?.close();
      }
    });
  }

  it('--revision: list, get, export and diff see the registry as it was before a deregister', async () => {
    const prefix = randomPrefix();
    await seed(a.endpoint, [
      { key: `${prefix}svc.d/d1`, value: node('svc.d', 'd1', '10.0.0.1:1') },
      { key: `${prefix}svc.d/d2`, value: node('svc.d', 'd2', '10.0.0.2:2') },
    ]);
    const base = ['--endpoints', a.endpoint, '--prefix', prefix];
    const before = await runCli([...base, 'list', '--show-revision', '-o', 'names']);
    const revision = /^revision: (\d+)$/m.exec(before.stderr)![1]!;
    expect((await runCli([...base, 'deregister', 'svc.d', '--node', 'd1', '--yes'])).code).toBe(0);

    const ids = (stdout: string): string[] => JSON.parse(stdout)[0].nodes.map((n: { id: string }) => n.id);
    expect(ids((await runCli([...base, 'get', 'svc.d', '-o', 'json'])).stdout)).toEqual(['d2']);
    const past = await runCli([...base, 'get', 'svc.d', '-o', 'json', '--revision', revision, '--show-revision']);
    expect(ids(past.stdout)).toEqual(['d1', 'd2']);
    expect(past.stderr).toBe(`revision: ${revision}\n`);
    expect(JSON.parse((await runCli([...base, 'list', '-o', 'json', '--revision', revision])).stdout)[0].nodes).toHaveLength(2);
    // -o yaml is the same data as -o json.
    const { parse } = await import('yaml');
    const [asYaml, asJson] = await Promise.all([runCli([...base, 'get', 'svc.d', '-o', 'yaml', '--revision', revision]), runCli([...base, 'get', 'svc.d', '-o', 'json', '--revision', revision])]);
    expect(parse(asYaml.stdout)).toEqual(JSON.parse(asJson.stdout));
    const diffYaml = await runCli([...base, 'diff', '--revision', revision, '-o', 'yaml']);
    expect(diffYaml.code).toBe(9);
    expect(parse(diffYaml.stdout)).toEqual([expect.objectContaining({ op: 'remove', node: 'd1' })]);
    const exported = JSON.parse((await runCli([...base, 'export', '--revision', revision])).stdout);
    expect(exported.revision).toBe(revision);
    expect(exported.records.map((r: { node: { id: string }; ttl?: number }) => [r.node.id, r.ttl])).toEqual([['d1', undefined], ['d2', undefined]]);
    const diff = await runCli([...base, 'diff', '--revision', revision, '-o', 'json']);
    expect(diff.code).toBe(9);
    expect(JSON.parse(diff.stdout)).toEqual([{ op: 'remove', kind: 'node', service: 'svc.d', version: 'latest', layout: 'micro', node: 'd1', address: '10.0.0.1:1', key: `${prefix}svc.d/d1` }]);
    const text = await runCli([...base, 'diff', '--revision', revision]);
    expect(text.stdout).toMatch(new RegExp(`^--- the registry at revision ${revision}\n\\+\\+\\+ the registry at revision \\d+\n- node svc.d latest d1 10.0.0.1:1\n$`));
    // The v2 layout has no revisions.
    const v2 = await runCli(['--endpoints', a.endpoint, '--layout', 'v2', 'list', '--revision', revision]);
    expect(v2.code).toBe(2);
    expect(v2.stderr).toMatch(/^error: --revision reads etcd v3 history: the v2 layout has no revisions\n/);
  });

  it('a compacted revision exits 3 and names the oldest revision still readable', async () => {
    const prefix = randomPrefix();
    await put(a.endpoint, `${prefix}svc.e/e1`, node('svc.e', 'e1'));
    const old = await revisionOf(a.endpoint);
    await put(a.endpoint, `${prefix}svc.e/e2`, node('svc.e', 'e2'));
    const compactAt = await revisionOf(a.endpoint);
    const client = etcdClient(a.endpoint);
    try {
      await client.etcd.kv.compact({ revision: compactAt, physical: true });
    } finally {
      client.close();
    }
    // Written after the compaction: the oldest readable revision is not simply the current one.
    await put(a.endpoint, `${prefix}svc.e/e3`, node('svc.e', 'e3'));
    const base = ['--endpoints', a.endpoint, '--prefix', prefix];
    for (const args of [['list', '--revision', old], ['export', '--revision', old], ['diff', '--revision', old], ['get', 'svc.e', '--revision', old]]) {
      const r = await runCli([...base, ...args]);
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.stderr, args.join(' ')).toBe(`error: revision ${old} has been compacted: etcd no longer keeps the registry as it was then\nhint: the oldest revision still readable is ${compactAt}\n`);
    }
    expect((await runCli([...base, 'list', '--revision', compactAt, '-o', 'names'])).stdout).toBe('svc.e\n');
    const watch = await runCli([...base, 'watch', '--since-revision', old, '--count', '1']);
    expect(watch.code).toBe(3);
    expect(watch.stderr).toContain(`hint: the oldest revision still readable is ${compactAt}`);
    const future = await runCli([...base, 'list', '--revision', String(BigInt(compactAt) + 1000n)]);
    expect(future.code).toBe(3);
    expect(future.stderr).toMatch(/is in the future/);
  });

  it('watch --since-revision replays every change after R exactly once, then goes on live', async () => {
    const prefix = randomPrefix();
    await put(a.endpoint, `${prefix}svc.f/f1`, node('svc.f', 'f1', '10.0.0.1:1'));
    const since = await revisionOf(a.endpoint);
    await put(a.endpoint, `${prefix}svc.f/f2`, node('svc.f', 'f2', '10.0.0.2:2'));
    await put(a.endpoint, `${prefix}svc.f/f1`, node('svc.f', 'f1', '10.0.0.1:9'));
    const client = etcdClient(a.endpoint);
    try {
      await client.deleteEachIf([{ key: `${prefix}svc.f/f2`, lease: '0' }]);
    } finally {
      client.close();
    }
    const watch = spawnCli(['--endpoints', a.endpoint, '--prefix', prefix, 'watch', '--since-revision', since, '-o', 'json', '--count', '4']);
    await watch.waitForStderr(/watching 1 service, 1 node at revision \d+/);
    const replayed = (await watch.waitForLines(3)).map((l) => JSON.parse(l));
    expect(replayed.map((e) => [e.action, e.service.nodes[0].id, e.service.nodes[0].address])).toEqual([
      ['create', 'f2', '10.0.0.2:2'],
      ['update', 'f1', '10.0.0.1:9'],
      ['delete', 'f2', '10.0.0.2:2'],
    ]);
    expect(replayed.map((e) => e.revision)).toEqual([BigInt(since) + 1n, BigInt(since) + 2n, BigInt(since) + 3n].map(Number));
    await put(a.endpoint, `${prefix}svc.f/f3`, node('svc.f', 'f3', '10.0.0.3:3'));
    expect(await watch.exited()).toEqual({ code: 0, signal: null });
    const all = watch.lines().map((l) => JSON.parse(l));
    expect(all).toHaveLength(4);
    expect([all[3].action, all[3].service.nodes[0].id]).toEqual(['create', 'f3']);
  });

  it('diff between two contexts pointing at two etcds', async () => {
    const prefix = randomPrefix();
    await seed(a.endpoint, [
      { key: `${prefix}svc.g/g1`, value: node('svc.g', 'g1', '10.0.0.1:1') },
      { key: `${prefix}svc.g/g2`, value: node('svc.g', 'g2', '10.0.0.2:2') },
    ]);
    await seed(b.endpoint, [
      { key: `${prefix}svc.g/g1`, value: node('svc.g', 'g1', '10.0.0.1:1', (v) => ((v.nodes as { metadata: Record<string, string> }[])[0]!.metadata.zone = 'b')) },
      { key: `${prefix}svc.g/g3`, value: node('svc.g', 'g3', '10.0.0.3:3') },
    ]);
    const home = join(dir, 'config-home');
    mkdirSync(join(home, 'micro-reg'), { recursive: true });
    writeFileSync(join(home, 'micro-reg', 'config.json'), JSON.stringify({ contexts: { staging: { endpoints: [a.endpoint], prefix }, production: { endpoints: [b.endpoint], prefix } } }), { mode: 0o600 });
    const env = { XDG_CONFIG_HOME: home };
    const r = await runCli(['--context', 'staging', 'diff', '--against-context', 'production'], { env });
    expect(r.code).toBe(9);
    expect(r.stdout.replace(/revision \d+/g, 'revision N')).toBe(
      [
        '--- the registry at revision N',
        '+++ context production at revision N',
        '~ node svc.g latest g1',
        '+     metadata.zone: b',
        '- node svc.g latest g2 10.0.0.2:2',
        '+ node svc.g latest g3 10.0.0.3:3',
        '',
      ].join('\n'),
    );
    expect(r.stderr).toBe('1 node added, 1 removed, 1 changed\n');
    const same = await runCli(['--context', 'production', 'diff', '--context-b', 'production'], { env });
    expect(same.code).toBe(0);
    const unknown = await runCli(['--context', 'staging', 'diff', '--against-context', 'nope'], { env });
    expect(unknown.code).toBe(2);
  });

  it('apply --keepalive renews the lease of what it wrote and removes it on SIGTERM, leaving equal nodes alone', async () => {
    const prefix = randomPrefix();
    await put(b.endpoint, `${prefix}svc.k/k1`, node('svc.k', 'k1', '10.0.0.1:1'));
    const current = JSON.parse((await runCli(['--endpoints', b.endpoint, '--prefix', prefix, 'export'])).stdout);
    current.records.push({ ...structuredClone(current.records[0]), key: '', node: { id: 'k2', address: '10.0.0.2:2', metadata: null } });
    const path = file('keepalive.json', JSON.stringify(current));
    const proc = spawnCli(['--endpoints', b.endpoint, '--prefix', prefix, 'apply', '-f', path, '--keepalive', '--ttl', '3']);
    await proc.waitForStderr(/keeping lease [0-9a-f]+ alive every 1\.0s/);
    const client = etcdClient(b.endpoint);
    try {
      const { kvs } = await client.rangePrefix(prefix);
      const byKey = new Map(kvs.map((kv) => [kv.key, kv]));
      expect(byKey.get(`${prefix}svc.k/k1`)!.lease).toBe('0');
      const lease = byKey.get(`${prefix}svc.k/k2`)!.lease!;
      expect(lease).not.toBe('0');
      // Renewed: the lease outlives its TTL (3 s, renewed every second).
      await elapse(4500);
      expect(await client.leaseTtl(lease)).toBeGreaterThan(0);
      expect((await dump(b.endpoint, prefix)).has(`${prefix}svc.k/k2`)).toBe(true);
      proc.signal('SIGTERM');
      expect(await proc.exited()).toEqual({ code: 0, signal: null });
      expect(proc.stderr()).toMatch(/removed 1 node; lease [0-9a-f]+ revoked\n$/);
      expect([...(await dump(b.endpoint, prefix)).keys()]).toEqual([`${prefix}svc.k/k1`]);
      expect(await client.leaseTtl(lease)).toBe(-1);
    } finally {
      client.close();
    }
  });

  it('the v2 layout: export, apply to another etcd, diff, and a second apply that writes nothing', async () => {
    const prefix = randomPrefix();
    const f = fixture('v2-plugin-greeter');
    await seedV2(a.endpoint, [{ key: `${prefix}${f.key.split('/').slice(2).join('/')}`, value: f.bytes }]);
    const snap = await runCli(['--endpoints', a.endpoint, '--layout', 'v2', '--prefix', prefix, 'export', '-o', 'yaml']);
    expect(snap.code).toBe(0);
    expect(snap.stdout).toMatch(/^format: micro-reg\/snapshot\/v1\nv2Index: \d+\nlayouts:\n {2}- v2\n/);
    const path = file('v2.yaml', snap.stdout);
    const base = ['--endpoints', b.endpoint, '--layout', 'v2', '--prefix', prefix];
    expect(JSON.parse((await runCli([...base, 'apply', '-f', path, '-o', 'json'])).stdout).created).toHaveLength(1);
    const key = `${prefix}${f.key.split('/').slice(2).join('/')}`;
    const stored = await v2Raw(b.endpoint, 'GET', key);
    expect((stored.body.node as { value: string }).value).toBe(f.bytes);
    expect((stored.body.node as { ttl?: number }).ttl).toBeUndefined();
    expect((await runCli([...base, 'diff', '-f', path])).code).toBe(0);
    const index = (await v2Raw(b.endpoint, 'GET', key)).etcdIndex;
    expect(JSON.parse((await runCli([...base, 'apply', '-f', path, '-o', 'json'])).stdout).unchanged).toEqual([key]);
    expect((await v2Raw(b.endpoint, 'GET', key)).etcdIndex).toBe(index);
  });
});
