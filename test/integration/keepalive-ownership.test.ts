// `register --keepalive` owns its keys while it runs: a key deleted or overwritten by someone else is
// written back (and said so), a second keepalive on the same id is refused, and at exit only keys still
// at our mod revision are deleted, and named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdClient, randomPrefix, runCli } from '../helpers/cli.js';
import { type EtcdServer, startEtcd } from '../helpers/etcd.js';
import { killAll, runBin, spawnCli } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';
import { EtcdClient } from '../../src/registry/v3/client.js';
import { V3Store } from '../../src/registry/v3/store.js';
import { encodeRecords, serviceFromInput } from '../../src/registry/records.js';
import { keySpace } from '../../src/registry/keys.js';

describe('register --keepalive owns its key', () => {
  let etcd: EtcdServer;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    killAll();
    await etcd.stop();
  });

  const keepalive = (prefix: string, id: string, extra: string[] = []) =>
    spawnCli(['--endpoints', etcd.endpoint, '--prefix', prefix, 'register', '--name', 'own', '--address', '10.0.0.1:80', '--id', id, '--ttl', '30', '--keepalive', ...extra]);

  it("writes its key back after an operator's deregister, says why, and at exit removes it", async () => {
    const prefix = randomPrefix();
    const key = `${prefix}own/own-1`;
    const reg = keepalive(prefix, 'own-1');
    const client = etcdClient(etcd.endpoint);
    try {
      await reg.waitForStderr(/keeping lease/);
      const lease = (await client.rangePrefix(key)).kvs[0]!.lease;
      const dereg = await runBin(['--endpoints', etcd.endpoint, '--prefix', prefix, 'deregister', 'own', '--node', 'own-1', '--yes']);
      expect(dereg.code).toBe(0);
      // Back on the same lease, well within one renewal interval (10 s): the watch saw the delete.
      await waitFor(async () => (await client.rangePrefix(key)).kvs[0]?.lease === lease, 5_000, 'the key written back');
      await reg.waitForStderr(new RegExp(`${key} was deleted while lease [0-9a-f]+ lives: written back`));
      expect((await runCli(['--endpoints', etcd.endpoint, '--prefix', prefix, 'get', 'own'])).code).toBe(0);
      reg.signal('SIGTERM');
      expect((await reg.exited()).code).toBe(0);
      expect(reg.stderr()).toMatch(new RegExp(`deregistered ${key}; lease [0-9a-f]+ revoked`));
      expect((await client.rangePrefix(key)).kvs).toHaveLength(0);
    } finally {
      client.close();
    }
  });

  it('writes its key back when another writer replaced it, and a second keepalive on the id is refused', async () => {
    const prefix = randomPrefix();
    const key = `${prefix}own/own-2`;
    const reg = keepalive(prefix, 'own-2');
    const client = etcdClient(etcd.endpoint);
    try {
      await reg.waitForStderr(/keeping lease/);
      const lease = (await client.rangePrefix(key)).kvs[0]!.lease;

      // A second keepalive on the same id: refused before it writes anything, exit 11.
      const second = await runBin(['--endpoints', etcd.endpoint, '--prefix', prefix, 'register', '--name', 'own', '--address', '10.0.0.9:80', '--id', 'own-2', '--ttl', '30', '--keepalive']);
      expect(second.code).toBe(11);
      expect(second.stderr).toMatch(/^error: node own-2 of own is held by another lease \([0-9a-f]+, \d+s left\)/);
      expect(second.stderr).toMatch(/\nhint: stop that process first/);
      expect((await client.rangePrefix(key)).kvs[0]!.lease).toBe(lease);

      // A one-shot register of the same id (another address, on a lease of its own) replaces the key.
      const other = await runBin(['--endpoints', etcd.endpoint, '--prefix', prefix, 'register', '--name', 'own', '--address', '10.0.0.9:80', '--id', 'own-2', '--ttl', '30']);
      expect(other.code).toBe(0);
      await waitFor(async () => {
        const kv = (await client.rangePrefix(key)).kvs[0];
        return kv?.lease === lease && kv.value.toString().includes('10.0.0.1:80');
      }, 5_000, 'our record written back on our lease');
      await reg.waitForStderr(new RegExp(`${key} was replaced by another writer \\(on lease [0-9a-f]+\\): written back`));

      reg.signal('SIGTERM');
      expect((await reg.exited()).code).toBe(0);
      expect((await client.rangePrefix(key)).kvs).toHaveLength(0);
    } finally {
      client.close();
    }
  });

  it('at removal deletes only keys still at its own mod revision, and reports the others as kept', async () => {
    const prefix = randomPrefix();
    const client = new EtcdClient({ endpoints: [etcd.endpoint], tls: false, insecureSkipVerify: false, timeoutMs: 5000 });
    try {
      const space = keySpace('micro', prefix);
      const records = encodeRecords(space, serviceFromInput({ name: 'own', address: '10.0.0.1:80', id: 'own-3', meta: {}, endpoints: [] }, 'micro'));
      const more = encodeRecords(space, serviceFromInput({ name: 'own', address: '10.0.0.1:81', id: 'own-4', meta: {}, endpoints: [] }, 'micro'));
      const store = new V3Store(client);
      const written = await store.write([...records, ...more], 30);
      // Another writer puts the same value again on our lease: the mod revision is no longer ours.
      await client.put(records[0]!.key, records[0]!.value, written.lease);
      const report = await store.remove(written);
      expect(report.removed).toEqual([more[0]!.key]);
      expect(report.kept).toEqual([{ key: records[0]!.key, reason: 'changed' }]);
    } finally {
      client.close();
    }
  });
});
