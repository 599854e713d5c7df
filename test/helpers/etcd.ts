// Starts real etcd servers for tests: on free loopback ports, with a temporary data dir, optionally with
// TLS (certificates made by openssl at test time), v2 API or auth. Stops them by PID.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv } from './process.js';

export interface TlsFiles {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export interface EtcdOptions {
  tls?: TlsFiles;
  /** Require client certificates. */
  clientCertAuth?: boolean;
  enableV2?: boolean;
  /** Reuse a data dir and ports (restart after a kill). */
  dataDir?: string;
  clientPort?: number;
  peerPort?: number;
  /** Cluster members: this member's name and the whole initial cluster ("m0=http://…,m1=…"). */
  name?: string;
  initialCluster?: string;
  clusterToken?: string;
  /** etcd's --max-request-bytes (default 1.5 MiB): larger values need more. */
  maxRequestBytes?: number;
  /** More etcd flags, e.g. ['--quota-backend-bytes', '…'] or ['--max-txn-ops', '16']. */
  extraArgs?: string[];
}

export interface EtcdServer {
  /** host:port */
  endpoint: string;
  clientUrl: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
  pid: number;
  options: EtcdOptions;
  /** SIGTERM, wait for exit, remove the data dir. */
  stop(): Promise<void>;
  /** SIGKILL, wait for exit, keep the data dir (for restart). */
  kill(): Promise<void>;
  /** Start again on the same ports and data dir. */
  restart(): Promise<EtcdServer>;
  /** SIGSTOP: the process keeps its sockets open and answers nothing, like a frozen host. */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
}

function etcdBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('etcd is not installed: the integration tests need a real etcd. Install the Debian package etcd-server (apt-get install -y etcd-server), or run `bash scripts/ensure-etcd.sh`.');
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdServer> {
  const bin = etcdBinary();
  const clientPort = options.clientPort ?? (await freePort());
  const peerPort = options.peerPort ?? (await freePort());
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'micro-reg-etcd-'));
  const scheme = options.tls ? 'https' : 'http';
  const clientUrl = `${scheme}://127.0.0.1:${clientPort}`;
  const name = options.name ?? 'test';
  const args = [
    '--name', name,
    '--data-dir', dataDir,
    '--listen-client-urls', clientUrl,
    '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
    '--initial-cluster', options.initialCluster ?? `${name}=http://127.0.0.1:${peerPort}`,
    '--log-level', 'info',
  ];
  if (options.clusterToken) args.push('--initial-cluster-token', options.clusterToken);
  if (options.enableV2) args.push('--enable-v2');
  if (options.maxRequestBytes !== undefined) args.push('--max-request-bytes', String(options.maxRequestBytes));
  if (options.extraArgs) args.push(...options.extraArgs);
  if (options.tls) {
    args.push('--cert-file', options.tls.serverCert, '--key-file', options.tls.serverKey, '--trusted-ca-file', options.tls.ca);
    if (options.clientCertAuth) args.push('--client-cert-auth');
  }
  // etcd reads ETCD_* variables as flags: it gets none of the caller's.
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], env: childEnv() });
  let log = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`etcd did not become ready within 20s:\n${log.slice(-2000)}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.length > 100_000) log = log.slice(-50_000);
      if (/ready to serve client requests/.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`etcd exited (${code ?? signal}) before it was ready:\n${log.slice(-2000)}`));
    });
  });
  try {
    await ready;
  } catch (e) {
    child.kill('SIGKILL');
    await waitExit(child);
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  child.stderr!.removeAllListeners('data');
  child.stderr!.resume();
  const server: EtcdServer = {
    endpoint: `127.0.0.1:${clientPort}`,
    clientUrl,
    clientPort,
    peerPort,
    dataDir,
    pid: child.pid!,
    options,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await waitExit(child);
      clearTimeout(timer);
      rmSync(dataDir, { recursive: true, force: true });
    },
    async kill() {
      child.kill('SIGKILL');
      await waitExit(child);
    },
    restart() {
      return startEtcd({ ...options, dataDir, clientPort, peerPort });
    },
    freeze() {
      process.kill(child.pid!, 'SIGSTOP');
    },
    thaw() {
      process.kill(child.pid!, 'SIGCONT');
    },
  };
  return server;
}

export interface EtcdCluster {
  /** The members, in the order of `endpoints`; a restarted member replaces its entry. */
  members: EtcdServer[];
  /** "host:port,host:port,…" for --endpoints. */
  endpoints(): string;
  /** SIGKILL member i (its data dir stays), for restartMember(i). */
  killMember(i: number): Promise<void>;
  restartMember(i: number): Promise<EtcdServer>;
  /** Stop every member by PID (thawing frozen ones first) and remove the data dirs. */
  stop(): Promise<void>;
}

/**
 * A cluster of `size` etcd members on loopback, each on free ports with its own temporary data dir,
 * started together (a member reports ready once the cluster has formed).
 */
export async function startCluster(size: number, options: Pick<EtcdOptions, 'enableV2'> = {}): Promise<EtcdCluster> {
  const ports = [];
  for (let i = 0; i < size; i++) ports.push({ clientPort: await freePort(), peerPort: await freePort() });
  const initialCluster = ports.map((p, i) => `m${i}=http://127.0.0.1:${p.peerPort}`).join(',');
  const clusterToken = `micro-reg-test-${process.pid}-${Date.now()}`;
  const started = await Promise.allSettled(ports.map((p, i) => startEtcd({ ...options, ...p, name: `m${i}`, initialCluster, clusterToken })));
  const members = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  if (members.length < size) {
    await Promise.all(members.map((m) => m.stop()));
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    throw failed?.reason ?? new Error('the cluster did not start');
  }
  const cluster: EtcdCluster = {
    members,
    endpoints: () => cluster.members.map((m) => m.endpoint).join(','),
    killMember: (i) => cluster.members[i]!.kill(),
    async restartMember(i) {
      cluster.members[i] = await cluster.members[i]!.restart();
      return cluster.members[i]!;
    },
    async stop() {
      await Promise.all(
        cluster.members.map(async (m) => {
          try {
            m.thaw();
          } catch {
            // already gone
          }
          await m.stop();
        }),
      );
    },
  };
  return cluster;
}

/** etcdctl (v3 API) against one server, for administration the way an operator would do it. */
export function etcdctl(server: EtcdServer, args: string[], extra: string[] = []): string {
  return execFileSync('etcdctl', ['--endpoints', server.clientUrl, ...extra, ...args], { env: childEnv({ ETCDCTL_API: '3' }), encoding: 'utf8' });
}

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, made with openssl. */
export function makeCertificates(dir: string): TlsFiles {
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=micro-reg test CA');
  const leaf = (name: string, ext: string): void => {
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    execFileSync('sh', ['-c', `printf '%s\n' "${ext}" > ${name}.ext`], { cwd: dir });
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  };
  leaf('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth');
  leaf('client', 'extendedKeyUsage=clientAuth');
  return {
    ca: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
  };
}
