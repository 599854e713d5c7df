// Writes under faults and hostile input, against etcds of this file's own: `deregister` interrupted
// between its read and its delete (etcd frozen or killed while the confirmation is open on a real
// terminal), `watch` across a freeze of etcd, and hostile names, ids and domains through `register`
// (flags and --file) and `deregister`, checked against a raw read of the whole keyspace.
// `register --keepalive` across an outage longer than its TTL: test/integration/register-keepalive.test.ts.
// `watch` across a kill and restart: test/integration/watch.test.ts; across a cluster member's death:
// test/integration/cluster.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type EtcdServer, etcdctl, startEtcd } from '../helpers/etcd.js';
import { hostileSegments, isKeyable, segmentOf } from '../helpers/fuzz.js';
import { killAll } from '../helpers/process.js';
import { TmuxSession } from '../helpers/tmux.js';
import { v2Raw } from '../helpers/v2.js';
import { elapse, loadMarginMs, waitFor } from '../helpers/wait.js';
import { summary, waitForEvents, watchJson } from '../helpers/watch.js';

let etcd: EtcdServer;
beforeAll(async () => {
  etcd = await startEtcd({ enableV2: true });
});
afterAll(async () => {
  killAll();
  try {
    etcd.thaw();
  } catch {
    // not running
  }
  await etcd.stop();
});

/** Every v3 key with its value and mod revision, as etcdctl prints them: what a write outside its prefix would change. */
function v3Keyspace(): Map<string, string> {
  const out = JSON.parse(etcdctl(etcd, ['get', '', '--from-key', '-w', 'json'])) as { kvs?: { key: string; value: string; mod_revision: number }[] };
  return new Map((out.kvs ?? []).map((kv) => [Buffer.from(kv.key, 'base64').toString('utf8'), `${kv.mod_revision} ${kv.value}`]));
}

/** Every v2 key (directories too) with its modifiedIndex. */
async function v2Keyspace(): Promise<Map<string, string>> {
  const answer = await v2Raw(etcd.endpoint, 'GET', '/', { query: { recursive: 'true' } });
  const out = new Map<string, string>();
  type V2Node = { key?: string; dir?: boolean; modifiedIndex?: number; value?: string; nodes?: V2Node[] };
  const walk = (n: V2Node): void => {
    if (n.key !== undefined) out.set(`${n.key}${n.dir ? '/' : ''}`, `${n.modifiedIndex} ${n.value ?? ''}`);
    for (const c of n.nodes ?? []) walk(c);
  };
  walk(answer.body.node as V2Node);
  return out;
}

async function keyspace(): Promise<Map<string, string>> {
  const all = new Map<string, string>();
  for (const [k, v] of v3Keyspace()) all.set(`v3 ${k}`, v);
  for (const [k, v] of await v2Keyspace()) all.set(`v2 ${k}`, v);
  return all;
}

describe('deregister interrupted between its read and its delete never reports a delete it has not seen done', () => {
  afterEach(() => {
    try {
      etcd.thaw();
    } catch {
      // not running
    }
  });

  const outcomes: string[] = [];
  const cases: { layout: string; fault: 'frozen' | 'killed' }[] = [
    { layout: 'micro', fault: 'frozen' },
    { layout: 'micro', fault: 'killed' },
    { layout: 'v2', fault: 'frozen' },
  ];
  for (const { layout, fault } of cases) {
    it(`${layout}: etcd ${fault} while the confirmation is open: exit 4 "not confirmed", never "removed"; no other record touched`, async () => {
      const prefix = `/interrupted-${layout}-${fault}/`;
      const base = ['--endpoints', etcd.endpoint, '--layout', layout, '--prefix', prefix];
      for (const id of ['n-1', 'n-2']) {
        // --ttl 0: the records outlive the outage, so only a delete could take them away.
        const r = await runCli([...base, 'register', '--name', 'svc', '--address', '127.0.0.1:1', '--id', id, '--ttl', '0']);
        expect(r.code, r.stderr).toBe(0);
      }
      const before = await keyspace();
      const session = new TmuxSession([...base, '--timeout', '1s', 'deregister', 'svc', '--node', 'n-1']);
      try {
        // The read is done: the node is shown and the confirmation waits for an answer.
        await session.waitForScreen(/Deregister 1 node of svc\?/);
        if (fault === 'frozen') etcd.freeze();
        else await etcd.kill();
        const answered = Date.now();
        session.keys('y', 'Enter');
        expect(await session.exitCode(10_000)).toBe(4);
        // One deadline (1 s) for the delete, plus the bin's exit, plus the margin for a loaded machine.
        expect(Date.now() - answered).toBeLessThan(3000 + loadMarginMs);
        const screen = session.screen().replace(/\n/g, '');
        expect(screen).toMatch(/error: the removal was not confirmed: .*(cannot reach etcd|did not answer)/);
        expect(screen).toMatch(/hint: etcd may still carry out a delete it received; run micro-reg get svc/);
        expect(screen).not.toMatch(/removed \d+ node/);
      } finally {
        session.close();
      }
      if (fault === 'frozen') etcd.thaw();
      else etcd = await etcd.restart();
      const chosen = [...before.keys()].find((k) => k.endsWith(`${prefix}svc/n-1`))!;
      const unchanged = (m: Map<string, string>): Map<string, string> => new Map([...m].filter(([k]) => k !== chosen));
      // Either state is right for a frozen etcd (below); read until it is one of them.
      const after = await waitFor(async () => {
        const now = await keyspace();
        return isDeepStrictEqual(unchanged(now), unchanged(before)) ? now : undefined;
      }, 10_000, 'the keyspace to settle');
      outcomes.push(`${layout} ${fault}: n-1 ${after.has(chosen) ? 'kept' : 'deleted after etcd resumed'}`);
      // A killed etcd never got the delete. A frozen one had it in its socket: when it resumes it may
      // carry it out (v2 always does: an HTTP request cannot be withdrawn). Either way only the node
      // that was confirmed, and nothing else.
      if (fault === 'killed') expect(after).toEqual(before);
      else expect(unchanged(after)).toEqual(unchanged(before));
      if (after.has(chosen)) expect(after.get(chosen)).toBe(before.get(chosen));
    });
  }

  afterAll(() => console.info(`deregister interrupted: ${outcomes.join('; ')}`));
});

describe('watch across a freeze of etcd (SIGSTOP, then SIGCONT)', () => {
  it('goes on after a freeze longer than --timeout, every event reported once', async () => {
    const prefix = '/watch-freeze/';
    const base = ['--endpoints', etcd.endpoint, '--layout', 'micro', '--prefix', prefix];
    const p = await watchJson([...base, '--timeout', '1s']);
    const put = async (id: string): Promise<void> => {
      const r = await runCli([...base, 'register', '--name', 'svc', '--address', '127.0.0.1:1', '--id', id, '--ttl', '0']);
      expect(r.code, r.stderr).toBe(0);
    };
    for (const id of ['f-1', 'f-2', 'f-3']) await put(id);
    await waitForEvents(p, 3);
    etcd.freeze();
    try {
      // The outage itself is what is tested: three deadlines long.
      await elapse(3000);
    } finally {
      etcd.thaw();
    }
    for (const id of ['f-4', 'f-5']) await put(id);
    expect((await runCli([...base, 'deregister', 'svc', '--node', 'f-1', '--yes'])).code).toBe(0);
    const got = await waitForEvents(p, 6, 15_000);
    expect(summary(got)).toEqual(['create f-1', 'create f-2', 'create f-3', 'create f-4', 'create f-5', 'delete f-1 deregistered']);
    // Nothing doubled: one more write gives exactly one more line.
    await put('f-6');
    expect(summary(await waitForEvents(p, 7))).toEqual([...summary(got), 'create f-6']);
    expect(p.lines()).toHaveLength(7);
    p.signal('SIGTERM');
    expect((await p.exited()).code).toBe(0);
  });
});

describe('watch over a connection that goes silently dead (etcd frozen past gRPC keepalive)', () => {
  it('notices within ~15 s, says reconnecting…, and resumes after the thaw with every event once', async () => {
    const prefix = '/watch-dead/';
    const base = ['--endpoints', etcd.endpoint, '--layout', 'micro', '--prefix', prefix];
    const p = await watchJson(base);
    const put = async (id: string): Promise<void> => {
      const r = await runCli([...base, 'register', '--name', 'svc', '--address', '127.0.0.1:1', '--id', id, '--ttl', '0']);
      expect(r.code, r.stderr).toBe(0);
    };
    await put('d-1');
    await waitForEvents(p, 1);
    const frozenAt = Date.now();
    etcd.freeze();
    try {
      // No TCP reset comes from a frozen process: only the keepalive (ping every 10 s, 5 s to answer) can tell.
      await p.waitForStderr(/reconnecting…/, 20_000);
      expect(Date.now() - frozenAt).toBeLessThan(17_000);
    } finally {
      etcd.thaw();
    }
    await p.waitForStderr(/resumed at revision \d+/, 10_000);
    await put('d-2');
    expect(summary(await waitForEvents(p, 2))).toEqual(['create d-1', 'create d-2']);
    await put('d-3');
    expect(summary(await waitForEvents(p, 3))).toEqual(['create d-1', 'create d-2', 'create d-3']);
    expect(p.lines()).toHaveLength(3);
    p.signal('SIGTERM');
    expect((await p.exited()).code).toBe(0);
  }, 60_000);
});

describe('hostile names, ids and domains never write or delete outside the layout prefix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'micro-reg-hostile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const keyable = hostileSegments.filter(isKeyable);

  it(`register (flags and --file) and deregister with ${hostileSegments.length} hostile strings in every layout; a raw read of the whole keyspace before and after`, async () => {
    // Keys just outside each prefix, where a traversal would land.
    const sentinels = ['/h/x', '/h/micro/reg', '/h/micro/reg0', '/h/micro/x', '/h/domain/x', '/h/legacy/x', '/micro/registry/x', '/micro-registry/x'];
    for (const k of sentinels) etcdctl(etcd, ['put', k, 'sentinel']);
    for (const k of ['/h/x', '/h/v2/x', '/h/v2/reg-x', '/micro-registry/x']) expect((await v2Raw(etcd.endpoint, 'PUT', k, { form: { value: 'sentinel' } })).status).toBeLessThan(300);
    const before = await keyspace();

    const runs = { register: 0, refused: 0, deregister: 0 };
    const written = new Set<string>();
    for (const layout of ['micro', 'domain', 'legacy', 'v2'] as const) {
      const prefix = `/h/${layout}/reg/`;
      const base = ['--endpoints', etcd.endpoint, '--layout', layout, '--prefix', prefix];
      const register = async (args: string[], accepted: boolean, domain = 'dom'): Promise<void> => {
        const r = await runCli([...base, ...(layout === 'domain' ? ['--domain', domain] : []), 'register', ...args, '--ttl', '0', '-o', 'json'], { stdin: '' });
        runs.register++;
        if (!accepted) {
          expect(r.code, `${layout} ${JSON.stringify(args)}: ${r.stdout}${r.stderr}`).toBe(2);
          expect(r.stderr).toMatch(/it must not be empty|can only be read|the service has no name/);
          runs.refused++;
          return;
        }
        expect(r.code, `${layout} ${JSON.stringify(args)}: ${r.stderr}`).toBe(0);
        for (const line of r.stdout.split('\n').filter(Boolean)) {
          const { key } = JSON.parse(line) as { key: string };
          expect(key.startsWith(prefix), key).toBe(true);
          written.add(key);
        }
      };
      // A service name (and a domain) must also not be blank; a node id may be.
      const nameable = (h: string): boolean => isKeyable(h) && h.trim() !== '';
      for (const h of hostileSegments) {
        await register(['--name', h, '--id', 'n-1', '--address', '127.0.0.1:1'], nameable(h));
        await register(['--name', 'svc', '--id', h, '--address', '127.0.0.1:1'], isKeyable(h));
        // --file: one service, a node per keyable hostile id.
        const file = join(dir, `${layout}-${hostileSegments.indexOf(h)}.json`);
        writeFileSync(file, JSON.stringify({ name: h, version: h, metadata: { [h]: h }, endpoints: [], nodes: keyable.map((id, i) => ({ id, address: `127.0.0.1:${i + 1}`, metadata: { [h]: h } })) }));
        await register(['--file', file], nameable(h));
        // An empty domain is the default one ("micro"), as in micro v3.
        if (layout === 'domain') await register(['--name', 'svc', '--id', 'n-1', '--address', '127.0.0.1:1'], h === '' || nameable(h), h);
      }
      // Every key written is the layout's key of its name and id, under the prefix (made here, by the
      // go-micro rule: "/" becomes "-").
      const keyOf = (name: string, id: string): string => `${prefix}${layout === 'domain' ? 'dom/' : ''}${segmentOf(name)}/${segmentOf(id)}`;
      for (const h of keyable) {
        expect(written.has(keyOf('svc', h)), h).toBe(true);
        if (nameable(h)) expect(written.has(keyOf(h, 'n-1')), h).toBe(true);
      }

      // deregister takes every hostile-named service away again, and only those keys.
      const deregister = async (name: string, domain?: string): Promise<void> => {
        const r = await runCli([...base, ...(domain !== undefined ? ['--domain', domain] : []), 'deregister', name, '--all', '--yes', '-o', 'json']);
        runs.deregister++;
        expect(r.code, `${layout} ${domain} ${name}: ${r.stderr}`).toBe(0);
      };
      for (const name of ['svc', ...keyable.filter(nameable)]) await deregister(name, layout === 'domain' ? 'dom' : undefined);
      if (layout === 'domain') for (const domain of ['micro', ...keyable.filter(nameable)]) await deregister('svc', domain);
    }
    const after = await keyspace();
    // What is left is what was there, plus the v2 layout's own prefix directory (the plugin leaves it
    // too; empty service directories are removed with their last node).
    expect([...after.keys()].filter((k) => !before.has(k))).toEqual(['v2 /h/v2/reg/']);
    after.delete('v2 /h/v2/reg/');
    expect(after).toEqual(before);
    expect(runs.register).toBeGreaterThan(200);
    console.info(`hostile writes: ${runs.register} register runs (${runs.refused} refused), ${written.size} keys written, ${runs.deregister} deregister runs; keyspace unchanged outside the prefixes`);
  });
});
