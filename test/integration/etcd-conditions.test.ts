// Ordinary etcd conditions get their exit code and one line, never "this is a bug": a full etcd (quota
// alarm), a compaction between the pages of a read, etcd's operation limit per transaction, a v2 plain
// key where a directory belongs, and --password-stdin with a command that also reads stdin.
import { writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdClient, randomPrefix, runCli } from '../helpers/cli.js';
import { type EtcdServer, etcdctl, startEtcd } from '../helpers/etcd.js';
import { fixture } from '../helpers/fixtures.js';
import { killAll, runBin, spawnCli } from '../helpers/process.js';
import { v2Raw } from '../helpers/v2.js';
import { waitFor } from '../helpers/wait.js';

/** A go-micro Service (the v6 fixture) with `n` nodes, as `register --file` takes it. */
function serviceWithNodes(n: number): string {
  const value = fixture('micro-v6-greeter').value as { nodes: { id: string; address: string }[] };
  const node = value.nodes[0]!;
  return JSON.stringify({ ...value, nodes: Array.from({ length: n }, (_, i) => ({ ...node, id: `${node.id}-${i}`, address: `10.1.${i >> 8}.${i & 255}:8080` })) });
}

describe('etcd conditions', () => {
  let etcd: EtcdServer;
  let smallTxn: EtcdServer;
  let dir: string;

  beforeAll(async () => {
    [etcd, smallTxn] = await Promise.all([startEtcd({ enableV2: true }), startEtcd({ extraArgs: ['--max-txn-ops', '16'] })]);
    dir = mkdtempSync(join(tmpdir(), 'micro-reg-conditions-'));
  });
  afterAll(async () => {
    killAll();
    await Promise.all([etcd.stop(), smallTxn.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  for (const [title, server] of [
    ['etcd defaults (--max-txn-ops 128)', () => etcd],
    ['an etcd with --max-txn-ops 16', () => smallTxn],
  ] as const) {
    it(`${title}: a 200-node file registers every node on one lease; deregister --all removes every one`, async () => {
      const prefix = randomPrefix();
      const file = join(dir, `svc-${prefix.slice(6, -1)}.json`);
      writeFileSync(file, serviceWithNodes(200));
      const base = ['--endpoints', server().endpoint, '--prefix', prefix];
      const reg = await runCli([...base, 'register', '--file', file, '--ttl', '60', '-o', 'json']);
      expect(reg.stderr).toBe('');
      expect(reg.code).toBe(0);
      const client = etcdClient(server().endpoint);
      try {
        const { kvs } = await client.rangePrefix(prefix);
        expect(kvs).toHaveLength(200);
        expect(new Set(kvs.map((kv) => kv.lease)).size).toBe(1);
        const dereg = await runCli([...base, 'deregister', 'go.micro.srv.greeter', '--all', '--yes']);
        expect(dereg.code).toBe(0);
        expect((await client.rangePrefix(prefix)).kvs).toHaveLength(0);
      } finally {
        client.close();
      }
    });
  }

  it('a compaction between the pages of a read: the read starts again at a new revision, every record comes back', async () => {
    const prefix = randomPrefix();
    const client = etcdClient(etcd.endpoint, 10_000);
    const compactor = etcdClient(etcd.endpoint, 10_000);
    let compacting = true;
    let compactions = 0;
    try {
      const value = fixture('micro-v6-greeter').value as { nodes: { id: string }[] };
      // 3,000 nodes of one service: more than the first page of 1,000 keys.
      const entries = Array.from({ length: 3000 }, (_, i) => {
        const node = { ...value.nodes[0]!, id: `n-${i}` };
        return { key: `${prefix}go.micro.srv.greeter/n-${i}`, value: JSON.stringify({ ...value, nodes: [node] }) };
      });
      for (let i = 0; i < entries.length; i += 500) await client.putAll(entries.slice(i, i + 500));
      // etcd compacts past the read's revision as soon as the first page has arrived. The request for the
      // next page was made just before, but is only sent once this tick ends (the client awaits before it
      // writes), and etcdctl runs synchronously: so that request always finds its revision compacted.
      let restarts = 0;
      let keys = 0;
      let compactedOnce = false;
      await client.rangePrefix(`${prefix}go.micro.srv.greeter/`, {
        onPage: (kvs) => {
          keys += kvs.length;
          if (compactedOnce) return;
          compactedOnce = true;
          const put = JSON.parse(etcdctl(etcd, ['put', `${prefix}churn`, 'x', '-w', 'json'])) as { header: { revision: number } };
          etcdctl(etcd, ['compact', String(put.header.revision)]);
        },
        onRestart: () => {
          restarts++;
          keys = 0;
        },
      });
      expect(restarts).toBe(1);
      expect(keys).toBe(3000);
      // etcd compacts to its newest revision, again and again, while the commands read.
      const loop = (async () => {
        while (compacting) {
          const { revision } = await compactor.put(`${prefix}churn`, String(compactions));
          await compactor.etcd.kv.compact({ revision });
          compactions++;
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      // The command: exit 0 and every node, however often etcd compacts.
      for (let run = 0; run < 3; run++) {
        const r = await runCli(['--endpoints', etcd.endpoint, '--prefix', prefix, 'get', 'go.micro.srv.greeter', '-o', 'json']);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect((JSON.parse(r.stdout) as { nodes: unknown[] }[]).flatMap((s) => s.nodes)).toHaveLength(3000);
      }
      compacting = false;
      await loop;
    } finally {
      compacting = false;
      client.close();
      compactor.close();
    }
  });

  it('v2: a plain key where a directory belongs is exit 2 naming the key', async () => {
    const prefix = randomPrefix();
    // The prefix's own segment holds a value: nothing can be created below it.
    const plain = prefix.slice(0, -1);
    const set = await v2Raw(etcd.endpoint, 'PUT', plain, { form: { value: 'not a directory' } });
    expect(set.status).toBe(201);
    const r = await runBin(['--endpoints', etcd.endpoint, '--layout', 'v2', '--prefix', prefix, 'register', '--name', 'go.micro.srv.greeter', '--address', '10.0.0.1:80', '--ttl', '30']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: ${plain} is a plain key, not a directory`));
    expect(r.stderr).not.toMatch(/bug/);
  });

  it('--password-stdin with register --file -: exit 2 with a message, not 13', async () => {
    const r = await runBin(['--endpoints', etcd.endpoint, '--user', 'rw', '--password-stdin', 'register', '--file', '-'], { input: 'pw\n' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --password-stdin and --file - both read standard input\nhint: /);
  });
});

describe('an etcd out of space (--quota-backend-bytes)', () => {
  let etcd: EtcdServer;
  beforeAll(async () => {
    etcd = await startEtcd({ extraArgs: ['--quota-backend-bytes', String(4 * 1024 * 1024)] });
  });
  afterAll(async () => {
    killAll();
    await etcd.stop();
  });

  it('register: exit 4 with a hint; a running keepalive keeps retrying and writes again once space is freed', async () => {
    const prefix = randomPrefix();
    const key = `${prefix}quota/quota-1`;
    const reg = spawnCli(['--endpoints', etcd.endpoint, '--prefix', prefix, '--timeout', '2s', 'register', '--name', 'quota', '--address', '10.0.0.1:80', '--id', 'quota-1', '--ttl', '2', '--keepalive']);
    const client = etcdClient(etcd.endpoint);
    try {
      await reg.waitForStderr(/keeping lease/);
      // Fill etcd until it raises its NOSPACE alarm.
      const filler = 'x'.repeat(256 * 1024);
      let full = false;
      for (let i = 0; i < 200 && !full; i++) {
        try {
          await client.put(`${prefix}filler/${i}`, filler);
        } catch (e) {
          full = /space exceeded/.test((e as Error).message);
          if (!full) throw e;
        }
      }
      expect(full).toBe(true);

      const r = await runBin(['--endpoints', etcd.endpoint, '--prefix', prefix, 'register', '--name', 'quota', '--address', '10.0.0.2:80', '--ttl', '30']);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(/^error: etcd at .* is out of space \(mvcc: database space exceeded\) and refuses writes\nhint: .*compact.*defrag.*alarm disarm/);

      // The keepalive's lease goes: writing again is refused while etcd is full, and it keeps trying.
      const lease = (await client.rangePrefix(key)).kvs[0]!.lease;
      await client.revoke(lease!);
      await reg.waitForStderr(/lease lost/);
      await reg.waitForStderr(/out of space .*; retrying every second/);
      expect(reg.child.exitCode).toBe(null);

      // An operator frees space: the record is back on a new lease.
      await client.etcd.kv.deleteRange({ key: Buffer.from(`${prefix}filler/`), range_end: Buffer.from(`${prefix}filler0`) });
      const { revision } = (await client.rangePrefix(`${prefix}none/`));
      await client.etcd.kv.compact({ revision });
      etcdctl(etcd, ['defrag']);
      etcdctl(etcd, ['alarm', 'disarm']);
      await waitFor(async () => (await client.rangePrefix(key)).kvs.length === 1, 10_000, 'the record written again');
      reg.signal('SIGTERM');
      expect((await reg.exited()).code).toBe(0);
      expect((await client.rangePrefix(key)).kvs).toHaveLength(0);
    } finally {
      client.close();
    }
  });
});
