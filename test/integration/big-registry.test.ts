import { beforeAll, describe, expect, inject, it } from 'vitest';
import { randomPrefix, runCli, seed } from '../helpers/cli.js';

const endpoint = inject('etcdEndpoint');

// More than gRPC's default 4 MiB message limit: the reads must page (or raise the limit).
describe('a registry larger than 4 MiB', () => {
  const prefix = `${randomPrefix()}micro/registry/`;
  const nodes = 1400;
  const padding = 'x'.repeat(3900);

  beforeAll(async () => {
    await seed(
      endpoint,
      Array.from({ length: nodes }, (_, i) => ({
        key: `${prefix}big/big-${String(i).padStart(5, '0')}`,
        value: JSON.stringify({ name: 'big', version: '1', metadata: null, endpoints: [], nodes: [{ id: `big-${String(i).padStart(5, '0')}`, address: `10.1.${i >> 8}.${i & 255}:80`, metadata: { padding } }] }),
      })),
    );
  }, 120_000);

  it('list -o json returns every node', async () => {
    const r = await runCli(['--endpoints', endpoint, '--prefix', prefix, 'list', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(5 * 1024 * 1024);
    const [svc] = JSON.parse(r.stdout);
    expect(svc.nodes).toHaveLength(nodes);
  });

  it('get returns every node of the service, sorted', async () => {
    const r = await runCli(['--endpoints', endpoint, '--prefix', prefix, 'get', 'big', '-o', 'json']);
    expect(r.code).toBe(0);
    const [svc] = JSON.parse(r.stdout);
    expect(svc.nodes).toHaveLength(nodes);
    expect(svc.nodes[0].id).toBe('big-00000');
    expect(svc.nodes[nodes - 1].id).toBe(`big-${String(nodes - 1).padStart(5, '0')}`);
  });
});
