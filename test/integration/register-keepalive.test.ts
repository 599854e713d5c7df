// `register --keepalive` as a real process (the built bin/micro-reg) against an etcd of its own, which
// the test stops and starts again on the same data dir.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtcdClient } from '../../src/registry/v3/client.js';
import { etcdClient, randomPrefix } from '../helpers/cli.js';
import { type EtcdServer, startEtcd } from '../helpers/etcd.js';
import { killAll, spawnCli } from '../helpers/process.js';
import { elapse, waitFor } from '../helpers/wait.js';

/**
 * Reads `key` every 100 ms for `forMs` and records what each read saw: "present the whole time" is
 * checked at every read, not only at the last one, and so is the lease the record is on. Bounded in
 * time and in reads.
 */
async function observe(client: EtcdClient, key: string, forMs: number): Promise<{ reads: number; missing: number; leases: Set<string>; deadLeases: number }> {
  const seen = { reads: 0, missing: 0, leases: new Set<string>(), deadLeases: 0 };
  const until = Date.now() + forMs;
  for (let i = 0; i < Math.ceil(forMs / 100) + 1 && Date.now() < until; i++) {
    const { kvs } = await client.rangePrefix(key);
    seen.reads++;
    if (kvs.length !== 1 || kvs[0]!.key !== key) seen.missing++;
    else {
      seen.leases.add(kvs[0]!.lease!);
      if ((await client.leaseTtl(kvs[0]!.lease!)) <= 0) seen.deadLeases++;
    }
    await elapse(100);
  }
  return seen;
}

describe('register --keepalive', () => {
  let etcd: EtcdServer;
  const clientFor = (server: EtcdServer) => etcdClient(server.endpoint, 2000);

  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    killAll();
    await etcd.stop();
  });

  it('renews the lease, re-registers after the lease is revoked, and SIGTERM deletes the record and revokes the lease', async () => {
    const prefix = randomPrefix();
    const key = `${prefix}ka/ka-1`;
    const reg = spawnCli(['--endpoints', etcd.endpoint, '--prefix', prefix, 'register', '--name', 'ka', '--address', '10.0.0.1:80', '--id', 'ka-1', '--ttl', '2', '--keepalive', '-o', 'json']);
    const client = clientFor(etcd);
    try {
      const first = await waitFor(() => reg.lines()[0], 10_000, 'the registration line');
      const lease = BigInt(`0x${JSON.parse(first).lease}`).toString();
      // Alive well past its TTL of 2s: it is being renewed.
      await waitFor(async () => (await client.leaseTtl(lease)) > 0 && reg.stderr().includes('keeping lease'), 5_000, 'keepalive to start');
      // Present at every read for 3 TTLs, always on the first lease, which stays alive: renewed, not
      // replaced by a fresh registration after each expiry.
      const alive = await observe(client, key, 6_000);
      expect(alive.reads).toBeGreaterThan(10);
      expect(alive).toMatchObject({ missing: 0, deadLeases: 0 });
      expect([...alive.leases]).toEqual([lease]);
      expect(reg.lines()).toHaveLength(1);

      // Someone revokes the lease (the record goes with it): it is written again on a new lease.
      await client.revoke(lease);
      const second = await waitFor(() => reg.lines()[1], 5_000, 'a second registration line');
      const newLease = BigInt(`0x${JSON.parse(second).lease}`).toString();
      expect(newLease).not.toBe(lease);
      await waitFor(async () => (await client.rangePrefix(key)).kvs[0]?.lease === newLease, 3_000, 'the record on the new lease');
      expect(reg.stderr()).toMatch(/lease lost .*registering again/);

      reg.signal('SIGTERM');
      expect((await reg.exited()).code).toBe(0);
      expect((await client.rangePrefix(key)).kvs).toHaveLength(0);
      expect(await client.leaseTtl(newLease)).toBe(-1);
      expect(reg.stderr()).toMatch(/SIGTERM: deregistering/);
    } finally {
      client.close();
    }
  });

  it('survives an etcd outage longer than twice the TTL: the record is back within seconds of the restart, then kept on one lease', async () => {
    const prefix = randomPrefix();
    const key = `${prefix}outage/outage-1`;
    const ttl = 2;
    const reg = spawnCli(['--endpoints', etcd.endpoint, '--prefix', prefix, '--timeout', '1s', 'register', '--name', 'outage', '--address', '10.0.0.2:80', '--id', 'outage-1', '--ttl', String(ttl), '--keepalive']);
    let client = clientFor(etcd);
    await waitFor(async () => (await client.rangePrefix(key)).kvs.length === 1 && reg.stderr().includes('keeping lease'), 10_000, 'the registration');
    client.close();

    await etcd.kill();
    await waitFor(() => /etcd does not answer/.test(reg.stderr()), 10_000, 'the outage to be reported');
    // The outage itself is the condition under test: etcd stays down for more than twice the TTL.
    await elapse(2 * ttl * 1000 + 500);
    expect(reg.child.exitCode).toBeNull();
    etcd = await etcd.restart();
    const restarted = Date.now();
    client = clientFor(etcd);
    try {
      await waitFor(async () => (await client.rangePrefix(key)).kvs.length === 1, 15_000, 'the record to be back');
      // The time is the behaviour: keepalive retries every second with --timeout 1s, so the record is back
      // within about 2 s. 8 s leaves room for a loaded machine and still fails a keepalive that waited
      // for etcd3's own reconnect backoff (up to 30 s) or gave up.
      expect(Date.now() - restarted).toBeLessThan(8_000);
      await waitFor(() => /etcd answers again/.test(reg.stderr()), 5_000, 'the reconnect to be reported');
      // And it is kept alive from then on: present at every read for three TTLs, on one live lease.
      const after = await observe(client, key, 3 * ttl * 1000);
      expect(after.reads).toBeGreaterThan(10);
      expect(after).toMatchObject({ missing: 0, deadLeases: 0 });
      expect(after.leases.size).toBe(1);
      reg.signal('SIGINT');
      expect((await reg.exited()).code).toBe(0);
      expect((await client.rangePrefix(key)).kvs).toHaveLength(0);
    } finally {
      client.close();
    }
  });
});
