// Output that cannot be written is an error with its own exit code (10), never silence and never a
// crash: stdout is /dev/full (every write fails with ENOSPC). EPIPE stays a quiet end (watch.test.ts).
import { closeSync, openSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdClient, randomPrefix, runCli, seed } from '../helpers/cli.js';
import { type EtcdServer, startEtcd } from '../helpers/etcd.js';
import { fixture } from '../helpers/fixtures.js';
import { killAll, spawnCli } from '../helpers/process.js';

describe('stdout that fails (/dev/full)', () => {
  let etcd: EtcdServer;
  let prefix: string;
  let full: number;

  beforeAll(async () => {
    etcd = await startEtcd();
    prefix = randomPrefix();
    const f = fixture('micro-v6-greeter');
    await seed(etcd.endpoint, [{ key: `${prefix}${f.key.split('/').slice(-2).join('/')}`, value: f.bytes }]);
    full = openSync('/dev/full', 'w');
  });
  afterAll(async () => {
    killAll();
    closeSync(full);
    await etcd.stop();
  });

  const run = (args: string[]) => spawnCli(['--endpoints', etcd.endpoint, '--prefix', prefix, ...args], {}, { stdoutFd: full });

  for (const args of [['list'], ['list', '-o', 'json'], ['get', 'go.micro.srv.greeter'], ['get', 'go.micro.srv.greeter', '-o', 'json']]) {
    it(`${args.join(' ')}: exit 10 and one error line`, async () => {
      const p = run(args);
      const { code } = await p.exited();
      expect(code).toBe(10);
      const json = args.includes('json');
      if (json) expect(JSON.parse(p.stderr().trim())).toMatchObject({ error: { code: 'output_failed', exitCode: 10, message: 'cannot write to standard output: ENOSPC' } });
      else expect(p.stderr()).toBe('error: cannot write to standard output: ENOSPC\nhint: the disk or device behind standard output is full\n');
    });
  }

  it('watch -o json: exit 10 at the first event, no stack trace', async () => {
    const p = run(['watch', '-o', 'json']);
    await p.waitForStderr(/watching/);
    expect((await runCli(['--endpoints', etcd.endpoint, '--prefix', prefix, 'register', '--name', 'go.micro.srv.other', '--address', '10.0.0.5:80', '--ttl', '30'])).code).toBe(0);
    const { code } = await p.exited();
    expect(code).toBe(10);
    expect(p.stderr()).toMatch(/\n\{"error":\{"code":"output_failed","exitCode":10,"message":"cannot write to standard output: ENOSPC"/);
    expect(p.stderr()).not.toMatch(/\n\s+at /);
  });

  it('register --keepalive -o json: deregisters what it wrote, revokes its lease, exit 10', async () => {
    const key = `${prefix}full/full-1`;
    const p = run(['register', '--name', 'full', '--address', '10.0.0.1:80', '--id', 'full-1', '--ttl', '30', '--keepalive', '-o', 'json']);
    const { code } = await p.exited();
    expect(code).toBe(10);
    expect(p.stderr()).toMatch(/stdout failed \(ENOSPC\): deregistering…\nderegistered .*full-1; lease ([0-9a-f]+) revoked\n\{"error":\{"code":"output_failed","exitCode":10,"message":"cannot write to standard output: ENOSPC"/);
    const client = etcdClient(etcd.endpoint);
    try {
      expect((await client.rangePrefix(key)).kvs).toHaveLength(0);
      const lease = BigInt(`0x${/lease ([0-9a-f]+) revoked/.exec(p.stderr())![1]}`).toString();
      expect(await client.leaseTtl(lease)).toBe(-1);
    } finally {
      client.close();
    }
  });
});
