// `--user NAME` without a password: on a terminal micro-reg asks for it with a masked prompt (as
// etcdctl does); without a terminal it is a usage error that names --password-stdin.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdServer, etcdctl, startEtcd } from '../helpers/etcd.js';
import { runBin } from '../helpers/process.js';
import { TmuxSession } from '../helpers/tmux.js';

const record = `{"name":"svc","version":"1","metadata":null,"endpoints":[],"nodes":[{"id":"svc-1","address":"10.0.0.1:1","metadata":null}]}`;

describe('the password prompt', () => {
  let server: EtcdServer;
  const sessions: TmuxSession[] = [];
  beforeAll(async () => {
    server = await startEtcd();
    etcdctl(server, ['put', '/micro/registry/svc/svc-1', record]);
    etcdctl(server, ['user', 'add', 'root:rootpw']);
    etcdctl(server, ['auth', 'enable']);
  });
  afterAll(async () => {
    for (const s of sessions) s.close();
    await server.stop();
  });

  it('on a terminal: asks, shows * for each character, and uses the password', async () => {
    const t = new TmuxSession(['--endpoints', server.endpoint, '--user', 'root', 'list', '-o', 'names'], { captureStdout: true });
    sessions.push(t);
    await t.waitForScreen(/Password for etcd user "root"/);
    t.type('rootpw');
    await t.waitForScreen(/Password for etcd user "root": \*{6}/);
    expect(t.screen()).not.toContain('rootpw');
    t.keys('Enter');
    expect(await t.exitCode()).toBe(0);
    expect(t.stdout()).toBe('svc\n');
  });

  it('a wrong password typed at the prompt exits 5', async () => {
    const t = new TmuxSession(['--endpoints', server.endpoint, '--user', 'root', 'list'], { captureStdout: true });
    sessions.push(t);
    await t.answer(/Password for etcd user "root"/, 'nope');
    expect(await t.exitCode()).toBe(5);
  });

  it('Ctrl-C at the prompt exits 130', async () => {
    const t = new TmuxSession(['--endpoints', server.endpoint, '--user', 'root', 'list']);
    sessions.push(t);
    await t.waitForScreen(/Password for etcd user "root"/);
    t.keys('C-c');
    expect(await t.exitCode()).toBe(130);
  });

  it('config set-context --user on a terminal stores the user and asks nothing (it does not log in)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'micro-reg-pw-config-'));
    try {
      const t = new TmuxSession(['config', 'set-context', 'ops', '--endpoints', server.endpoint, '--user', 'ops'], { env: { XDG_CONFIG_HOME: home } });
      sessions.push(t);
      expect(await t.exitCode()).toBe(0);
      expect(t.screen()).not.toMatch(/Password/);
      expect(t.screen()).toMatch(/Context "ops" created/);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('without a terminal: exit 2, and the hint names --password-stdin', async () => {
    const r = await runBin(['--endpoints', server.endpoint, '--user', 'root', 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: no password for user "root"\nhint: .*--password-stdin/);
  });
});
