// The whole benchmark (issues 7 and 17): micro-reg beside etcdctl on the same etcd, in the same run,
// alternating A/B and taking medians. Usage: npm run bench [-- --runs 7 --sizes 1000,10000,30000]
// --only-issue17: just issue 17's registry (3,000 services × 10 nodes of go-micro v6 records, a fresh
// etcd): the output check, `list -o json` beside etcdctl, and `get` of a missing service beside a present one.
// --no-issue17: everything else.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { checkIdentical } from './identical.mjs';
import { measure, median, seed, startEtcd, v6Only } from './lib.mjs';
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
/** One result row; `b` is etcdctl unless `bName` says otherwise. The ratio is the median of the A/B pairs. */
const row = (name, a, b, bName = 'etcdctl') => {
  const r = { name, microReg: { ms: median(a.map((x) => x.ms)), rssMb: Math.max(...a.map((x) => x.rssMb)) } };
  if (b) {
    r[bName] = { ms: median(b.map((x) => x.ms)), rssMb: Math.max(...b.map((x) => x.rssMb)) };
    r.ratio = median(a.map((x, i) => x.ms / b[i].ms));
  }
  results.rows.push(r);
  console.log(`${name.padEnd(34)} micro-reg ${r.microReg.ms.toFixed(0).padStart(6)} ms ${r.microReg.rssMb.toFixed(0).padStart(4)} MB` + (b ? `   ${bName} ${r[bName].ms.toFixed(0).padStart(6)} ms ${r[bName].rssMb.toFixed(0).padStart(4)} MB   ratio ${r.ratio.toFixed(2)}` : ''));
};

/** Alternates the two commands `runs` times (after one warm-up each) so drift hits both alike. */
function ab(name, a, b, bName) {
  measure(...a);
  if (b) measure(...b);
  const ra = [];
  const rb = [];
  for (let i = 0; i < runs; i++) {
    ra.push(measure(...a));
    if (b) rb.push(measure(...b));
  }
  row(name, ra, b ? rb : undefined, bName);
}

const only17 = process.argv.includes('--only-issue17');
const with17 = !process.argv.includes('--no-issue17');

const etcd = only17 ? undefined : await startEtcd();
if (etcd) try {
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

// Issue 17: go-micro's own client (ListServices) took 0.71× etcdctl's time on this registry, measured
// beside both on the same etcd; it cannot be run here (no Go toolchain), so 0.71× etcdctl is its stand-in.
if (with17) {
  const etcd17 = await startEtcd();
  try {
    const env = { MICRO_REGISTRY_ADDRESS: etcd17.endpoint };
    const mr = (...args) => [bin, args, env];
    await seed(etcd17.endpoint, 0, 30000, 3000, v6Only);
    const { bytes } = checkIdentical(bin, etcd17.endpoint);
    console.log(`list -o json output: identical to the reference (${bytes} bytes)`);
    results.issue17 = { outputIdentical: true, outputBytes: bytes, goMicroVsEtcdctl: 0.71 };
    ab('17: list -o json, 3,000 × 10 v6', mr('list', '-o', 'json'), ['etcdctl', ['--endpoints', etcd17.endpoint, 'get', '--prefix', '/micro/registry/', '-w', 'json'], { ETCDCTL_API: '3' }]);
    // A missing service (exit 3, close names from a keys-only range) beside a present one of 10 nodes.
    ab('17: get missing vs present', [bin, ['get', 'go.micro.srv.svc0077'], env, [3]], mr('get', 'go.micro.srv.svc077'), 'get-present');
  } finally {
    await etcd17.stop();
  }
}
mkdirSync(join(import.meta.dirname, '..', '.bench'), { recursive: true });
writeFileSync(join(import.meta.dirname, '..', '.bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log('results written to .bench/results.json');
