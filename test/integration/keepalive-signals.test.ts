// SIGTERM at any moment of `register --keepalive`'s start-up leaves no record and no lease behind: 50
// runs, three at a time, signalled at delays spread evenly from the spawn to a little past the moment a
// run says "keeping lease" (measured first on this machine, at the same concurrency, so the sweep covers
// the module loading, the lease grant, the put and the first renewals however loaded the machine is),
// against an etcd of their own so that its whole lease list can be checked.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdClient, randomPrefix } from '../helpers/cli.js';
import { type EtcdServer, etcdctl, startEtcd } from '../helpers/etcd.js';
import { killAll, spawnCli } from '../helpers/process.js';

const runs = 50;
const concurrency = 3;

describe('register --keepalive signalled during start-up', () => {
  let etcd: EtcdServer;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    killAll();
    await etcd.stop();
  });

  it(`${runs} runs, SIGTERM at every point of the start-up: nothing of theirs is left`, async () => {
    const prefix = randomPrefix();
    const keepalive = (id: string) => spawnCli(['--endpoints', etcd.endpoint, '--prefix', prefix, 'register', '--name', 'sig', '--address', '10.0.0.1:80', '--id', id, '--ttl', '60', '--keepalive']);

    // How long a start-up takes here, at this concurrency.
    const calibration = await Promise.all(
      Array.from({ length: concurrency }, async (_, i) => {
        const started = Date.now();
        const reg = keepalive(`calibrate-${i}`);
        await reg.waitForStderr(/keeping lease/, 20_000);
        const took = Date.now() - started;
        reg.signal('SIGTERM');
        expect((await reg.exited()).code).toBe(0);
        return took;
      }),
    );
    const span = Math.ceil(Math.max(...calibration) * 1.25);

    const outcomes: { delay: number; code: number | null; signal: NodeJS.Signals | null; stderr: string }[] = [];
    const delays = Array.from({ length: runs }, (_, i) => Math.round((i * span) / (runs - 1)));
    const worker = async (): Promise<void> => {
      for (let delay = delays.shift(); delay !== undefined; delay = delays.shift()) {
        const reg = keepalive(`sig-${delay}`);
        await new Promise((r) => setTimeout(r, delay));
        reg.signal('SIGTERM');
        const { code, signal } = await reg.exited(15_000);
        outcomes.push({ delay, code, signal, stderr: reg.stderr() });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));

    const summary = `start-up ${calibration.join('/')} ms; ${outcomes
      .sort((a, b) => a.delay - b.delay)
      .map((o) => `${o.delay}:${o.signal ?? o.code}${/deregistered/.test(o.stderr) ? 'D' : ''}`)
      .join(' ')}`;
    // Killed before its handlers were in place (nothing granted yet), or ended by them: never an error.
    for (const o of outcomes) expect(o.signal === 'SIGTERM' || o.code === 0, `delay ${o.delay}: code ${o.code}, signal ${o.signal}: ${o.stderr}`).toBe(true);
    const client = etcdClient(etcd.endpoint);
    try {
      expect((await client.rangePrefix(prefix)).kvs.map((kv) => kv.key), summary).toEqual([]);
    } finally {
      client.close();
    }
    expect(etcdctl(etcd, ['lease', 'list']).trim(), summary).toBe('found 0 leases');
    // The sweep reached past the write: some runs had registered and deregistered when signalled.
    expect(outcomes.filter((o) => /deregistered/.test(o.stderr)).length, summary).toBeGreaterThan(0);
  });
});
