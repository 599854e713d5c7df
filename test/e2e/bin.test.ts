import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomPrefix, seed } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { binPath, repoRoot, runBin } from '../helpers/process.js';
import { TmuxSession } from '../helpers/tmux.js';
import { freePort, startEtcd } from '../helpers/etcd.js';

const endpoint = inject('etcdEndpoint');

describe('bin/micro-reg as a process', () => {
  const prefix = `${randomPrefix()}micro/registry/`;
  const env = { MICRO_REGISTRY_ADDRESS: endpoint };

  beforeAll(async () => {
    const f = fixture('micro-v2-greeter');
    await seed(endpoint, [
      { key: f.key.replace('/micro/registry/', prefix), value: f.bytes, ttl: 120 },
      { key: `${prefix}broken/broken-1`, value: '{"name":' },
    ]);
  });

  it('--help of the program and every command exits 0 with examples', async () => {
    const top = await runBin(['--help']);
    expect(top.code).toBe(0);
    const commands = [...top.stdout.matchAll(/^ {2}([a-z]+)(?:\|[a-z]+)? .*$/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
    expect(commands).toEqual(expect.arrayContaining(['list', 'get']));
    for (const c of commands) {
      const r = await runBin([c, '--help']);
      expect(r.code, c).toBe(0);
      expect(r.stdout, c).toMatch(/Examples:\n(?: {2}.*micro-reg.*\n){2,}/);
    }
  });

  it('a reader that goes away early (| head) is no error', () => {
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${binPath}" --help | head -1; echo "status=\${PIPESTATUS:-ok}"`], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/^Usage: micro-reg/);
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
  });

  it('list -o json: stdout parses, warnings go to stderr', async () => {
    const r = await runBin(['--prefix', prefix, 'list', '-o', 'json'], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((s: { name: string }) => s.name)).toEqual(['go.micro.srv.greeter']);
    expect(r.stderr).toBe(`warning: skipped malformed record ${prefix}broken/broken-1: the value is not JSON\n`);
  });

  it('piped table output is tab-separated and colourless', async () => {
    const r = await runBin(['--prefix', prefix, 'get', 'go.micro.srv.greeter'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\x1b[');
    expect(r.stdout).toMatch(/^NODE\tADDRESS\tTTL\tMETADATA$/m);
    expect(r.stdout).toMatch(/\t1m[45]\ds\t/);
  });

  it('exit codes: 3 not found, 2 usage, 4 unreachable; one error line and a hint', async () => {
    const notFound = await runBin(['--prefix', prefix, 'get', 'nope'], { env });
    expect(notFound.code).toBe(3);
    const usage = await runBin(['list', '--no-such-flag'], { env });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toBe("error: unknown option '--no-such-flag'\nhint: see micro-reg list --help\n");
    const down = await runBin(['--timeout', '1s', 'list'], { env: { MICRO_REGISTRY_ADDRESS: `127.0.0.1:${await freePort()}` } });
    expect(down.code).toBe(4);
    expect(down.stderr).toMatch(/^error: cannot reach etcd at .*\nhint: .*\n$/);
    const strict = await runBin(['--prefix', prefix, '--strict', 'list', '-o', 'json'], { env });
    expect(strict.code).toBe(6);
    expect(JSON.parse(strict.stderr)).toMatchObject({ error: { code: 'malformed_record', exitCode: 6 } });
  });

  it('on a terminal: a coloured, aligned table', async () => {
    const session = new TmuxSession(['--prefix', prefix, 'list'], { env, width: 120 });
    try {
      expect(await session.exitCode()).toBe(0);
      const screen = session.screen();
      expect(screen).toMatch(/^NAME\s{3,}VERSION\s{3,}NODES\s{3,}ENDPOINTS$/m);
      expect(screen).toMatch(/^go\.micro\.srv\.greeter\s{3,}latest\s{3,}1\s{3,}3$/m);
      expect(session.screen(true)).toContain('\x1b[');
    } finally {
      session.close();
    }
  });
});

describe('a slow read on a terminal', () => {
  it('shows a spinner on stderr after ~300 ms, and none when piped', async () => {
    const server = await startEtcd();
    const session = new TmuxSession(['--endpoints', server.endpoint, '--timeout', '3s', 'list'], { width: 100 });
    try {
      process.kill(server.pid, 'SIGSTOP');
      await session.waitForScreen(/reading the registry…/, 5000);
      expect(await session.exitCode()).toBe(4);
      const piped = await runBin(['--endpoints', server.endpoint, '--timeout', '1s', 'list']);
      expect(piped.code).toBe(4);
      expect(piped.stderr).not.toContain('reading the registry');
    } finally {
      session.close();
      process.kill(server.pid, 'SIGCONT');
      await server.stop();
    }
  });
});

describe('the npm package', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'micro-reg-pack-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('packs only bin, dist, README and licence, and installs globally and runs', () => {
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: repoRoot, encoding: 'utf8' }));
    const files: string[] = packed[0].files.map((f: { path: string }) => f.path);
    expect(files.every((f) => /^(bin\/|dist\/|README\.md$|LICENSE$|package\.json$)/.test(f)), files.join(' ')).toBe(true);
    expect(files).toContain('bin/micro-reg');
    expect(files).toContain('dist/cli.js');
    const prefixDir = join(dir, 'global');
    execFileSync('npm', ['install', '-g', '--prefix', prefixDir, '--prefer-offline', '--no-audit', '--no-fund', join(dir, packed[0].filename)], { stdio: 'pipe' });
    const help = execFileSync(join(prefixDir, 'bin', 'micro-reg'), ['--help'], { encoding: 'utf8' });
    expect(help).toContain('Usage: micro-reg');
  }, 180_000);
});
