// `wait` against a real etcd: it returns as soon as the condition holds (already, or after writes made
// while it waits), follows a lease expiry with --gone, and times out with exit 7.
import { afterAll, describe, expect, inject, it } from 'vitest';
import { etcdClient, randomPrefix, runCli } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { closedAddress } from '../helpers/ports.js';
import { killAll, runBin } from '../helpers/process.js';
import { TmuxSession } from '../helpers/tmux.js';

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

  it('waits for nodes registered during the wait, of the right version (on a terminal, with its progress)', async () => {
    const prefix = `${randomPrefix()}micro/registry/`;
    await register(prefix, 'v2-a', { version: '2.0' });
    await register(prefix, 'v1-a', { version: '1.0' });
    // A real terminal, where it shows its progress line: the node of 1.0 does not count.
    const session = new TmuxSession(['wait', service, '--nodes', '2', '--version', '2.0', '--endpoints', endpoint, '--prefix', prefix, '--timeout', '30s']);
    try {
      await session.waitForScreen(/go\.micro\.srv\.greeter: 1\/2 nodes/);
      await register(prefix, 'v2-b', { version: '2.0' });
      expect(await session.exitCode()).toBe(0);
      expect(session.screen()).toMatch(/go\.micro\.srv\.greeter: 2\/2 nodes/);
    } finally {
      session.close();
    }
    const r = await runCli(['wait', service, '--nodes', '2', '--version', '2.0', '--endpoints', endpoint, '--prefix', prefix, '-o', 'json', '--timeout', '5s']);
    expect(r.code).toBe(0);
    const services = JSON.parse(r.stdout);
    expect(services).toHaveLength(1);
    expect(services[0].version).toBe('2.0');
    expect(services[0].nodes.map((n: { id: string }) => n.id)).toEqual(['v2-a', 'v2-b']);
  });

  it('does not count a node of another version registered during the wait: it times out at 1/2', async () => {
    const prefix = `${randomPrefix()}micro/registry/`;
    await register(prefix, 'v2-a', { version: '2.0' });
    const session = new TmuxSession(['wait', service, '--nodes', '2', '--version', '2.0', '--endpoints', endpoint, '--prefix', prefix, '--timeout', '4s']);
    try {
      await session.waitForScreen(/go\.micro\.srv\.greeter: 1\/2 nodes/);
      // Counted, it would make 2/2 and exit 0; not counted, the wait runs out (a timing that can only
      // make this test pass wrongly, never fail wrongly: a 1.0 node written late is not counted either).
      await register(prefix, 'v1-late', { version: '1.0' });
      expect(await session.exitCode()).toBe(7);
      expect(session.screen()).toMatch(/error: timed out after 4s waiting for 2 nodes of go\.micro\.srv\.greeter 2\.0 \(1\/2 nodes\)/);
    } finally {
      session.close();
    }
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

  it('shows its progress on a terminal, and none when stderr is not one', async () => {
    const prefix = `${randomPrefix()}micro/registry/`;
    await register(prefix, 'p-1');
    const session = new TmuxSession(['wait', service, '--nodes', '3', '--endpoints', endpoint, '--prefix', prefix, '--timeout', '1s']);
    try {
      expect(await session.exitCode()).toBe(7);
      const screen = session.screen();
      expect(screen).toMatch(/go\.micro\.srv\.greeter: 1\/3 nodes/);
      expect(screen).toMatch(/error: timed out after 1s waiting for 3 nodes/);
    } finally {
      session.close();
    }
    const piped = await runBin(['wait', service, '--nodes', '3', '--endpoints', endpoint, '--prefix', prefix, '--timeout', '300ms']);
    expect(piped.code).toBe(7);
    expect(piped.stderr).toBe(`error: timed out after 300ms waiting for 3 nodes of ${service} (1/3 nodes)\n`);
  });

  it('exits 4 when etcd cannot be reached, and 2 on a bad --nodes', async () => {
    const down = await runCli(['wait', service, '--endpoints', await closedAddress(), '--timeout', '2s']);
    expect(down.code).toBe(4);
    const bad = await runCli(['wait', service, '--nodes', '0', '--endpoints', endpoint]);
    expect(bad.code).toBe(2);
  });
});
