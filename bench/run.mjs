// The whole benchmark (issue 7): micro-reg beside etcdctl on the same etcd, in the same run, alternating
// A/B and taking medians. Usage: npm run bench [-- --runs 7 --sizes 1000,10000,30000]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { measure, median, seed, startEtcd } from './lib.mjs';
import { watchBench } from './watch.mjs';

const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : def;
};
const runs = Number(arg('runs', '7'));
const sizes = arg('sizes', '1000,10000,30000').split(',').map(Number);
const bin = join(import.meta.dirname, '..', 'bin', 'micro-reg');
if (!existsSync('/usr/bin/time')) throw new Error('GNU time is needed for peak RSS: apt-get install time');

const results = { machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: Math.round(totalmem() / 1024 ** 3), node: process.version }, runs, rows: [] };
const row = (name, a, b) => {
  const r = { name, microReg: { ms: median(a.map((x) => x.ms)), rssMb: Math.max(...a.map((x) => x.rssMb)) } };
  if (b) {
    r.etcdctl = { ms: median(b.map((x) => x.ms)), rssMb: Math.max(...b.map((x) => x.rssMb)) };
    r.ratio = r.microReg.ms / r.etcdctl.ms;
  }
  results.rows.push(r);
  console.log(`${name.padEnd(34)} micro-reg ${r.microReg.ms.toFixed(0).padStart(6)} ms ${r.microReg.rssMb.toFixed(0).padStart(4)} MB` + (b ? `   etcdctl ${r.etcdctl.ms.toFixed(0).padStart(6)} ms ${r.etcdctl.rssMb.toFixed(0).padStart(4)} MB   ratio ${r.ratio.toFixed(2)}` : ''));
};

/** Alternates the two commands `runs` times (after one warm-up each) so drift hits both alike. */
function ab(name, a, b) {
  measure(...a);
  if (b) measure(...b);
  const ra = [];
  const rb = [];
  for (let i = 0; i < runs; i++) {
    ra.push(measure(...a));
    if (b) rb.push(measure(...b));
  }
  row(name, ra, b ? rb : undefined);
}

const etcd = await startEtcd();
try {
  const env = { MICRO_REGISTRY_ADDRESS: etcd.endpoint };
  const etcdctl = (...args) => ['etcdctl', ['--endpoints', etcd.endpoint, ...args], { ETCDCTL_API: '3' }];
  const mr = (...args) => [bin, args, env];

  ab('micro-reg --help', mr('--help'));
  await seed(etcd.endpoint, 0, 10, 10);
  ab('list, 10 services', mr('list'), etcdctl('get', '--prefix', '/micro/registry/', '-w', 'json'));
  let seeded = 10;
  for (const size of sizes) {
    await seed(etcd.endpoint, seeded, size, 100);
    seeded = size;
    ab(`list -o json, ${size} nodes`, mr('list', '-o', 'json'), etcdctl('get', '--prefix', '/micro/registry/', '-w', 'json'));
    ab(`get <service>, ${size} nodes`, mr('get', 'go.micro.srv.svc007'), etcdctl('get', '--prefix', '/micro/registry/go.micro.srv.svc007/', '-w', 'json'));
  }
  if (!process.argv.includes('--no-watch')) results.watch = await watchBench(etcd.endpoint, bin);
} finally {
  await etcd.stop();
}
mkdirSync(join(import.meta.dirname, '..', '.bench'), { recursive: true });
writeFileSync(join(import.meta.dirname, '..', '.bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log('results written to .bench/results.json');
