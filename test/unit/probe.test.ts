import { describe, expect, it } from 'vitest';
import { type ProbeResult, probeAll, probeTcp } from '../../src/probe.js';

describe('probeAll', () => {
  it('keeps at most `concurrency` probes in flight and returns results in input order', async () => {
    let inFlight = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const probe = (address: string): Promise<ProbeResult> => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      return new Promise((resolve) => {
        release.push(() => {
          inFlight--;
          resolve({ reachable: true, latencyMs: Number(address) });
        });
      });
    };
    const addresses = Array.from({ length: 20 }, (_, i) => String(i));
    const done = probeAll(addresses, { concurrency: 3, timeoutMs: 1000, probe });
    // Release probes one by one, newest last, until all have run (bounded by the count).
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setImmediate(r));
      release.shift()?.();
    }
    const results = await done;
    expect(peak).toBe(3);
    expect(results.map((r) => (r.reachable ? r.latencyMs : -1))).toEqual(addresses.map(Number));
  });

  it('explains addresses it cannot connect to without trying', async () => {
    expect(await probeTcp('', 100)).toEqual({ reachable: false, reason: 'the node has no address' });
    expect(await probeTcp('10.0.0.5', 100)).toEqual({ reachable: false, reason: 'the address "10.0.0.5" has no host:port' });
    expect(await probeTcp('10.0.0.5:0', 100)).toEqual({ reachable: false, reason: 'the port 0 is out of range' });
  });
});
