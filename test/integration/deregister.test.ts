import { afterAll, describe, expect, inject, it } from 'vitest';
import { selectNodes } from '../../src/commands/deregister.js';
import { resolveRegistryConfig } from '../../src/settings/config.js';
import { Registry } from '../../src/registry/registry.js';
import { V3Store } from '../../src/registry/v3/store.js';
import { etcdClient, randomPrefix, runCli, seed } from '../helpers/cli.js';
import { type Fixture, fixture } from '../helpers/fixtures.js';
import { TmuxSession } from '../helpers/tmux.js';

const endpoint = inject('etcdEndpoint');
const client = etcdClient(endpoint);
afterAll(() => client.close());

const fixtures = { micro: 'micro-v6-greeter', domain: 'domain-micro-greeter', legacy: 'legacy-greeter' } as const;
type V3 = keyof typeof fixtures;
const defaultPrefix: Record<V3, string> = { micro: '/micro/registry/', domain: '/micro/registry/', legacy: '/micro-registry/' };
const service = 'go.micro.srv.greeter';
const fixtureId = 'go.micro.srv.greeter-d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12';

/** Three nodes of the layout's fixture under a fresh prefix: n1 and n2 of version 1.0.0, n3 of 2.0.0. */
async function seeded(layout: V3) {
  const f: Fixture = fixture(fixtures[layout]);
  const prefix = `${randomPrefix()}${defaultPrefix[layout].slice(1)}`;
  const nodes = [
    ['n1', '1.0.0'],
    ['n2', '1.0.0'],
    ['n3', '2.0.0'],
  ] as const;
  const entry = (id: string, version: string) => ({
    key: f.key.replace(defaultPrefix[layout], prefix).replace(fixtureId, id),
    value: f.bytes.replaceAll(fixtureId, id).replace('"version":"latest"', `"version":"${version}"`),
  });
  await seed(endpoint, nodes.map(([id, version]) => ({ ...entry(id, version), ttl: 60 })));
  const keyOf = (id: string) => entry(id, '').key;
  const remaining = async () => (await client.rangePrefix(prefix)).kvs.map((kv) => kv.key.slice(kv.key.lastIndexOf('/') + 1));
  return { prefix, args: ['--endpoints', endpoint, '--layout', layout, '--prefix', prefix], keyOf, remaining, entry };
}

describe('deregister against a real etcd', () => {
  for (const layout of ['micro', 'domain', 'legacy'] as const) {
    it(`${layout}: --node --yes removes only that node and says so`, async () => {
      const s = await seeded(layout);
      const r = await runCli([...s.args, 'deregister', service, '--node', 'n2', '--yes']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(s.keyOf('n2'));
      expect(r.stderr).toMatch(/removed 1 node of go\.micro\.srv\.greeter/);
      expect(await s.remaining()).toEqual(['n1', 'n3']);
    });
  }

  it('--version V --all -o json removes the nodes of that version and prints them', async () => {
    const s = await seeded('micro');
    const r = await runCli([...s.args, 'deregister', service, '--version', '1.0.0', '--all', '--yes', '-o', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.dryRun).toBe(false);
    expect(out.kept).toEqual([]);
    expect(out.removed.map((n: { id: string }) => n.id).sort()).toEqual(['n1', 'n2']);
    expect(out.removed[0]).toMatchObject({ service, version: '1.0.0', layout: 'micro', address: '10.0.0.5:54321' });
    expect(out.removed[0].key).toBe(s.keyOf(out.removed[0].id));
    expect(await s.remaining()).toEqual(['n3']);
  });

  it('--dry-run lists what would go and deletes nothing', async () => {
    const s = await seeded('legacy');
    const r = await runCli([...s.args, 'deregister', service, '--all', '--dry-run', '-o', 'json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.dryRun).toBe(true);
    expect(out.removed).toHaveLength(3);
    const human = await runCli([...s.args, 'deregister', service, '--node', 'n1', '--dry-run']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(s.keyOf('n1'));
    expect(human.stderr).toMatch(/would remove 1 node/);
    expect(await s.remaining()).toEqual(['n1', 'n2', 'n3']);
  });

  it('without a terminal deletes nothing unless --yes is given (exit 2 with a hint)', async () => {
    const s = await seeded('micro');
    const noYes = await runCli([...s.args, 'deregister', service, '--all']);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toMatch(/hint: pass --yes/);
    const noChoice = await runCli([...s.args, 'deregister', service, '--yes']);
    expect(noChoice.code).toBe(2);
    expect(noChoice.stderr).toMatch(/--node ID, --version V or --all/);
    expect(await s.remaining()).toEqual(['n1', 'n2', 'n3']);
  });

  it('exits 3 when nothing matches: service, version or node', async () => {
    const s = await seeded('domain');
    const cases: [string[], RegExp][] = [
      [['go.micro.srv.greter', '--all'], /service go\.micro\.srv\.greter not found[\s\S]*did you mean go\.micro\.srv\.greeter/],
      [[service, '--version', '9.9.9', '--all'], /has no version 9\.9\.9/],
      [[service, '--node', 'nope'], /has no node nope/],
    ];
    for (const [extra, message] of cases) {
      const r = await runCli([...s.args, 'deregister', ...extra, '--yes']);
      expect(r.code, extra.join(' ')).toBe(3);
      expect(r.stderr).toMatch(message);
    }
    const partly = await runCli([...s.args, 'deregister', service, '--node', 'nope', '--node', 'n3', '--yes']);
    expect(partly.code).toBe(0);
    expect(partly.stderr).toMatch(/warning: service go\.micro\.srv\.greeter has no node nope/);
    expect(await s.remaining()).toEqual(['n1', 'n2']);
  });

  it('the race: a node rewritten between read and delete is kept and reported, the others go', async () => {
    const s = await seeded('micro');
    const config = resolveRegistryConfig({ endpoints: endpoint, layout: 'micro', prefix: s.prefix }, {});
    const registry = new Registry(config, { v3: () => client });
    // What deregister reads and shows…
    const shown = selectNodes(service, (await registry.read(service)).records, {}).records;
    expect(shown).toHaveLength(3);
    // …then n1 re-registers (a go-micro server restarting with the same id) and n2 expires or is removed.
    await seed(endpoint, [{ ...s.entry('n1', '1.0.0'), ttl: 60 }]);
    await client.deleteEachIf([{ key: s.keyOf('n2'), lease: shown.find((r) => r.service.nodes[0]!.id === 'n2')!.lease! }]);
    // …and only then the delete of what was shown.
    const outcomes = await new V3Store(client).removeIfUnchanged(shown);
    const byId = Object.fromEntries(outcomes.map((o) => [o.record.service.nodes[0]!.id, o]));
    expect(byId.n1).toMatchObject({ removed: false, reason: 'changed' });
    expect(byId.n2).toMatchObject({ removed: false, reason: 'gone' });
    expect(byId.n3).toMatchObject({ removed: true });
    expect(await s.remaining()).toEqual(['n1']);
  });

  // The promise on its own: one node re-registered, no other key touched in between. A delete that
  // compared anything but the key's mod revision (its create revision, its lease, its value) would
  // take the node of a server that has just come back.
  it('the race, alone: a node re-registered between read and delete is kept, the unchanged ones go', async () => {
    const s = await seeded('micro');
    const config = resolveRegistryConfig({ endpoints: endpoint, layout: 'micro', prefix: s.prefix }, {});
    const registry = new Registry(config, { v3: () => client });
    const shown = selectNodes(service, (await registry.read(service)).records, {}).records;
    expect(shown.map((r) => r.key)).toEqual([`${s.prefix}${service}/n1`, `${s.prefix}${service}/n2`, `${s.prefix}${service}/n3`]);
    // n1's server restarts with the same id: the same key put again, on a new lease, same value.
    await seed(endpoint, [{ ...s.entry('n1', '1.0.0'), ttl: 60 }]);
    const outcomes = await new V3Store(client).removeIfUnchanged(shown);
    expect(outcomes.map((o) => [o.record.key, o.removed, o.reason])).toEqual([
      [`${s.prefix}${service}/n1`, false, 'changed'],
      [`${s.prefix}${service}/n2`, true, undefined],
      [`${s.prefix}${service}/n3`, true, undefined],
    ]);
    expect(await s.remaining()).toEqual(['n1']);
  });

  it('the race, one node shown: re-registered since, it is kept', async () => {
    const s = await seeded('legacy');
    const config = resolveRegistryConfig({ endpoints: endpoint, layout: 'legacy', prefix: s.prefix }, {});
    const registry = new Registry(config, { v3: () => client });
    const shown = selectNodes(service, (await registry.read(service)).records, { node: ['n2'] }).records;
    expect(shown.map((r) => r.key)).toEqual([`${s.prefix}${service}/n2`]);
    // Re-registered with the same value and no lease change visible in the value: only the revision tells.
    const [kv] = (await client.rangePrefix(`${s.prefix}${service}/n2`)).kvs;
    await client.put(kv!.key, Buffer.from(kv!.value).toString(), kv!.lease);
    const [outcome] = await new V3Store(client).removeIfUnchanged(shown);
    expect(outcome).toMatchObject({ removed: false, reason: 'changed' });
    expect(await s.remaining()).toEqual(['n1', 'n2', 'n3']);
  });

  it('on a terminal: a node re-registered while the confirmation is open is kept and reported, the other goes', async () => {
    const s = await seeded('micro');
    const session = new TmuxSession([...s.args, 'deregister', service, '--version', '1.0.0']);
    try {
      await session.waitForScreen(/Deregister 2 nodes of go\.micro\.srv\.greeter\? \(y\/N\)/);
      await seed(endpoint, [{ ...s.entry('n1', '1.0.0'), ttl: 60 }]);
      session.keys('y', 'Enter');
      expect(await session.exitCode()).toBe(0);
      const screen = await session.waitForScreen(/removed 1 node/);
      expect(screen).toMatch(/kept node n1: it was written again after it was read/);
    } finally {
      session.close();
    }
    expect(await s.remaining()).toEqual(['n1', 'n3']);
  });
});
