// Writes fail over like reads: with a silent member given first (a loopback forwarder to the etcd that
// the test freezes with SIGSTOP), `register` and `register --keepalive` go on through the next member.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdClient, randomPrefix } from '../helpers/cli.js';
import { type EtcdServer, startEtcd } from '../helpers/etcd.js';
import { killAll, runBin, spawnCli } from '../helpers/process.js';
import { type Proxy, startProxy } from '../helpers/proxy.js';
import { waitFor } from '../helpers/wait.js';

describe('writes with a frozen member first', () => {
  let etcd: EtcdServer;
  let proxy: Proxy;

  beforeAll(async () => {
    etcd = await startEtcd();
    proxy = await startProxy(etcd.endpoint);
  });
  afterAll(async () => {
    killAll();
    await proxy.stop();
    await etcd.stop();
  });

  it('plain register answers through the second member, within --timeout, and the record is there', async () => {
    const prefix = randomPrefix();
    proxy.freeze();
    try {
      const started = Date.now();
      const r = await runBin(['--endpoints', `${proxy.endpoint},${etcd.endpoint}`, '--timeout', '2s', '--prefix', prefix, 'register', '--name', 'fo', '--address', '10.0.0.1:80', '--id', 'fo-1', '--ttl', '30', '-o', 'json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      // The write went on after the frozen member's share of the deadline, not after the whole of it.
      expect(Date.now() - started).toBeLessThan(6_000);
      const client = etcdClient(etcd.endpoint);
      try {
        const { kvs } = await client.rangePrefix(`${prefix}fo/`);
        expect(kvs.map((kv) => kv.key)).toEqual([`${prefix}fo/fo-1`]);
        expect(kvs[0]!.lease).toBe(BigInt(`0x${JSON.parse(r.stdout).lease}`).toString());
      } finally {
        client.close();
      }
    } finally {
      proxy.thaw();
    }
  });

  it('register --keepalive keeps the record through a member that freezes while it is the preferred one', async () => {
    const prefix = randomPrefix();
    const key = `${prefix}ka/ka-1`;
    // The forwarder is given first and answers: it becomes the member the keepalive uses.
    const reg = spawnCli(['--endpoints', `${proxy.endpoint},${etcd.endpoint}`, '--timeout', '2s', '--prefix', prefix, 'register', '--name', 'ka', '--address', '10.0.0.2:80', '--id', 'ka-1', '--ttl', '6', '--keepalive']);
    const client = etcdClient(etcd.endpoint);
    try {
      await reg.waitForStderr(/keeping lease/);
      const lease = (await client.rangePrefix(key)).kvs[0]!.lease;
      proxy.freeze();
      // For 2 TTLs the record is there every time we look, on the same lease: renewals moved to the
      // second member before the lease could run out. (Renewals come every TTL/3 = 2 s; the one that meets
      // the frozen member waits its 1 s share of --timeout, then goes on: ~3 s to spare on a 6 s lease, so
      // a loaded machine does not fail it, while a keepalive stuck on the frozen member loses the lease
      // within the window.)
      const until = Date.now() + 12_000;
      let looks = 0;
      while (Date.now() < until) {
        const { kvs } = await client.rangePrefix(key);
        expect(kvs.map((kv) => kv.lease), `look ${looks} at ${until - Date.now()} ms before the end; stderr: ${reg.stderr()}`).toEqual([lease]);
        looks++;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(reg.stderr()).not.toMatch(/lease lost|does not answer/);
      reg.signal('SIGTERM');
      expect((await reg.exited(10_000)).code).toBe(0);
      expect((await client.rangePrefix(key)).kvs).toHaveLength(0);
      expect(await client.leaseTtl(lease!)).toBe(-1);
    } finally {
      proxy.thaw();
      client.close();
    }
  });

  it('a write no member confirmed is never reported as done: exit 4 within the deadline, nothing on stdout', async () => {
    const prefix = randomPrefix();
    const second = await startProxy(etcd.endpoint);
    proxy.freeze();
    second.freeze();
    try {
      const started = Date.now();
      const r = await runBin(['--endpoints', `${proxy.endpoint},${second.endpoint}`, '--timeout', '1s', '--prefix', prefix, 'register', '--name', 'si', '--address', '10.0.0.3:80', '--ttl', '30']);
      expect(r.code).toBe(4);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: .*etcd/);
      expect(r.stderr).not.toMatch(/registered/);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      proxy.thaw();
      await second.stop();
    }
  });
});
