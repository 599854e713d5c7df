import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { etcdClient, randomPrefix, runCli } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { runBin } from '../helpers/process.js';
import { closedAddress } from '../helpers/ports.js';
import { loadMarginMs, waitFor } from '../helpers/wait.js';

const endpoint = inject('etcdEndpoint');
const client = etcdClient(endpoint);
const dir = mkdtempSync(join(tmpdir(), 'micro-reg-register-'));
afterAll(() => {
  client.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The layout's default prefix moved under a random test prefix. */
const prefixes = { micro: '/micro/registry/', domain: '/micro/registry/', legacy: '/micro-registry/' } as const;
function under(prefix: string, layout: keyof typeof prefixes) {
  const p = `${prefix}${prefixes[layout].slice(1)}`;
  return { args: ['--endpoints', endpoint, '--layout', layout, '--prefix', p], move: (key: string) => key.replace(prefixes[layout], p) };
}

async function keysUnder(prefix: string) {
  return (await client.rangePrefix(prefix)).kvs;
}

describe('register against a real etcd', () => {
  for (const name of ['micro-v6-greeter', 'domain-micro-greeter', 'legacy-greeter'] as const) {
    it(`writes the ${name} fixture from --file with the exact key and bytes, on a lease`, async () => {
      const f = fixture(name);
      const layout = f.family as keyof typeof prefixes;
      const prefix = randomPrefix();
      const { args, move } = under(prefix, layout);
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(f.value, null, 2));
      const r = await runCli([...args, 'register', '--file', file, '--ttl', '30', '-o', 'json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const kvs = await keysUnder(prefix);
      expect(kvs).toHaveLength(1);
      expect(kvs[0]!.key).toBe(move(f.key));
      expect(Buffer.from(kvs[0]!.value).toString('utf8')).toBe(f.bytes);
      const out = JSON.parse(r.stdout);
      // The one node shape (docs/node.schema.json).
      expect(Object.keys(out).slice(0, 7)).toEqual(['service', 'version', 'id', 'address', 'metadata', 'key', 'layout']);
      expect(out.key).toBe(move(f.key));
      expect(out.ttl).toBe(30);
      expect(out.layout).toBe(layout);
      expect(BigInt(`0x${out.lease}`).toString()).toBe(kvs[0]!.lease);
      const stored = f.value as { name: string; version: string; nodes: { id: string; metadata: unknown }[] };
      expect(out).toMatchObject({ service: stored.name, version: stored.version, id: stored.nodes[0]!.id, metadata: stored.nodes[0]!.metadata });
      const ttl = await client.leaseTtl(kvs[0]!.lease!);
      expect(ttl).toBeGreaterThan(25);
      expect(ttl).toBeLessThanOrEqual(30);
    });
  }

  it('writes from flags in the micro layout, readable by get, and from a file with two nodes as two keys', async () => {
    const prefix = randomPrefix();
    const { args } = under(prefix, 'micro');
    const r = await runCli([...args, 'register', '--name', 'go.micro.srv.hand', '--version', '1.2.0', '--address', '10.1.1.1:8080', '--id', 'hand-1', '--meta', 'protocol=mucp', '--endpoint', 'Say.Hello']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/go\.micro\.srv\.hand\t1\.2\.0\thand-1\t10\.1\.1\.1:8080\t1m0s\t[0-9a-f]+/);
    const kvs = await keysUnder(prefix);
    expect(kvs.map((k) => k.key)).toEqual([`${prefix}micro/registry/go.micro.srv.hand/hand-1`]);
    expect(Buffer.from(kvs[0]!.value).toString()).toBe(
      '{"name":"go.micro.srv.hand","version":"1.2.0","metadata":null,"endpoints":[{"request":null,"response":null,"metadata":{},"name":"Say.Hello"}],"nodes":[{"metadata":{"protocol":"mucp"},"id":"hand-1","address":"10.1.1.1:8080"}]}',
    );
    const get = await runCli([...args, 'get', 'go.micro.srv.hand', '-o', 'json']);
    expect(JSON.parse(get.stdout)[0].nodes[0]).toMatchObject({ id: 'hand-1', address: '10.1.1.1:8080' });

    const file = join(dir, 'two.json');
    writeFileSync(file, JSON.stringify({ name: 'two', nodes: [{ id: 'a', address: 'h:1' }, { id: 'b', address: 'h:2' }] }));
    const two = await runCli([...args, 'register', '-f', file]);
    expect(two.code).toBe(0);
    const keys = (await keysUnder(`${prefix}micro/registry/two/`)).map((k) => k.key);
    expect(keys).toEqual([`${prefix}micro/registry/two/a`, `${prefix}micro/registry/two/b`]);
  });

  it('refuses bad input with exit 2 and writes nothing', async () => {
    const prefix = randomPrefix();
    const { args } = under(prefix, 'micro');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"endpoints":[]}');
    const cases: [string[], RegExp][] = [
      [['--address', 'h:1'], /missing --name/],
      [['--name', 'x'], /missing --address/],
      [['--name', 'x', '--address', 'h'], /invalid --address "h"/],
      [['--name', 'x', '--address', 'h:0'], /port must be 1-65535/],
      [['--name', 'x', '--address', 'h:70000'], /port must be 1-65535/],
      [['--name', '   ', '--address', 'h:1'], /invalid --name/],
      [['--name', 'x', '--address', 'h:1', '--meta', 'novalue'], /invalid --meta "novalue"/],
      [['--name', 'x', '--address', 'h:1', '--id', '..'], /invalid node id/],
      [['--name', 'x', '--address', 'h:1', '--ttl', '-1'], /invalid --ttl/],
      [['--file', bad], /not a go-micro Service/],
      [['--file', join(dir, 'missing.json')], /no such file: /],
      [['--file', bad, '--name', 'x'], /drop --name/],
      [['--name', 'x', '--address', 'h:1', '--ttl', '0', '--keepalive'], /--keepalive needs a lease/],
    ];
    for (const [extra, message] of cases) {
      const r = await runCli([...args, 'register', ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr, extra.join(' ')).toMatch(message);
    }
    expect(await keysUnder(prefix)).toHaveLength(0);
  });

  it('--dry-run prints key and value and writes nothing', async () => {
    const prefix = randomPrefix();
    const { args } = under(prefix, 'legacy');
    const r = await runCli([...args, 'register', '--name', 'x', '--address', '10.0.0.1:80', '--id', 'x-1', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${prefix}micro-registry/x/x-1\n{"name":"x","version":"latest","metadata":null,"endpoints":null,"nodes":[{"id":"x-1","address":"10.0.0.1","port":80,"metadata":{}}]}\n`);
    expect(await keysUnder(prefix)).toHaveLength(0);
  });

  it('--file - reads the Service from stdin (the built bin as a process)', async () => {
    const prefix = randomPrefix();
    const { args, move } = under(prefix, 'micro');
    const f = fixture('micro-v6-greeter');
    const r = await runBin([...args, 'register', '--file', '-', '--ttl', '20'], { input: JSON.stringify(f.value), timeoutMs: 15_000 });
    expect(r.code, r.stderr).toBe(0);
    const kvs = await keysUnder(prefix);
    expect(kvs.map((k) => k.key)).toEqual([move(f.key)]);
    expect(Buffer.from(kvs[0]!.value).toString()).toBe(f.bytes);
  });

  it('--ttl 0 writes a record without a lease and warns that it never expires', async () => {
    const prefix = randomPrefix();
    const { args } = under(prefix, 'domain');
    const r = await runCli([...args, '--domain', 'staging', 'register', '--name', 'x', '--address', 'h:1', '--id', 'x-1', '--ttl', '0', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: .*never expires/);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ key: `${prefix}micro/registry/staging/x/x-1`, ttl: 0, layout: 'domain', domain: 'staging' });
    expect(out).not.toHaveProperty('lease');
    const [kv] = await keysUnder(prefix);
    expect(kv!.lease).toBe('0');
    expect(JSON.parse(Buffer.from(kv!.value).toString()).metadata).toEqual({ domain: 'staging' });
  });

  it('a short TTL expires the record when nobody keeps it alive', async () => {
    const prefix = randomPrefix();
    const { args } = under(prefix, 'micro');
    const r = await runCli([...args, 'register', '--name', 'brief', '--address', 'h:1', '--ttl', '2']);
    expect(r.code).toBe(0);
    expect(await keysUnder(prefix)).toHaveLength(1);
    await waitFor(async () => (await keysUnder(prefix)).length === 0, 10_000, 'the record to expire');
  });

  it('exits 4 within --timeout + 1s when etcd cannot be reached', async () => {
    const started = Date.now();
    const r = await runCli(['--endpoints', await closedAddress(), '--timeout', '1s', 'register', '--name', 'x', '--address', 'h:1']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/error: cannot reach etcd|did not answer/);
    expect(Date.now() - started).toBeLessThan(2000 + loadMarginMs);
  });
});

describe('register without a terminal', () => {
  it('says nothing about expiry when stderr is not a terminal (scripts know their --ttl)', async () => {
    const r = await runCli(['--endpoints', inject('etcdEndpoint'), '--prefix', randomPrefix(), 'register', '--name', 'quiet.svc', '--address', '10.1.1.1:1']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/expires/);
  });
});
