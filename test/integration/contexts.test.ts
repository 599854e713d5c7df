import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomPrefix, runCli, seed } from '../helpers/cli.js';
import { closedAddress } from '../helpers/ports.js';
import { fixture } from '../helpers/fixtures.js';

const endpoint = inject('etcdEndpoint');

describe('contexts from $XDG_CONFIG_HOME/micro-reg/config.json against a real etcd', () => {
  const homes: string[] = [];
  const prefixA = randomPrefix();
  const prefixB = randomPrefix();
  let deadEndpoint: string;

  /** A config home of its own for each test: nothing one test writes changes what another reads. */
  const freshHome = (): { env: { XDG_CONFIG_HOME: string }; configPath: string } => {
    const configHome = mkdtempSync(join(tmpdir(), 'micro-reg-config-'));
    homes.push(configHome);
    return { env: { XDG_CONFIG_HOME: configHome }, configPath: join(configHome, 'micro-reg', 'config.json') };
  };

  /** A config home holding contexts a (current), b (with a user) and b2, as the first test makes them. */
  const configured = async (): Promise<{ env: { XDG_CONFIG_HOME: string }; configPath: string }> => {
    const home = freshHome();
    for (const args of [
      ['a', '--endpoints', endpoint, '--prefix', prefixA, '--timeout', '2s'],
      ['b', '--endpoints', endpoint, '--prefix', prefixB, '--user', 'ops:hunter2'],
      ['b2', '--endpoints', endpoint, '--prefix', prefixB],
    ]) {
      const r = await runCli(['config', 'set-context', ...args], { env: home.env });
      expect(r.code, r.stderr).toBe(0);
    }
    expect((await runCli(['config', 'use-context', 'a'], { env: home.env })).code).toBe(0);
    return home;
  };

  const names = async (env: Record<string, string>, args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; names: string[]; stderr: string }> => {
    const r = await runCli([...args, 'list', '-o', 'names'], { env: { ...env, ...extraEnv } });
    return { code: r.code, names: r.stdout.split('\n').filter(Boolean), stderr: r.stderr };
  };

  beforeAll(async () => {
    deadEndpoint = await closedAddress();
    const v6 = fixture('micro-v6-greeter');
    const rename = (name: string): string => v6.bytes.replace('"go.micro.srv.greeter"', `"${name}"`);
    await seed(endpoint, [
      { key: `${prefixA}svc.a/n1`, value: rename('svc.a').replace(/"id":"[^"]+"/, '"id":"n1"') },
      { key: `${prefixB}svc.b/n1`, value: rename('svc.b').replace(/"id":"[^"]+"/, '"id":"n1"') },
    ]);
  });

  afterAll(() => {
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  it('set-context writes a private file; use-context makes later commands use it', async () => {
    const { env, configPath } = freshHome();
    expect((await runCli(['config', 'set-context', 'a', '--endpoints', endpoint, '--prefix', prefixA, '--timeout', '2s'], { env })).code).toBe(0);
    expect((await runCli(['config', 'set-context', 'b', '--endpoints', endpoint, '--prefix', prefixB, '--user', 'ops:hunter2'], { env })).code).toBe(0);
    expect(statSync(configPath).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(configPath, 'utf8')).contexts.a).toEqual({ endpoints: [endpoint], timeout: '2s', prefix: prefixA });

    expect((await runCli(['config', 'use-context', 'a'], { env })).code).toBe(0);
    expect((await runCli(['config', 'current-context'], { env })).stdout).toBe('a\n');
    expect(await names(env, [])).toMatchObject({ code: 0, names: ['svc.a'] });
  });

  it('--context and MICRO_REG_CONTEXT pick another context; --context wins over the environment', async () => {
    // Context b has a user, and this etcd has no authentication: b2 is the same without the user.
    const { env } = await configured();
    expect(await names(env, ['--context', 'b2'])).toMatchObject({ code: 0, names: ['svc.b'] });
    expect(await names(env, [], { MICRO_REG_CONTEXT: 'b2' })).toMatchObject({ code: 0, names: ['svc.b'] });
    expect(await names(env, ['--context', 'a'], { MICRO_REG_CONTEXT: 'b2' })).toMatchObject({ code: 0, names: ['svc.a'] });
  });

  it('the environment overrides the context, and flags override the environment', async () => {
    const { env } = await configured();
    const viaEnv = await names(env, [], { MICRO_REGISTRY_ADDRESS: deadEndpoint });
    expect(viaEnv.code).toBe(4);
    expect(viaEnv.stderr).toContain(deadEndpoint);
    // …and one warning line says which variable overrode what of the context.
    expect(viaEnv.stderr.split('\n')[0]).toBe('warning: the environment overrides context "a": MICRO_REGISTRY_ADDRESS (endpoints); pass --context a to use the context\'s settings');
    expect(viaEnv.stderr.match(/warning:/g)).toHaveLength(1);
    expect(await names(env, ['--endpoints', endpoint], { MICRO_REGISTRY_ADDRESS: deadEndpoint })).toMatchObject({ code: 0, names: ['svc.a'] });
    // The prefix of the context still applies when only the endpoints come from elsewhere; a flag replaces it.
    expect(await names(env, ['--prefix', prefixB])).toMatchObject({ code: 0, names: ['svc.b'] });
  });

  it('an explicit --context wins over the environment for the settings it defines, without a warning', async () => {
    const { env } = await configured();
    const explicit = await names(env, ['--context', 'a'], { MICRO_REGISTRY_ADDRESS: deadEndpoint, MICRO_REG_TIMEOUT: '1s' });
    expect(explicit).toMatchObject({ code: 0, names: ['svc.a'], stderr: '' });
    // A setting the context does not define still comes from the environment.
    const layout = await names(env, ['--context', 'a'], { MICRO_REG_LAYOUT: 'nonsense' });
    expect(layout.code).toBe(2);
    expect(layout.stderr).toMatch(/invalid MICRO_REG_LAYOUT/);
    // Flags still win over the context.
    expect(await names(env, ['--context', 'a', '--endpoints', deadEndpoint, '--timeout', '1s'], { MICRO_REGISTRY_ADDRESS: endpoint })).toMatchObject({ code: 4 });
  });

  it('an unknown context is a usage error that lists the known ones', async () => {
    const { env } = await configured();
    const r = await runCli(['--context', 'nope', 'list'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('context "nope" (from --context) does not exist');
    expect(r.stderr).toContain('hint: known contexts: a, b, b2');
  });

  it('get-contexts masks passwords; a readable file with a password gets a warning', async () => {
    const { env, configPath } = await configured();
    const r = await runCli(['config', 'get-contexts', '-o', 'json'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('hunter2');
    const views = JSON.parse(r.stdout);
    expect(views.map((v: { name: string; current: boolean }) => [v.name, v.current])).toEqual([['a', true], ['b', false], ['b2', false]]);
    expect(views[1]).toMatchObject({ user: 'ops', password: '********' });
    expect(r.stderr).toBe('');

    chmodSync(configPath, 0o644);
    const warned = await runCli(['list', '-o', 'names'], { env });
    expect(warned.code).toBe(0);
    expect(warned.stderr).toMatch(/warning: .*config\.json holds a password and can be read by others \(mode 0644\): run chmod 600/);
    // Rewriting the file makes it private again.
    expect((await runCli(['config', 'delete-context', 'b'], { env })).code).toBe(0);
    expect(statSync(configPath).mode & 0o777).toBe(0o600);
    const table = await runCli(['config', 'get-contexts'], { env });
    expect(table.stdout.split('\n')[1]).toMatch(/^\*\ta\t/);
  });
});
