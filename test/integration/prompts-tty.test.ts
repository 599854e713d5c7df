// The interactive register form and deregister's checkbox list, driven through a real pseudo-terminal
// (tmux) running the built bin/micro-reg, typing keys as a person would.
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { etcdClient, randomPrefix, seed } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { binPath } from '../helpers/process.js';
import { TmuxSession } from '../helpers/tmux.js';

const endpoint = inject('etcdEndpoint');
const client = etcdClient(endpoint);
const sessions: TmuxSession[] = [];
afterEach(() => {
  for (const s of sessions.splice(0)) s.close();
});
afterAll(() => client.close());

function session(args: string[]): TmuxSession {
  const s = new TmuxSession(args);
  sessions.push(s);
  return s;
}

const keys = async (prefix: string) => (await client.rangePrefix(prefix)).kvs;

describe('interactive prompts on a real terminal', () => {
  it('register asks for what is missing, validates as the flags do, and writes the record', async () => {
    const prefix = randomPrefix();
    const t = session(['--endpoints', endpoint, '--prefix', prefix, 'register', '--ttl', '30']);
    await t.answer(/Service name/, 'form.svc');
    await t.answer(/Node address/, 'nohost');
    await t.waitForScreen(/expected host:port/);
    for (let i = 0; i < 'nohost'.length; i++) t.keys('BSpace');
    t.type('10.9.9.9:7000');
    t.keys('Enter');
    await t.answer(/Version/, '');
    await t.answer(/Node id/, 'form-1');
    await t.answer(/Node metadata/, 'team=core,tier=1');
    await t.answer(/Endpoints/, 'Say.Hello');
    await t.answer(/Keep the node registered/, '');
    expect(await t.exitCode()).toBe(0);
    const kvs = await keys(prefix);
    expect(kvs.map((k) => k.key)).toEqual([`${prefix}form.svc/form-1`]);
    expect(Buffer.from(kvs[0]!.value).toString()).toBe(
      '{"name":"form.svc","version":"latest","metadata":null,"endpoints":[{"request":null,"response":null,"metadata":{},"name":"Say.Hello"}],"nodes":[{"metadata":{"team":"core","tier":"1"},"id":"form-1","address":"10.9.9.9:7000"}]}',
    );
    expect(await client.leaseTtl(kvs[0]!.lease!)).toBeGreaterThan(20);
  });

  it('Ctrl-C in the form exits 130 and writes nothing', async () => {
    const prefix = randomPrefix();
    const t = session(['--endpoints', endpoint, '--prefix', prefix, 'register', '--name', 'x']);
    await t.waitForScreen(/Node address/);
    t.keys('C-c');
    expect(await t.exitCode()).toBe(130);
    expect(await keys(prefix)).toHaveLength(0);
  });

  describe('deregister', () => {
    const f = fixture('micro-v6-greeter');
    const id = 'go.micro.srv.greeter-d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12';
    async function seeded() {
      const prefix = randomPrefix();
      await seed(
        endpoint,
        ['n1', 'n2', 'n3'].map((n) => ({ key: f.key.replace('/micro/registry/', prefix).replace(id, n), value: f.bytes.replaceAll(id, n), ttl: 60 })),
      );
      const remaining = async () => (await keys(prefix)).map((k) => k.key.slice(k.key.lastIndexOf('/') + 1));
      return { prefix, remaining };
    }

    it('a checkbox list of the nodes, then a confirmation: removes the chosen ones', async () => {
      const s = await seeded();
      const t = session(['--endpoints', endpoint, '--prefix', s.prefix, 'deregister', 'go.micro.srv.greeter']);
      await t.waitForScreen(/n1[\s\S]*n2[\s\S]*n3/);
      t.keys('Space');
      t.keys('Down');
      t.keys('Down');
      t.keys('Space');
      t.keys('Enter');
      await t.waitForScreen(/Deregister 2 nodes of go\.micro\.srv\.greeter\? \(y\/N\)/);
      t.type('y');
      t.keys('Enter');
      expect(await t.exitCode()).toBe(0);
      expect(await s.remaining()).toEqual(['n2']);
      expect(t.screen()).toMatch(/removed 2 nodes of go\.micro\.srv\.greeter/);
    });

    it('the confirmation defaults to no: Enter keeps everything (exit 130)', async () => {
      const s = await seeded();
      const t = session(['--endpoints', endpoint, '--prefix', s.prefix, 'deregister', 'go.micro.srv.greeter', '--node', 'n3']);
      await t.waitForScreen(/Deregister 1 node of go\.micro\.srv\.greeter\? \(y\/N\)/);
      expect(t.screen()).toMatch(/n3\s+10\.0\.0\.5:54321/);
      t.keys('Enter');
      expect(await t.exitCode()).toBe(130);
      expect(await s.remaining()).toEqual(['n1', 'n2', 'n3']);
    });
  });

  describe('register says what it made', () => {
    it('the form asks for the TTL and whether to keep the node registered; yes stays in the foreground until Ctrl-C', async () => {
      const prefix = randomPrefix();
      // In an interactive shell, so that Ctrl-C goes to micro-reg's process group only, as on a person's terminal.
      const t = new TmuxSession([], { shellCommand: 'bash --norc --noprofile' });
      sessions.push(t);
      t.keys(`PS1='$ '; ${process.execPath} ${binPath} --endpoints ${endpoint} --prefix ${prefix} register --name ttl.svc --version 1 --id ttl-1 --meta a=b --endpoint E; echo EXIT=$?`, 'Enter');
      await t.answer(/Node address/, '10.1.1.1:1');
      await t.answer(/TTL in seconds \(0: never expires\)/, '45');
      await t.waitForScreen(/Keep the node registered/);
      t.type('y');
      t.keys('Enter');
      await t.waitForScreen(/keeping lease [0-9a-f]+ alive/);
      const kvs = await keys(prefix);
      expect(kvs).toHaveLength(1);
      const ttl = await client.leaseTtl(kvs[0]!.lease!);
      expect(ttl).toBeGreaterThan(30);
      expect(ttl).toBeLessThanOrEqual(45);
      t.keys('C-c');
      await t.waitForScreen(/EXIT=0/);
      expect(await keys(prefix)).toHaveLength(0);
    });

    it('a one-shot registration on a terminal ends with a note that the record expires', async () => {
      const prefix = randomPrefix();
      const t = session(['--endpoints', endpoint, '--prefix', prefix, 'register', '--name', 'note.svc', '--address', '10.1.1.1:1']);
      expect(await t.exitCode()).toBe(0);
      expect(t.screen()).toMatch(/note: the record expires in 1m0s unless renewed: run with --keepalive/);
    });
  });
});
