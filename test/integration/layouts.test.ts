import { beforeAll, describe, expect, inject, it } from 'vitest';
import { randomPrefix, runCli, seed } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';

const endpoint = inject('etcdEndpoint');

/** A fixture's record moved under a test prefix, with its node renamed so several can coexist. */
function moved(name: string, from: string, to: string, node = 'd3e0d7a4'): { key: string; value: string } {
  const f = fixture(name);
  return { key: f.key.replace(from, to).replace('d3e0d7a4', node), value: f.bytes.replace('d3e0d7a4', node) };
}

describe('every v3 layout', () => {
  const root = randomPrefix();
  const microPrefix = `${root}micro/registry/`;
  const legacyPrefix = `${root}micro-registry/`;

  beforeAll(async () => {
    await seed(endpoint, [
      moved('micro-v2-greeter', '/micro/registry/', microPrefix, 'aaaa0001'),
      moved('micro-v6-greeter', '/micro/registry/', microPrefix, 'aaaa0002'),
      moved('domain-micro-greeter', '/micro/registry/', microPrefix, 'bbbb0001'),
      {
        key: fixture('domain-micro-greeter').key.replace('/micro/registry/micro/', `${microPrefix}prod/`).replace('d3e0d7a4', 'cccc0001'),
        value: fixture('domain-micro-greeter').bytes.replaceAll('"micro"', '"prod"').replace('d3e0d7a4', 'cccc0001'),
      },
      moved('legacy-greeter', '/micro-registry/', legacyPrefix, 'dddd0001'),
      { key: `${microPrefix}go.micro.srv.auth/go.micro.srv.auth-1`, value: '{"name":"go.micro.srv.auth","version":"2.0.0","metadata":null,"endpoints":[],"nodes":[{"id":"go.micro.srv.auth-1","address":"10.0.0.9:1","metadata":{"server":"grpc"}}]}' },
    ]);
  });

  it('micro reads only two-segment keys, grouping both go-micro generations', async () => {
    const r = await runCli(['--endpoints', endpoint, '--prefix', microPrefix, 'list', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const services = JSON.parse(r.stdout);
    expect(services.map((s: { name: string; nodes: unknown[] }) => `${s.name}:${s.nodes.length}`)).toEqual(['go.micro.srv.auth:1', 'go.micro.srv.greeter:2']);
  });

  it('domain reads one domain, or all with *', async () => {
    const one = JSON.parse((await runCli(['--endpoints', endpoint, '--layout', 'domain', '--prefix', microPrefix, 'list', '-o', 'json'])).stdout);
    expect(one.map((s: { domain: string }) => s.domain)).toEqual(['micro']);
    const prodRun = await runCli(['--endpoints', endpoint, '--layout', 'domain', '--domain', 'prod', '--prefix', microPrefix, 'get', 'go.micro.srv.greeter', '-o', 'json']);
    expect(prodRun.stderr).toBe("");
    const prod = JSON.parse(prodRun.stdout);
    expect(prod[0].nodes[0].metadata.domain).toBe('prod');
    const all = JSON.parse((await runCli(['--endpoints', endpoint, '--layout', 'domain', '--domain', '*', '--prefix', microPrefix, 'list', '-o', 'json'])).stdout);
    expect(all.map((s: { domain: string }) => s.domain)).toEqual(['micro', 'prod']);
  });

  it('legacy shows host and port as host:port', async () => {
    const r = await runCli(['--endpoints', endpoint, '--layout', 'legacy', '--prefix', legacyPrefix, 'get', 'go.micro.srv.greeter', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)[0].nodes[0].address).toBe('10.0.0.5:54321');
  });

  it('glob, selector and names output', async () => {
    const base = ['--endpoints', endpoint, '--prefix', microPrefix, 'list'];
    expect((await runCli([...base, '*.auth', '-o', 'names'])).stdout).toBe('go.micro.srv.auth\n');
    expect((await runCli([...base, '--selector', 'server=grpc', '-o', 'names'])).stdout).toBe('go.micro.srv.auth\n');
    expect((await runCli([...base, '--selector', 'server=mucp', '--selector', 'broker=http', '-o', 'names'])).stdout).toBe('go.micro.srv.greeter\n');
    const none = await runCli([...base, 'nothing*'], { tty: true });
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect(none.stderr).toContain('No services match');
  });

  it('get --version narrows; a missing version or service exits 3 with a hint', async () => {
    const base = ['--endpoints', endpoint, '--prefix', microPrefix, 'get'];
    expect((await runCli([...base, 'go.micro.srv.auth', '--version', '2.0.0'])).code).toBe(0);
    const v = await runCli([...base, 'go.micro.srv.auth', '--version', '9']);
    expect(v.code).toBe(3);
    expect(v.stderr).toContain('hint: its versions: 2.0.0');
    const typo = await runCli([...base, 'go.micro.srv.greter']);
    expect(typo.code).toBe(3);
    expect(typo.stderr).toBe('error: service go.micro.srv.greter not found\nhint: did you mean go.micro.srv.greeter?\n');
  });

  it('-o json errors are one JSON line', async () => {
    const r = await runCli(['--endpoints', endpoint, '--prefix', microPrefix, 'get', 'nope', '-o', 'json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'not_found', exitCode: 3 } });
  });
});

describe('malformed records', () => {
  const prefix = `${randomPrefix()}micro/registry/`;
  beforeAll(async () => {
    await seed(endpoint, [
      { key: `${prefix}good/good-1`, value: '{"name":"good","version":"1","metadata":null,"endpoints":[],"nodes":[{"id":"good-1","address":"h:1","metadata":null}]}' },
      { key: `${prefix}bad/bad-1`, value: 'not json' },
      { key: `${prefix}mismatch/node-1`, value: '{"name":"other","nodes":[{"id":"node-1"}]}' },
      { key: `${prefix}lonely`, value: '{}' },
    ]);
  });

  it('list skips them with a warning naming each key', async () => {
    const r = await runCli(['--endpoints', endpoint, '--prefix', prefix, 'list', '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((s: { name: string }) => s.name)).toEqual(['good']);
    expect(r.stderr).toContain(`warning: skipped malformed record ${prefix}bad/bad-1: the value is not JSON`);
    expect(r.stderr).toContain(`${prefix}mismatch/node-1`);
    expect(r.stderr).toContain(`${prefix}lonely`);
  });

  it('--strict exits 6', async () => {
    const r = await runCli(['--endpoints', endpoint, '--prefix', prefix, '--strict', 'list']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^error: malformed record /);
  });

  it('get of a service with only malformed records exits 6 naming the key', async () => {
    const r = await runCli(['--endpoints', endpoint, '--prefix', prefix, 'get', 'bad']);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain(`${prefix}bad/bad-1`);
  });
});
