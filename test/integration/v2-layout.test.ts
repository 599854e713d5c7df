// `list` and `get` with --layout v2 (and auto) against real etcds started with --enable-v2, the records
// written through the v2 keys API exactly as go-plugins' registry/etcd writes them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomPrefix, runCli, seed } from '../helpers/cli.js';
import { type EtcdServer, makeCertificates, startEtcd } from '../helpers/etcd.js';
import { fixture } from '../helpers/fixtures.js';
import { seedV2, v2Raw } from '../helpers/v2.js';

const endpoint = inject('etcdEndpoint');
const v2fx = fixture('v2-plugin-greeter');
const nodeId = 'go.micro.srv.greeter-d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12';

describe('--layout v2: list and get', () => {
  const root = `${randomPrefix()}micro-registry/`;
  const at = (key: string): string => key.replace('/micro-registry/', root);
  const base = ['--endpoints', endpoint, '--layout', 'v2', '--prefix', root];
  const permanentId = `${nodeId.slice(0, -1)}9`;

  beforeAll(async () => {
    await seedV2(endpoint, [
      // As go-micro v1.11+ with the plugin: a TTL'd key (register TTL 60 s).
      { key: at(v2fx.key), value: v2fx.bytes, ttl: 60 },
      // As go-micro v0.x..v1.10: no TTL at all, a permanent key.
      { key: at(v2fx.key.replace(nodeId, permanentId)), value: v2fx.bytes.replace(nodeId, permanentId) },
      { key: `${root}broken/broken-1`, value: 'not json', ttl: 60 },
    ]);
    // An expired node's directory stays behind, empty.
    await v2Raw(endpoint, 'PUT', `${root}gone`, { query: { dir: 'true' } });
  });

  it('lists the plugin records as one service, port folded into the address, malformed skipped with a warning', async () => {
    const r = await runCli([...base, 'list', '-o', 'json']);
    expect(r.code).toBe(0);
    const services = JSON.parse(r.stdout);
    expect(services).toHaveLength(1);
    expect(services[0]).toMatchObject({ name: 'go.micro.srv.greeter', version: 'latest', metadata: null });
    expect(services[0].endpoints.map((e: { name: string }) => e.name)).toEqual(['Say.Hello', 'Say.Stream']);
    expect(services[0].nodes.map((n: { id: string }) => n.id)).toEqual([nodeId, permanentId]);
    for (const n of services[0].nodes) expect(n).toMatchObject({ address: '10.0.0.5:54321', layout: 'v2' });
    expect(r.stderr).toMatch(new RegExp(`warning: skipped malformed record ${root}broken/broken-1: the value is not JSON`));
    expect(r.stderr).not.toMatch(/gone/);
  });

  it('fails with exit 6 on the malformed record with --strict', async () => {
    const r = await runCli([...base, 'list', '--strict']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/malformed record .*broken-1/);
  });

  it('lists as a table when piped, and names', async () => {
    const table = await runCli([...base, 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[1]).toBe('go.micro.srv.greeter\tlatest\t2\t2');
    const names = await runCli([...base, 'list', '-o', 'names']);
    expect(names.stdout).toBe('go.micro.srv.greeter\n');
  });

  it('get shows the TTL left on each key (v2 keys have no lease), and "no ttl" for a permanent one', async () => {
    const r = await runCli([...base, 'get', 'go.micro.srv.greeter', '-o', 'json']);
    expect(r.code).toBe(0);
    const [svc] = JSON.parse(r.stdout);
    const ttlNode = svc.nodes.find((n: { id: string }) => n.id === nodeId);
    expect(ttlNode.ttl).toBeGreaterThan(50);
    expect(ttlNode.ttl).toBeLessThanOrEqual(60);
    expect(Date.parse(ttlNode.expiration)).toBeGreaterThan(Date.now());
    expect(ttlNode.lease).toBeUndefined();
    expect(ttlNode.key).toBe(at(v2fx.key));
    const permanent = svc.nodes.find((n: { id: string }) => n.id === permanentId);
    expect(permanent.ttl).toBeUndefined();
    expect(permanent.expiration).toBeUndefined();

    const table = await runCli([...base, 'get', 'go.micro.srv.greeter', '-o', 'wide']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('layout=v2');
    expect(table.stdout).toMatch(new RegExp(`${nodeId}\\t10\\.0\\.0\\.5:54321\\t(5\\ds|1m0s)\\t.*\\t-\\t${at(v2fx.key)}`));
    expect(table.stdout).toMatch(new RegExp(`${permanentId}\\t10\\.0\\.0\\.5:54321\\tno ttl\\t`));
    expect(table.stdout).toMatch(/Say\.Hello\tRequest\{name string\}\tResponse\{msg string\}\tstream=false/);
  });

  it('get of a missing service exits 3 with a hint; of a service with only malformed records exits 6', async () => {
    const missing = await runCli([...base, 'get', 'go.micro.srv.greter']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/service go.micro.srv.greter not found/);
    expect(missing.stderr).toMatch(/hint: did you mean .*go\.micro\.srv\.greeter/);
    const broken = await runCli([...base, 'get', 'broken']);
    expect(broken.code).toBe(6);
  });
});

describe('--layout auto with a v2 store', () => {
  let etcd: EtcdServer;
  let noV2: EtcdServer;
  const micro = fixture('micro-v6-greeter');

  beforeAll(async () => {
    [etcd, noV2] = await Promise.all([startEtcd({ enableV2: true }), startEtcd()]);
    await seed(etcd.endpoint, [{ key: micro.key, value: micro.bytes, ttl: 60 }]);
    await seedV2(etcd.endpoint, [{ key: v2fx.key, value: v2fx.bytes, ttl: 60 }]);
    await seed(noV2.endpoint, [{ key: micro.key, value: micro.bytes, ttl: 60 }]);
  });
  afterAll(async () => {
    await Promise.all([etcd?.stop(), noV2?.stop()]);
  });

  it('merges v3 and v2 records, each with its layout', async () => {
    const r = await runCli(['--endpoints', etcd.endpoint, '--layout', 'auto', 'list', '-o', 'json']);
    expect(r.code).toBe(0);
    const services = JSON.parse(r.stdout);
    expect(services.map((s: { name: string; nodes: { layout: string }[] }) => [s.name, s.nodes[0]!.layout])).toEqual([
      ['go.micro.srv.greeter', 'micro'],
      ['go.micro.srv.greeter', 'v2'],
    ]);
    const wide = await runCli(['--endpoints', etcd.endpoint, '--layout', 'auto', 'list', '-o', 'wide']);
    expect(wide.stdout).toMatch(/go\.micro\.srv\.greeter\tlatest\t-\t1\t2\tmicro\t10\.0\.0\.5:54321/);
    expect(wide.stdout).toMatch(/go\.micro\.srv\.greeter\tlatest\t-\t1\t2\tv2\t10\.0\.0\.5:54321/);
  });

  it('get shows both: the v3 node with its lease TTL, the v2 node with its key TTL', async () => {
    const r = await runCli(['--endpoints', etcd.endpoint, '--layout', 'auto', 'get', 'go.micro.srv.greeter', '-o', 'json']);
    expect(r.code).toBe(0);
    const [m, v] = JSON.parse(r.stdout);
    expect(m.nodes[0]).toMatchObject({ layout: 'micro', lease: expect.any(String) });
    expect(v.nodes[0]).toMatchObject({ layout: 'v2', address: '10.0.0.5:54321' });
    expect(v.nodes[0].ttl).toBeGreaterThan(50);
    const table = await runCli(['--endpoints', etcd.endpoint, '--layout', 'auto', 'get', 'go.micro.srv.greeter']);
    expect(table.stdout).toContain('layout=micro');
    expect(table.stdout).toContain('layout=v2');
  });

  it('on an etcd without --enable-v2, auto reads the v3 layouts without complaint', async () => {
    const r = await runCli(['--endpoints', noV2.endpoint, '--layout', 'auto', 'list', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).map((s: { nodes: { layout: string }[] }) => s.nodes[0]!.layout)).toEqual(['micro']);
  });

  it('on an etcd without --enable-v2, --layout v2 exits 4 saying it serves no v2 API', async () => {
    const r = await runCli(['--endpoints', noV2.endpoint, '--layout', 'v2', 'list']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: etcd at 127\.0\.0\.1:\d+ serves no v2 keys API/);
    expect(r.stderr).toMatch(/hint: .*--enable-v2/);
    const json = await runCli(['--endpoints', noV2.endpoint, '--layout', 'v2', 'get', 'x', '-o', 'json']);
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stderr).error).toMatchObject({ code: 'unavailable', exitCode: 4 });
  });
});

describe('--layout v2 over TLS with client certificates', () => {
  let etcd: EtcdServer;
  let dir: string;
  let files: ReturnType<typeof makeCertificates>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'micro-reg-v2-tls-'));
    files = makeCertificates(dir);
    etcd = await startEtcd({ enableV2: true, tls: files, clientCertAuth: true });
    const r = await runCli(['--endpoints', `https://${etcd.endpoint}`, '--cacert', files.ca, '--cert', files.clientCert, '--key', files.clientKey, '--layout', 'v2', 'list']);
    expect(r.code).toBe(0);
  });
  afterAll(async () => {
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const tlsArgs = (): string[] => ['--endpoints', `https://${etcd.endpoint}`, '--layout', 'v2'];

  it('reads with --cacert --cert --key, or --insecure-skip-tls-verify with the client certificate', async () => {
    const ok = await runCli([...tlsArgs(), '--cacert', files.ca, '--cert', files.clientCert, '--key', files.clientKey, 'list', '-o', 'json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual([]);
    const insecure = await runCli([...tlsArgs(), '--insecure-skip-tls-verify', '--cert', files.clientCert, '--key', files.clientKey, 'list', '-o', 'json']);
    expect(insecure.code).toBe(0);
  });

  it('exits 4 when the server certificate cannot be verified or plain http is used', async () => {
    const unverified = await runCli([...tlsArgs(), '--cert', files.clientCert, '--key', files.clientKey, 'list']);
    expect(unverified.code).toBe(4);
    expect(unverified.stderr).toMatch(/cannot reach etcd/);
    const plain = await runCli(['--endpoints', etcd.endpoint, '--layout', 'v2', '--timeout', '2s', 'list']);
    expect(plain.code).toBe(4);
  });
});
