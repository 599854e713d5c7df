// Concurrent `config` changes take turns on the config file (a lock around read-modify-write): none is lost.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBin } from '../helpers/process.js';

describe('config set-context, eight at once', () => {
  const home = mkdtempSync(join(tmpdir(), 'micro-reg-config-race-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('every context survives, and no lock or temporary file is left', async () => {
    const env = { XDG_CONFIG_HOME: home };
    const names = Array.from({ length: 8 }, (_, i) => `ctx-${i}`);
    const runs = await Promise.all(names.map((n, i) => runBin(['config', 'set-context', n, '--endpoints', `127.0.0.1:${2379 + i}`], { env })));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const list = await runBin(['config', 'get-contexts', '-o', 'names'], { env });
    expect(list.stdout.trim().split('\n').sort()).toEqual(names);
    // And a change of one of them beside deletes of others: both kinds land.
    const mixed = await Promise.all([
      runBin(['config', 'delete-context', 'ctx-0'], { env }),
      runBin(['config', 'delete-context', 'ctx-1'], { env }),
      runBin(['config', 'set-context', 'ctx-2', '--layout', 'legacy'], { env }),
      runBin(['config', 'use-context', 'ctx-3'], { env }),
    ]);
    for (const r of mixed) expect(r.code, r.stderr).toBe(0);
    const after = await runBin(['config', 'get-contexts', '-o', 'json'], { env });
    const parsed = JSON.parse(after.stdout) as { name: string; current?: boolean; layout?: string }[];
    expect(parsed.map((c) => c.name).sort()).toEqual(names.slice(2));
    expect(parsed.find((c) => c.name === 'ctx-2')?.layout).toBe('legacy');
    expect(parsed.filter((c) => c.current).map((c) => c.name)).toEqual(['ctx-3']);
    expect(readdirSync(join(home, 'micro-reg'))).toEqual(['config.json']);
  });
});
