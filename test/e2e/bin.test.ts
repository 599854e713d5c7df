import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomPrefix, seed } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { binPath, childEnv, repoRoot, runBin } from '../helpers/process.js';
import { TmuxSession } from '../helpers/tmux.js';
import { startEtcd } from '../helpers/etcd.js';
import { closedAddress } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

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

  // A pipe holds 64 KiB: output much larger than that, into a reader that stops after 100 bytes, is sure
  // to meet a closed pipe (EPIPE) on a later write. The status of micro-reg itself (not of head) is checked.
  it('a reader that goes away early (| head -c 100) is no error: exit 0, nothing on stderr', async () => {
    const bigPrefix = `${randomPrefix()}micro/registry/`;
    const f = fixture('micro-v6-greeter');
    const padding = 'x'.repeat(8 * 1024);
    await seed(
      endpoint,
      Array.from({ length: 128 }, (_, i) => ({
        key: `${bigPrefix}go.micro.srv.big/n${i}`,
        value: JSON.stringify({ ...f.value, name: 'go.micro.srv.big', nodes: [{ id: `n${i}`, address: `10.0.0.${i}:8080`, metadata: { padding } }] }),
      })),
    );
    const whole = await runBin(['--prefix', bigPrefix, 'list', '-o', 'json'], { env });
    expect(whole.code).toBe(0);
    expect(whole.stdout.length).toBeGreaterThan(1024 * 1024);
    const script = `"$0" "$1" --prefix "$2" list -o json 2>"$3" | head -c 100; echo; echo "micro-reg exited $\{PIPESTATUS[0]}"`;
    const errFile = join(tmpdir(), `micro-reg-epipe-${process.pid}-${Date.now()}.err`);
    try {
      const r = spawnSync('bash', ['-c', script, process.execPath, binPath, bigPrefix, errFile], { encoding: 'utf8', env: childEnv(env), timeout: 30_000 });
      expect(r.stdout.startsWith(whole.stdout.slice(0, 100))).toBe(true);
      expect(r.stdout).toMatch(/\nmicro-reg exited 0\n$/);
      expect(readFileSync(errFile, 'utf8')).toBe('');
    } finally {
      rmSync(errFile, { force: true });
    }
  });

  // A long-running command's reader going away ends it (watch | head -n 1): exit 0, no error, the
  // process gone rather than watching into a closed pipe for ever.
  it('watch | head -n 1: micro-reg ends with exit 0 once head has gone, no error', async () => {
    const watchPrefix = `${randomPrefix()}micro/registry/`;
    const f = fixture('micro-v6-greeter');
    const node = (id: string) => ({ key: `${watchPrefix}go.micro.srv.greeter/${id}`, value: JSON.stringify({ ...f.value, nodes: [{ id, address: '10.0.0.1:8080', metadata: null }] }), ttl: 60 });
    // micro-reg's stdout is the pipe into head itself (the test keeps no end of it): when head exits,
    // micro-reg's next write meets a closed pipe.
    const head = spawn('head', ['-n', '1'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let headOut = '';
    head.stdout.setEncoding('utf8').on('data', (d: string) => (headOut += d));
    const watch = spawn(process.execPath, [binPath, '--prefix', watchPrefix, 'watch', '-o', 'json'], { stdio: ['ignore', head.stdin, 'pipe'], env: childEnv(env) });
    head.stdin.destroy();
    let stderr = '';
    watch.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => watch.once('exit', (code) => resolve(code)));
    let ended: number | null | undefined;
    void exited.then((code) => (ended = code));
    try {
      await waitFor(() => /watching 0 services/.test(stderr), 15_000, `the watch to start (stderr: ${stderr})`);
      // Each poll writes one more event: the first reaches head, a later one meets the closed pipe.
      let n = 0;
      await waitFor(async () => {
        if (ended !== undefined) return true;
        if (n < 100) await seed(endpoint, [node(`n${n++}`)]);
        return false;
      }, 30_000, 'watch to end after head went away', 100);
      expect(ended).toBe(0);
      expect(JSON.parse(headOut)).toMatchObject({ action: 'create', key: `${watchPrefix}go.micro.srv.greeter/n0` });
      expect(stderr).toMatch(/^watching 0 services, 0 nodes at revision \d+\n$/);
    } finally {
      for (const child of [watch, head]) if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
    }
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
    const down = await runBin(['--timeout', '1s', 'list'], { env: { MICRO_REGISTRY_ADDRESS: await closedAddress() } });
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
    const help = execFileSync(join(prefixDir, 'bin', 'micro-reg'), ['--help'], { encoding: 'utf8', env: childEnv() });
    expect(help).toContain('Usage: micro-reg');
  }, 180_000);
});
