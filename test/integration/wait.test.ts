// `wait` against a real etcd: it returns as soon as the condition holds (already, or after writes made
// while it waits), follows a lease expiry with --gone, and times out with exit 7.
import { afterAll, describe, expect, inject, it } from 'vitest';
import { main } from '../../src/cli.js';
import { etcdClient, randomPrefix, runCli, TestIO } from '../helpers/cli.js';
import { freePort } from '../helpers/etcd.js';
import { fixture } from '../helpers/fixtures.js';
import { killAll, spawnCli } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';

const endpoint = inject('etcdEndpoint');
const service = 'go.micro.srv.greeter';
const fixtureId = 'go.micro.srv.greeter-d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12';

describe('wait', () => {
  const client = etcdClient(endpoint);
  const v6 = fixture('micro-v6-greeter');
  afterAll(() => {
    killAll();
    client.close();
  });

  async function register(prefix: string, id: string, opts: { version?: string; ttl?: number } = {}): Promise<void> {
    let value = v6.bytes.replaceAll(fixtureId, id);
    if (opts.version) value = value.replace('"version":"latest"', `"version":"${opts.version}"`);
    const lease = opts.ttl ? await client.grant(opts.ttl) : undefined;
    await client.put(`${prefix}${service}/${id}`, value, lease);
  }

  it('returns at once when enough nodes are registered, printing them with -o json', async () => {
    const prefix = `${randomPrefix()}micro/registry/`;
    await register(prefix, 'w-1');
    const r = await runCli(['wait', service, '--endpoints', endpoint, '--prefix', prefix, '-o', 'json', '--timeout', '5s']);
    expect(r.code).toBe(0);
    const [svc] = JSON.parse(r.stdout);
    expect(svc.nodes.map((n: { id: string }) => n.id)).toEqual(['w-1']);
  });

  it('waits for nodes registered during the wait, of the right version', async () => {
    const prefix = `${randomPrefix()}micro/registry/`;
    await register(prefix, 'v2-a', { version: '2.0' });
    // On a terminal it shows its progress: that line says the state has been read and is being followed.
    const io = new TestIO({ tty: true, env: { NO_COLOR: '1' } });
    const done = main(['wait', service, '--nodes', '2', '--version', '2.0', '--endpoints', endpoint, '--prefix', prefix, '--timeout', '20s'], io);
    await waitFor(() => io.err.includes(`${service}: 1/2 nodes`), 10_000, 'the progress line');
    await register(prefix, 'v1-node', { version: '1.0' });
    expect(io.err).not.toContain('2/2');
    await register(prefix, 'v2-b', { version: '2.0' });
    expect(await done).toBe(0);
    expect(io.err).toContain(`\r${service}: 2/2 nodes`);
    const p = spawnCli(['wait', service, '--nodes', '2', '--version', '2.0', '--endpoints', endpoint, '--prefix', prefix, '-o', 'json']);
    expect((await p.exited()).code).toBe(0);
    const services = JSON.parse(p.lines().join('\n'));
    expect(services).toHaveLength(1);
    expect(services[0].version).toBe('2.0');
    expect(services[0].nodes.map((n: { id: string }) => n.id)).toEqual(['v2-a', 'v2-b']);
  });

  it('with --gone returns once the last node has expired', async () => {
    const prefix = `${randomPrefix()}micro/registry/`;
    await register(prefix, 'short', { ttl: 1 });
    const started = Date.now();
    const r = await runCli(['wait', service, '--gone', '--endpoints', endpoint, '--prefix', prefix, '-o', 'json', '--timeout', '15s']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    // It was there at the start: the wait followed the expiry.
    expect(Date.now() - started).toBeGreaterThan(300);
  });

  it('times out with exit 7 and says how far it got', async () => {
    const prefix = `${randomPrefix()}micro/registry/`;
    await register(prefix, 'only-one');
    const r = await runCli(['wait', service, '--nodes', '2', '--endpoints', endpoint, '--prefix', prefix, '--timeout', '400ms']);
    expect(r.code).toBe(7);
    expect(r.stderr).toBe(`error: timed out after 400ms waiting for 2 nodes of ${service} (1/2 nodes)\n`);
  });

  it('shows its progress on a terminal', async () => {
    const prefix = `${randomPrefix()}micro/registry/`;
    await register(prefix, 'p-1');
    const r = await runCli(['wait', service, '--nodes', '3', '--endpoints', endpoint, '--prefix', prefix, '--timeout', '300ms'], { tty: true, env: { NO_COLOR: '1' } });
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`\r${service}: 1/3 nodes`);
  });

  it('exits 4 when etcd cannot be reached, and 2 on a bad --nodes', async () => {
    const port = await freePort();
    const down = await runCli(['wait', service, '--endpoints', `127.0.0.1:${port}`, '--timeout', '2s']);
    expect(down.code).toBe(4);
    const bad = await runCli(['wait', service, '--nodes', '0', '--endpoints', endpoint]);
    expect(bad.code).toBe(2);
  });
});
