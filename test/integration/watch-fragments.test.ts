// A watch stream lost in the middle of a revision's pieces. etcd splits large watch responses into pieces
// of at most --max-request-bytes (here 64 KiB): deleting 60 records of 10 KB is one revision whose delete
// events (with the previous values) take ten pieces or so. A stalled reader makes the watch pause its
// stream part-way through that load; etcd is then killed and restarted. The watch resumes at the revision
// it was in the middle of and drops the events of it it had already delivered: every event comes once, in
// order, and stderr says that it resumed inside a revision (so the test knows it took that path).
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdClient, randomPrefix } from '../helpers/cli.js';
import { type EtcdServer, startEtcd } from '../helpers/etcd.js';
import { fixture } from '../helpers/fixtures.js';
import { killAll, spawnCli } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';

const keys = 60;
const perPut = 6;
const cycles = 25;

describe('watch across pieces of one revision', () => {
  let etcd: EtcdServer;
  beforeAll(async () => {
    etcd = await startEtcd({ extraArgs: ['--max-request-bytes', String(64 * 1024)] });
  });
  afterAll(async () => {
    killAll();
    await etcd.stop();
  });

  it('a stream lost between the pieces of a revision resumes without losing or repeating an event', async () => {
    const prefix = randomPrefix();
    const dir = `${prefix}go.micro.srv.greeter/`;
    const base = fixture('micro-v6-greeter').value as { nodes: { id: string; metadata: Record<string, string> }[] };
    const record = (key: number, seq: number): string =>
      JSON.stringify({ ...base, nodes: [{ ...base.nodes[0]!, id: `n-${key}`, metadata: { ...base.nodes[0]!.metadata, seq: String(seq), pad: 'p'.repeat(10_000) } }] });
    const watch = spawnCli(['--endpoints', etcd.endpoint, '--prefix', prefix, '--timeout', '2s', 'watch', '-o', 'json'], {}, { stallStdout: true });
    await watch.waitForStderr(/watching/);
    let client = etcdClient(etcd.endpoint);
    try {
      // Each cycle creates the 60 keys six at a time, then deletes them all in one revision.
      for (let seq = 0; seq < cycles; seq++) {
        for (let k = 0; k < keys; k += perPut) {
          await client.putAll(Array.from({ length: perPut }, (_, i) => ({ key: `${dir}n-${k + i}`, value: record(k + i, seq) })));
        }
        await client.etcd.kv.deleteRange({ key: Buffer.from(dir), range_end: Buffer.from(`${prefix}go.micro.srv.greeter0`) });
      }
      client.close();
      // The reader has not read; the watch is paused part-way. etcd goes away and comes back.
      await etcd.kill();
      etcd = await etcd.restart();
      client = etcdClient(etcd.endpoint);

      // Per key: create 0, delete 0, create 1, delete 1, …
      const seen = new Map<number, string[]>();
      let events = 0;
      const lines = createInterface({ input: watch.child.stdout! });
      lines.on('line', (line) => {
        const e = JSON.parse(line) as { action: string; key: string; service: { nodes: { metadata: { seq: string } }[] } };
        const k = Number(/n-(\d+)$/.exec(e.key)![1]);
        seen.set(k, [...(seen.get(k) ?? []), `${e.action} ${e.service.nodes[0]!.metadata.seq}`]);
        events++;
      });
      await waitFor(() => events >= 2 * keys * cycles, 60_000, `all ${2 * keys * cycles} events (have ${events})`, 100);
      await waitFor(() => /resumed at revision/.test(watch.stderr()), 30_000, 'the resume to be reported');
      const expected = Array.from({ length: cycles }, (_, seq) => [`create ${seq}`, `delete ${seq}`]).flat();
      for (let k = 0; k < keys; k++) expect(seen.get(k), `key n-${k}; ${watch.stderr().split("\\n").filter((l) => /resumed|reconnect/.test(l)).join(" / ")}`).toEqual(expected);
      expect(events).toBe(2 * keys * cycles);
      expect(watch.stderr()).toMatch(/resumed at revision \d+ \(inside revision \d+: its first \d+ events were shown\)/);
      lines.close();
      watch.signal('SIGTERM');
      expect((await watch.exited(15_000)).code).toBe(0);
    } finally {
      client.close();
    }
  }, 120_000);
});
