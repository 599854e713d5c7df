import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
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
    expect(services[0].nodes).toHaveLength(2);
  });

  it('get shows the lease TTL of each node', async () => {
    const r = await runCli([...base, 'get', 'go.micro.srv.greeter', '-o', 'json']);
    expect(r.code).toBe(0);
    const [svc] = JSON.parse(r.stdout);
    for (const n of svc.nodes) {
      expect(n.ttl).toBeGreaterThan(50);
      expect(n.ttl).toBeLessThanOrEqual(60);
    }
  });

  afterAll(() => undefined);
});
