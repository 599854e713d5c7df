// `register --keepalive` as a real process (the built bin/micro-reg) against an etcd of its own, which
// the test stops and starts again on the same data dir.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdClient, randomPrefix } from '../helpers/cli.js';
import { type EtcdServer, startEtcd } from '../helpers/etcd.js';
import { killAll, spawnCli } from '../helpers/process.js';
import { elapse, waitFor } from '../helpers/wait.js';

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
      const started = Date.now();
      await waitFor(async () => {
        const { kvs } = await client.rangePrefix(key);
        if (kvs.length !== 1 || kvs[0]!.lease !== lease) throw new Error('record missing or on another lease');
        return Date.now() - started > 5_000;
      }, 8_000, 'the record to outlive its TTL');

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

  it('survives an etcd outage longer than twice the TTL: the record is back within 3s of the restart', async () => {
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
      await waitFor(async () => (await client.rangePrefix(key)).kvs.length === 1, 3_000, 'the record to be back');
      expect(Date.now() - restarted).toBeLessThan(3_000);
      await waitFor(() => /etcd answers again/.test(reg.stderr()), 5_000, 'the reconnect to be reported');
      // And it is kept alive from then on: present and on a live lease for more than twice the TTL.
      const since = Date.now();
      await waitFor(async () => {
        const { kvs } = await client.rangePrefix(key);
        if (kvs.length !== 1 || (await client.leaseTtl(kvs[0]!.lease!)) <= 0) throw new Error('record or lease gone');
        return Date.now() - since > 2 * ttl * 1000 + 500;
      }, 10_000, 'the record to stay alive after the restart');
      reg.signal('SIGINT');
      expect((await reg.exited()).code).toBe(0);
      expect((await client.rangePrefix(key)).kvs).toHaveLength(0);
    } finally {
      client.close();
    }
  });
});
