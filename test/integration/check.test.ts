import { type Server, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveRegistryConfig } from '../../src/settings/config.js';
import { V3Store } from '../../src/registry/v3/store.js';
import { Registry } from '../../src/registry/registry.js';
import { etcdClient, randomPrefix, runCli, seed, type SeedEntry } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { closedAddress } from '../helpers/ports.js';
import { TmuxSession } from '../helpers/tmux.js';

const endpoint = inject('etcdEndpoint');
const v6 = fixture('micro-v6-greeter');

/** The go-micro v6 fixture with another node id and address, under a test prefix. */
function nodeEntry(prefix: string, id: string, address: string, service = 'go.micro.srv.greeter'): SeedEntry {
  const value = structuredClone(v6.value) as { name: string; nodes: { id: string; address: string }[] };
  value.name = service;
  value.nodes[0]!.id = id;
  value.nodes[0]!.address = address;
  return { key: `${prefix}${service}/${id}`, value: JSON.stringify(value), ttl: 120 };
}

function listen(): Promise<{ server: Server; address: string }> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      if (typeof a === 'object' && a) resolve({ server, address: `127.0.0.1:${a.port}` });
      else reject(new Error('no address'));
    });
  });
}

async function keysUnder(prefix: string): Promise<string[]> {
  const client = etcdClient(endpoint);
  try {
    return (await client.rangePrefix(prefix, { keysOnly: true })).kvs.map((kv) => kv.key).sort();
  } finally {
    client.close();
  }
}

describe('check against a real etcd and real sockets', () => {
  let live: { server: Server; address: string };
  let deadAddress: string;

  beforeAll(async () => {
    live = await listen();
    deadAddress = await closedAddress();
  });

  afterAll(async () => {
    await new Promise((r) => live.server.close(r));
  });

  async function seeded(): Promise<{ prefix: string; args: string[] }> {
    const prefix = randomPrefix();
    await seed(endpoint, [nodeEntry(prefix, 'greeter-live', live.address), nodeEntry(prefix, 'greeter-dead', deadAddress)]);
    return { prefix, args: ['--endpoints', endpoint, '--prefix', prefix] };
  }

  it('reports the live node reachable with a latency and the closed port unreachable, exit 8', async () => {
    const { args } = await seeded();
    const r = await runCli([...args, 'check', '-o', 'json']);
    expect(r.code).toBe(8);
    const results = JSON.parse(r.stdout);
    expect(results).toHaveLength(2);
    const byId = Object.fromEntries(results.map((x: { id: string }) => [x.id, x]));
    expect(byId['greeter-live']).toMatchObject({ service: 'go.micro.srv.greeter', address: live.address, reachable: true });
    expect(byId['greeter-live'].latencyMs).toBeGreaterThanOrEqual(0);
    expect(byId['greeter-dead']).toMatchObject({ address: deadAddress, reachable: false, error: 'connection refused' });
    expect(JSON.parse(r.stderr.trim())).toMatchObject({ error: { code: 'unreachable_nodes', exitCode: 8 } });
  });

  it('prints tab-separated rows when piped, and exits 0 when every node is reachable', async () => {
    const { args } = await seeded();
    const all = await runCli([...args, 'check']);
    expect(all.code).toBe(8);
    const lines = all.stdout.trim().split('\n');
    expect(lines[0]).toBe('SERVICE\tVERSION\tNODE\tADDRESS\tSTATUS\tLATENCY/ERROR');
    expect(lines.find((l) => l.includes('greeter-dead'))).toContain('unreachable\tconnection refused');
    expect(all.stderr).toMatch(/1 of 2 nodes unreachable: greeter-dead/);

    const prefix = randomPrefix();
    await seed(endpoint, [nodeEntry(prefix, 'only-live', live.address, 'go.micro.srv.live')]);
    const ok = await runCli(['--endpoints', endpoint, '--prefix', prefix, 'check', 'go.micro.srv.live']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/only-live\t127\.0\.0\.1:\d+\treachable\t[\d.]+ms/);
  });

  it('exits 3 for an unknown service and 2 for bad options', async () => {
    const { args } = await seeded();
    const missing = await runCli([...args, 'check', 'go.micro.srv.greter']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('did you mean go.micro.srv.greeter?');
    expect((await runCli([...args, 'check', '--concurrency', '0'])).code).toBe(2);
    expect((await runCli([...args, 'check', '--connect-timeout', 'soon'])).code).toBe(2);
  });

  it('--prune without a terminal and without --yes exits 2 and deletes nothing', async () => {
    const { prefix, args } = await seeded();
    const r = await runCli([...args, 'check', '--prune']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('hint: pass --yes');
    expect(await keysUnder(prefix)).toHaveLength(2);
  });

  it('--prune --yes deregisters only the unreachable node', async () => {
    const { prefix, args } = await seeded();
    const r = await runCli([...args, 'check', '--prune', '--yes', '-o', 'json']);
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout);
    expect(results.find((x: { id: string }) => x.id === 'greeter-dead')).toMatchObject({ reachable: false, pruned: 'removed' });
    expect(results.find((x: { id: string }) => x.id === 'greeter-live').pruned).toBeUndefined();
    expect(await keysUnder(prefix)).toEqual([`${prefix}go.micro.srv.greeter/greeter-live`]);
    // A second run finds nothing left to prune.
    expect((await runCli([...args, 'check'])).code).toBe(0);
  });

  it('asks on a terminal: "y" deregisters the dead node, the default keeps it', async () => {
    const { prefix, args } = await seeded();
    const no = new TmuxSession([...args, 'check', '--prune']);
    try {
      await no.waitForScreen(/Deregister 1 unreachable node\? \(y\/N\)/);
      no.keys('Enter');
      expect(await no.exitCode()).toBe(8);
      expect(no.screen()).toContain('Nothing deregistered.');
    } finally {
      no.close();
    }
    expect(await keysUnder(prefix)).toHaveLength(2);

    const yes = new TmuxSession([...args, 'check', '--prune']);
    try {
      const screen = await yes.waitForScreen(/Deregister 1 unreachable node\?/);
      expect(screen).toMatch(/greeter-dead .*unreachable/);
      yes.keys('y', 'Enter');
      expect(await yes.exitCode()).toBe(0);
      expect(yes.screen()).toContain('deregistered go.micro.srv.greeter greeter-dead');
    } finally {
      yes.close();
    }
    expect(await keysUnder(prefix)).toEqual([`${prefix}go.micro.srv.greeter/greeter-live`]);
  });

  it('Ctrl-C at the prompt exits 130 and deletes nothing', async () => {
    const { prefix, args } = await seeded();
    const session = new TmuxSession([...args, 'check', '--prune']);
    try {
      await session.waitForScreen(/Deregister 1 unreachable node\?/);
      session.keys('C-c');
      expect(await session.exitCode()).toBe(130);
    } finally {
      session.close();
    }
    expect(await keysUnder(prefix)).toHaveLength(2);
  });

  it('pruning keeps a node that re-registered since it was read, and tells a vanished one apart', async () => {
    const prefix = randomPrefix();
    await seed(endpoint, [nodeEntry(prefix, 'a', deadAddress), nodeEntry(prefix, 'b', deadAddress), nodeEntry(prefix, 'c', deadAddress)]);
    const client = etcdClient(endpoint);
    try {
      const registry = new Registry(resolveRegistryConfig({ endpoints: endpoint, prefix }, {}), { v3: () => client });
      const { records } = await registry.read();
      expect(records).toHaveLength(3);
      // After the read: b re-registers (a new put), c is removed by someone else.
      await seed(endpoint, [nodeEntry(prefix, 'b', live.address)]);
      await client.deleteEachIf([{ key: `${prefix}go.micro.srv.greeter/c`, modRevision: records.find((r) => r.key.endsWith('/c'))!.modRevision! }]);
      const outcome = await new V3Store(client).removeIfUnchanged(records);
      const ids = (pick: (o: (typeof outcome)[number]) => boolean): string[] => outcome.filter(pick).map((o) => o.record.service.nodes[0]!.id);
      expect(ids((o) => o.removed)).toEqual(['a']);
      expect(ids((o) => o.reason === 'changed')).toEqual(['b']);
      expect(ids((o) => o.reason === 'gone')).toEqual(['c']);
      expect(await keysUnder(prefix)).toEqual([`${prefix}go.micro.srv.greeter/b`]);
    } finally {
      client.close();
    }
  });

  // The same promise as deregister's, through check --prune as a person uses it: one node, re-registered
  // while the confirmation is open, nothing else touched. The prune must compare the key's mod revision.
  it('on a terminal: a dead node that re-registers while the confirmation is open is kept and reported', async () => {
    const { prefix, args } = await seeded();
    const session = new TmuxSession([...args, 'check', '--prune']);
    try {
      await session.waitForScreen(/Deregister 1 unreachable node\? \(y\/N\)/);
      // Its server comes back with the same id (still at the dead address: it has not started listening yet).
      await seed(endpoint, [nodeEntry(prefix, 'greeter-dead', deadAddress)]);
      session.keys('y', 'Enter');
      expect(await session.exitCode()).toBe(8);
      expect(await session.waitForScreen(/kept go\.micro\.srv\.greeter greeter-dead/)).toMatch(/it re-registered \(its key changed\) since it was checked/);
    } finally {
      session.close();
    }
    expect(await keysUnder(prefix)).toEqual([`${prefix}go.micro.srv.greeter/greeter-dead`, `${prefix}go.micro.srv.greeter/greeter-live`]);
  });
});
