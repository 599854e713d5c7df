// Watch benchmark (issue 7): `micro-reg watch -o json` as a process while a writer puts at a fixed
// rate (transactions of 50 puts, 1,000 keys updated round robin). Reports the events per second the
// watcher printed, put-to-stdout latency p50/p99 (each value carries the time it was sent), and the
// watcher's resident memory each second. Bounded: `seconds` of writing, then at most 10 s to drain.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { etcdClient } from './lib.mjs';

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function watchBench(endpoint, bin, { rate = 5000, seconds = 10 } = {}) {
  const prefix = `/bench-watch-${Date.now()}/micro/registry/`;
  const client = etcdClient(endpoint, 5000);
  const watcher = spawn(process.execPath, [bin, 'watch', '-o', 'json', '--endpoints', endpoint, '--prefix', prefix], { stdio: ['ignore', 'pipe', 'pipe'] });
  const latencies = [];
  let seen = 0;
  let partial = '';
  let ready = false;
  watcher.stdout.setEncoding('utf8').on('data', (chunk) => {
    const now = Date.now();
    const lines = (partial + chunk).split('\n');
    partial = lines.pop();
    for (const line of lines) {
      seen++;
      const sent = Number(JSON.parse(line).service.nodes[0].metadata.sent);
      latencies.push(now - sent);
    }
  });
  watcher.stderr.setEncoding('utf8').on('data', (s) => {
    if (/watching/i.test(s)) ready = true;
  });
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${watcher.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  try {
    for (let i = 0; i < 200 && !ready; i++) await sleep(25);
    if (!ready) throw new Error('the watcher did not start');
    const value = (i) => JSON.stringify({ name: 'bench', version: '1', metadata: null, endpoints: [], nodes: [{ id: `n-${i % 1000}`, address: `10.0.${(i >> 8) & 255}.${i & 255}:1`, metadata: { sent: String(Date.now()) } }] });
    let written = 0;
    const memory = [];
    const perTick = Math.max(1, Math.round(rate / 100));
    const t0 = Date.now();
    for (let tick = 0; tick < seconds * 100; tick++) {
      const due = t0 + tick * 10;
      if (Date.now() < due) await sleep(due - Date.now());
      const batch = [];
      for (let k = 0; k < perTick; k += 50) {
        const entries = [];
        for (let j = k; j < Math.min(perTick, k + 50); j++) {
          const i = written++;
          entries.push({ key: `${prefix}bench/n-${i % 1000}`, value: value(i) });
        }
        batch.push(client.putAll(entries));
      }
      await Promise.all(batch);
      if (tick % 100 === 99) memory.push(Math.round(rss()));
    }
    const writeSeconds = (Date.now() - t0) / 1000;
    for (let i = 0; i < 400 && seen < written; i++) await sleep(25);
    const sorted = [...latencies].sort((a, b) => a - b);
    const result = {
      targetRate: rate,
      written,
      seen,
      writtenPerSecond: Math.round(written / writeSeconds),
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      rssMiBPerSecond: memory,
    };
    console.log(`watch -o json: wrote ${written} events in ${writeSeconds.toFixed(1)} s (${result.writtenPerSecond}/s), watcher printed ${seen}; put-to-stdout p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms; RSS per second ${memory.join(' ')} MiB`);
    return result;
  } finally {
    process.kill(watcher.pid, 'SIGTERM');
    await client.etcd.kv.deleteRange({ key: Buffer.from(prefix), range_end: Buffer.from(prefix.replace(/\/$/, '0')) }).catch(() => undefined);
    client.close();
  }
}

// Alone: ETCD=127.0.0.1:2379 node bench/watch.mjs
if (import.meta.url === `file://${process.argv[1]}`) {
  const { join } = await import('node:path');
  await watchBench(process.env.ETCD ?? '127.0.0.1:2379', join(import.meta.dirname, '..', 'bin', 'micro-reg'), { rate: Number(process.env.RATE ?? 5000), seconds: Number(process.env.SECONDS ?? 10) });
}
