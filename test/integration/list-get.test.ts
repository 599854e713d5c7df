import { beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, randomPrefix, seed } from '../helpers/cli.js';
import { loadFixtures } from '../helpers/fixtures.js';

const endpoint = inject('etcdEndpoint');

describe('list and get against a real etcd', () => {
  const prefix = randomPrefix();
  const micro = loadFixtures().filter((f) => f.family === 'micro');
  const base = ['--endpoints', endpoint, '--prefix', `${prefix}micro/registry/`];

  beforeAll(async () => {
    await seed(
      endpoint,
      micro.map((f, i) => ({ key: f.key.replace('/micro/registry/', `${prefix}micro/registry/`).replace('greeter-d3', `greeter-${i}d3`), value: f.bytes.replace('greeter-d3', `greeter-${i}d3`), ttl: 60 })),
    );
  });

  it('lists the fixtures as one service with two nodes', async () => {
    const r = await runCli([...base, 'list', '-o', 'json']);
    expect(r.code).toBe(0);
    const services = JSON.parse(r.stdout);
    expect(services).toHaveLength(1);
    expect(services[0].name).toBe('go.micro.srv.greeter');
    expect(services[0].nodes.map((n: { id: string; key: string }) => [n.id, n.key])).toEqual([
      ['go.micro.srv.greeter-0d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12', `${prefix}micro/registry/go.micro.srv.greeter/go.micro.srv.greeter-0d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12`],
      ['go.micro.srv.greeter-1d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12', `${prefix}micro/registry/go.micro.srv.greeter/go.micro.srv.greeter-1d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12`],
    ]);
  });

  it('get shows the lease TTL of each node', async () => {
    const r = await runCli([...base, 'get', 'go.micro.srv.greeter', '-o', 'json']);
    expect(r.code).toBe(0);
    const [svc] = JSON.parse(r.stdout);
    expect(svc.nodes).toHaveLength(2);
    for (const n of svc.nodes) {
      expect(n.ttl).toBeGreaterThan(50);
      expect(n.ttl).toBeLessThanOrEqual(60);
    }
  });

});
