#!/usr/bin/env node
// Throughput and memory of `micro-reg watch -o json` under a write storm (issue 4: 5,000 events/s for
// 10 s without unbounded memory). Not a test: run it by hand against an etcd you own, after `npm run build`.
//   ETCD=127.0.0.1:2379 RATE=5000 SECONDS=10 node bench/watch-throughput.mjs
// Writes RATE puts a second under a fresh prefix, runs the built watcher as a process, counts its
// lines, and samples its resident memory once a second.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EtcdClient } from '../dist/registry/client.js';

const endpoint = process.env.ETCD ?? '127.0.0.1:2379';
const rate = Number(process.env.RATE ?? 5000);
const seconds = Number(process.env.SECONDS ?? 10);
const prefix = `/bench-${Date.now()}/micro/registry/`;
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'micro-reg');

const client = new EtcdClient({ endpoints: [endpoint], tls: false, insecureSkipVerify: false, timeoutMs: 5000 });
const watcher = spawn(process.execPath, [bin, 'watch', '-o', 'json', '--endpoints', endpoint, '--prefix', prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
let lines = 0;
let started = false;
watcher.stdout.on('data', (chunk) => {
  for (const b of chunk) if (b === 10) lines++;
});
watcher.stderr.on('data', (chunk) => {
  if (/watching/.test(chunk.toString())) started = true;
});
const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${watcher.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

for (let i = 0; i < 100 && !started; i++) await new Promise((r) => setTimeout(r, 50));
const value = (i) => JSON.stringify({ name: 'bench', version: '1', metadata: null, endpoints: [], nodes: [{ id: `n-${i % 1000}`, address: `10.0.${(i >> 8) & 255}.${i & 255}:1`, metadata: { i: String(i) } }] });
let written = 0;
const samples = [];
const t0 = Date.now();
for (let s = 0; s < seconds; s++) {
  const tick = Date.now();
  const batch = [];
  for (let k = 0; k < rate; k++) {
    const i = written++;
    batch.push(client.put(`${prefix}bench/n-${i % 1000}`, value(i)));
    if (batch.length >= 200) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  samples.push({ second: s + 1, written, seen: lines, rssMiB: Math.round(rssMiB()) });
  const rest = 1000 - (Date.now() - tick);
  if (rest > 0) await new Promise((r) => setTimeout(r, rest));
}
for (let i = 0; i < 200 && lines < written; i++) await new Promise((r) => setTimeout(r, 50));
const elapsed = (Date.now() - t0) / 1000;
console.table(samples);
console.log(`wrote ${written} in ${elapsed.toFixed(1)} s (${Math.round(written / elapsed)}/s); the watcher printed ${lines} events; max RSS ${Math.max(...samples.map((x) => x.rssMiB))} MiB`);
process.kill(watcher.pid, 'SIGTERM');
await client.etcd.kv.deleteRange({ key: Buffer.from(prefix.split('/micro/')[0] + '/'), range_end: Buffer.from(prefix.split('/micro/')[0] + '0') });
client.close();
