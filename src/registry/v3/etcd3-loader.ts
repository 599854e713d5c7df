// etcd3 as micro-reg loads it (the build's one-file bundle, or node_modules when running from src/),
// and the two places its gRPC is patched: TLS without an SNI name for IPs, and --insecure-skip-tls-verify.
// Apart from src/registry/v3/client.ts so the client reads as requests and their deadlines.
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type * as Etcd3Module from 'etcd3';

// etcd3 is CommonJS: require() it rather than import it, which spares start-up the ESM loader's scan
// of its every re-exported module (cjs-module-lexer), ~20 ms of each run.
const requireHere = createRequire(import.meta.url);

/** etcd3 and its own gRPC and cockatiel instances (we patch and use the ones etcd3 uses). */
interface Etcd3Modules {
  etcd3: typeof Etcd3Module;
  grpc: typeof import('@grpc/grpc-js');
  cockatiel: typeof import('cockatiel');
}

/**
 * The build bundles etcd3 with everything it loads into one file (scripts/bundle-etcd3.mjs): ~45 ms
 * less start-up than loading its ~150 modules. Without the bundle (running from src/, in tests),
 * the same packages from node_modules, resolved as etcd3 resolves them.
 */
function loadEtcd3(): Etcd3Modules {
  try {
    return requireHere('../../vendor/etcd3.cjs') as Etcd3Modules;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
  }
  const requireFromEtcd3 = createRequire(requireHere.resolve('etcd3'));
  return { etcd3: requireHere('etcd3'), grpc: requireFromEtcd3('@grpc/grpc-js'), cockatiel: requireFromEtcd3('cockatiel') };
}

const etcd3Modules = loadEtcd3();
export const etcd3 = etcd3Modules.etcd3;

/**
 * grpc-js hands TLS the endpoint's host as the SNI server name even when it is an IP address, which
 * RFC 6066 forbids and Node reports on stderr (DEP0123), breaking a one-line `-o json` error. The
 * server name is dropped for an IP: TLS then checks the certificate against the host, an IP, by its IP
 * SANs. Reaches into grpc-js 1.14's secure connector; if that shape changes, nothing is altered.
 */
function withoutIpServerName<C extends object>(credentials: C): C {
  type Connector = { connectionOptions?: { servername?: string } };
  const creds = credentials as C & { _createSecureConnector?: (...args: unknown[]) => Connector };
  const create = creds._createSecureConnector;
  if (typeof create !== 'function') return credentials;
  creds._createSecureConnector = function (this: unknown, ...args: unknown[]): Connector {
    const connector = create.apply(this, args);
    const options = connector.connectionOptions;
    if (options?.servername !== undefined && isIP(options.servername) !== 0) delete options.servername;
    return connector;
  };
  return credentials;
}

/**
 * etcd3 builds its TLS credentials itself and offers no way to skip verification; for
 * --insecure-skip-tls-verify we hand grpc-js's createSsl the verify options while etcd3 calls it.
 * Every TLS credential made meanwhile also leaves the server name out for an IP (withoutIpServerName).
 */
export function withSkipVerify<T>(skip: boolean, make: () => T): T {
  const grpc = etcd3Modules.grpc;
  const original = grpc.credentials.createSsl;
  grpc.credentials.createSsl = (root, key, chain) =>
    withoutIpServerName(original(root ?? null, key ?? null, chain ?? null, skip ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : undefined));
  try {
    return make();
  } finally {
    grpc.credentials.createSsl = original;
  }
}

export function noopPolicy(): Etcd3Module.IOptions['faultHandling'] extends Partial<{ global: infer P }> | undefined ? P : never {
  return etcd3Modules.cockatiel.noop;
}

/**
 * Closes an etcd3 client's gRPC channels at once. etcd3 itself (Host.resetAllServices) leaves a channel
 * that is still connecting open for up to 1 s, which kept a one-shot run alive 1 s after its answer when
 * a member was frozen. Reaches into etcd3 1.1.2's pool; if that shape changes, close() still works, slower.
 */
export function closeNow(client: Etcd3Module.Etcd3): void {
  type Service = { close(): void } | undefined;
  const pool = (client as unknown as { pool?: { hosts?: { cachedServices?: Record<string, Service> }[] } }).pool;
  for (const host of pool?.hosts ?? []) {
    for (const service of Object.values(host.cachedServices ?? {})) service?.close();
  }
  client.close();
}
