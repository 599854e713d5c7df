// The registry as data at size (issue 15): export, diff -f against the live registry, apply into an
// empty etcd and apply again (no writes), beside etcdctl's own dump. Medians of --runs, peak RSS.
// Usage: npm run build && node bench/data.mjs [--runs 5 --sizes 10000,30000]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdClient, measure, median, seed, startEtcd } from './lib.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const runs = Number(arg('runs', '5'));
const sizes = arg('sizes', '10000,30000').split(',').map(Number);
const bin = join(import.meta.dirname, '..', 'bin', 'micro-reg');
const dir = mkdtempSync(join(tmpdir(), 'micro-reg-bench-data-'));

const line = (name, xs) =>
  console.log(`${name.padEnd(40)} ${median(xs.map((x) => x.ms)).toFixed(0).padStart(6)} ms ${Math.max(...xs.map((x) => x.rssMb)).toFixed(0).padStart(5)} MB`);
const times = (n, f) => Array.from({ length: n }, f);

const source = await startEtcd();
const target = await startEtcd();
try {
  let seeded = 0;
  for (const size of sizes) {
    await seed(source.endpoint, seeded, size, 100);
    seeded = size;
    const from = { MICRO_REGISTRY_ADDRESS: source.endpoint };
    const into = { MICRO_REGISTRY_ADDRESS: target.endpoint };
    const exported = spawnSync(bin, ['export', '--no-ttl'], { env: { ...process.env, ...from }, encoding: 'utf8', maxBuffer: 1024 ** 3 });
    const file = join(dir, `snapshot-${size}.json`);
    writeFileSync(file, exported.stdout);
    console.log(`--- ${size} nodes (snapshot ${(exported.stdout.length / 1024 ** 2).toFixed(1)} MiB)`);
    line('etcdctl get --prefix -w json', times(runs, () => measure('etcdctl', ['--endpoints', source.endpoint, 'get', '--prefix', '/micro/registry/', '-w', 'json'])));
    line('export --no-ttl', times(runs, () => measure(bin, ['export', '--no-ttl'], from)));
    line('diff -f snapshot (no differences)', times(runs, () => measure(bin, ['diff', '-f', file], from)));
    // Into an empty etcd: one measurement (the next run would find everything there).
    const client = etcdClient(target.endpoint);
    await client.etcd.delete().prefix('/micro/registry/');
    client.close();
    line('apply -f snapshot (all created)', [measure(bin, ['apply', '-f', file, '-o', 'json'], into)]);
    line('apply -f snapshot again (no writes)', times(runs, () => measure(bin, ['apply', '-f', file, '-o', 'json'], into)));
  }
} finally {
  await Promise.all([source.stop(), target.stop()]);
  rmSync(dir, { recursive: true, force: true });
}
