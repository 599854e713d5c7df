// TCP reachability of node addresses: one connect per node, a bounded number in flight, each with
// its own deadline. No data is sent; the socket is closed as soon as the connection is made.
import { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { splitHostPort } from './registry/codec.js';

export type ProbeResult = { reachable: true; latencyMs: number } | { reachable: false; reason: string };

/** Node's error codes in the words people use for them. */
const reasons: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EADDRNOTAVAIL: 'address not available',
  EACCES: 'connection not permitted',
};

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Opens and closes one TCP connection to host:port; never rejects. */
export function probeTcp(address: string, timeoutMs: number): Promise<ProbeResult> {
  const target = splitHostPort(address);
  if (address.trim() === '') return Promise.resolve({ reachable: false, reason: 'the node has no address' });
  if (target === undefined || target.host === '') return Promise.resolve({ reachable: false, reason: `the address "${address}" has no host:port` });
  if (target.port < 1 || target.port > 65535) return Promise.resolve({ reachable: false, reason: `the port ${target.port} is out of range` });
  return new Promise((resolve) => {
    const socket = new Socket();
    const started = performance.now();
    let settled = false;
    const finish = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ reachable: false, reason: `no answer within ${formatMs(timeoutMs)}` }), timeoutMs);
    socket.once('connect', () => finish({ reachable: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 }));
    socket.once('error', (e: NodeJS.ErrnoException) => finish({ reachable: false, reason: (e.code && reasons[e.code]) ?? e.code ?? e.message }));
    socket.connect({ host: target.host, port: target.port });
  });
}

/**
 * Probes every address, at most `concurrency` at once; results come back in the order of the input.
 * `probe` is a parameter so that the scheduling can be tested on its own.
 */
export async function probeAll(
  addresses: readonly string[],
  opts: { concurrency: number; timeoutMs: number; probe?: (address: string, timeoutMs: number) => Promise<ProbeResult> },
): Promise<ProbeResult[]> {
  const probe = opts.probe ?? probeTcp;
  const results = new Array<ProbeResult>(addresses.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < addresses.length; i = next++) results[i] = await probe(addresses[i]!, opts.timeoutMs);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, opts.concurrency), addresses.length) }, worker));
  return results;
}
