// Shared pieces of the benchmarks: a throwaway etcd on loopback, realistic go-micro records, timing.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdClient } from '../dist/registry/v3/client.js';
import { encodeService } from '../dist/registry/codec.js';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Starts etcd on free loopback ports; returns { endpoint, stop() } (stops it by PID). */
export async function startEtcd() {
  const [client, peer] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'micro-reg-bench-'));
  const url = `http://127.0.0.1:${client}`;
  const child = spawn('etcd', ['--name', 'bench', '--data-dir', dir, '--listen-client-urls', url, '--advertise-client-urls', url,
    '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
    '--initial-cluster', `bench=http://127.0.0.1:${peer}`, '--quota-backend-bytes', String(4 * 1024 ** 3)], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`etcd not ready: ${log.slice(-500)}`)), 20000);
    child.stderr.on('data', (d) => {
      log += d;
      if (log.includes('ready to serve client requests')) { clearTimeout(timer); child.stderr.resume(); resolve(); }
    });
    child.on('exit', (c) => { clearTimeout(timer); reject(new Error(`etcd exited ${c}: ${log.slice(-500)}`)); });
  });
  child.stderr.removeAllListeners('data');
  child.stderr.resume();
  return {
    endpoint: `127.0.0.1:${client}`,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const leaf = (name, type) => ({ name, type, values: null });
const versions = [
  { version: 'latest', order: 'v4.10.2', server: 'mucp' },
  { version: '1.4.2', order: 'v1.8', server: 'grpc' },
  { version: '2.0.0', order: 'v1.8', server: 'mucp' },
];

/** go-micro v6 alone (field order v4.10.2, mucp), as the 3,000-service registry of issue 17 holds. */
export const v6Only = [versions[0]];

/**
 * One realistic node record, about 1 KiB: three endpoints with request/response trees. Services take
 * the go-micro generations of `generations` in turn (by default three: v6, v2 and micro v3 orders).
 */
export function record(serviceIndex, nodeIndex, generations = versions) {
  const name = `go.micro.srv.svc${String(serviceIndex).padStart(3, '0')}`;
  const v = generations[serviceIndex % generations.length];
  const id = `${name}-${String(nodeIndex).padStart(6, '0')}-4a5e-9f2d-6b7c8a9e0f12`;
  const endpoints = ['Get', 'List', 'Update'].map((m) => ({
    name: `Handler.${m}`,
    request: { name: `${m}Request`, type: `${m}Request`, values: [leaf('id', 'string'), leaf('page', 'int32'), { name: 'filter', type: 'Filter', values: [leaf('field', 'string'), leaf('value', 'string')] }] },
    response: { name: `${m}Response`, type: `${m}Response`, values: [leaf('items', '[]Item'), leaf('total', 'int64')] },
    metadata: {},
  }));
  const metadata = { broker: 'http', protocol: v.server, registry: 'etcd', server: v.server, transport: v.server === 'grpc' ? 'grpc' : 'http' };
  const service = { name, version: v.version, metadata: null, endpoints, nodes: [{ id, address: `10.${serviceIndex % 250}.${nodeIndex >> 8 & 255}.${nodeIndex & 255}:54321`, metadata }] };
  return { key: `/micro/registry/${name}/${id}`, value: encodeService(service, v.order) };
}

/** A plain v3 client of the bench etcd. */
export const etcdClient = (endpoint, timeoutMs = 10000) => new EtcdClient({ endpoints: [endpoint], tls: false, insecureSkipVerify: false, timeoutMs });

/** Writes nodes [from, to) spread over `services` services, 64 puts in flight, on one lease. */
export async function seed(endpoint, from, to, services, generations = versions) {
  const client = etcdClient(endpoint);
  try {
    const lease = await client.grant(3600);
    let next = from;
    const worker = async () => {
      for (let i = next++; i < to; i = next++) {
        const r = record(i % services, i, generations);
        await client.put(r.key, r.value, lease);
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
  } finally {
    client.close();
  }
}

/** Runs a command; wall time in ms and peak RSS in MB (GNU time). `exitCodes`: the codes that are no failure. */
export function measure(cmd, args, env = {}, exitCodes = [0]) {
  const started = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1024 ** 3 });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!exitCodes.includes(r.status)) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`);
  const rssKb = Number(r.stderr.trim().split('\n').pop());
  return { ms, rssMb: rssKb / 1024, bytes: r.stdout.length };
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
