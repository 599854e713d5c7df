// The only module that talks to etcd's v3 API (and the only importer of etcd3). Every call has a
// deadline, pages through large ranges, and turns etcd3's errors into CliErrors in one function.
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Etcd3Module from 'etcd3';
import type { ConnectionConfig } from '../config.js';
import { AuthError, CliError, UnavailableError, UsageError } from '../errors.js';
import type { RawKeyValue } from './codec.js';
import { failover, hedgeDelay, memberOrder } from './failover.js';
import { prefixRangeEnd } from './keys.js';

/** Keys per range request: well under gRPC's message limit for go-micro-sized values (~1-4 KiB). */
const pageSize = 1000;
/** Lease lookups in flight at once. */
const leaseConcurrency = 16;

export interface RangeResult {
  kvs: RawKeyValue[];
  revision: string;
}

export interface PutResult {
  revision: string;
}

/** How call() may treat a request. */
export interface CallOptions {
  /** A read: safe to send to a second member while the first is silent (see failover.ts). */
  idempotent?: boolean;
}

/** The member and deadline of the request attempt in progress, for the `etcd` getter and the call options. */
interface Attempt {
  etcd: Etcd3Module.Etcd3;
  deadline: number;
}

export interface DeleteCondition {
  key: string;
  modRevision: string;
}

/** Which etcd endpoints we talk to, for messages. */
function describeEndpoints(config: ConnectionConfig): string {
  return config.endpoints.join(',');
}

function readFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${flag} file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

// etcd3 is CommonJS: require() it rather than import it, which spares start-up the ESM loader's scan
// of its every re-exported module (cjs-module-lexer), ~20 ms of each run.
const requireHere = createRequire(import.meta.url);
const etcd3 = requireHere('etcd3') as typeof Etcd3Module;

/** etcd3's own dependencies (grpc-js, cockatiel), resolved as etcd3 resolves them so that we share its instances. */
const requireFromEtcd3 = createRequire(requireHere.resolve('etcd3'));

/**
 * etcd3 builds its TLS credentials itself and offers no way to skip verification; for
 * --insecure-skip-tls-verify we hand grpc-js's createSsl the verify options while etcd3 calls it.
 */
function withSkipVerify<T>(skip: boolean, make: () => T): T {
  if (!skip) return make();
  const grpc = requireFromEtcd3('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  const original = grpc.credentials.createSsl;
  grpc.credentials.createSsl = (root, key, chain) =>
    original(root ?? null, key ?? null, chain ?? null, { rejectUnauthorized: false, checkServerIdentity: () => undefined });
  try {
    return make();
  } finally {
    grpc.credentials.createSsl = original;
  }
}

/**
 * The one mapping from etcd3's errors to micro-reg's exit codes: refused credentials and permissions are
 * 5, anything that means "etcd did not answer" is 4. Errors that are already CliErrors pass through.
 */
export function mapEtcdError(err: unknown, config: ConnectionConfig): unknown {
  if (err instanceof CliError) return err;
  const where = describeEndpoints(config);
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof etcd3.EtcdAuthenticationFailedError || err instanceof etcd3.EtcdUserNotFoundError) {
    return new AuthError(`etcd at ${where} refused the user name or password`, 'check --user / --password (or ETCD_USERNAME / ETCD_PASSWORD)');
  }
  if (err instanceof etcd3.EtcdPermissionDeniedError || err instanceof etcd3.EtcdRoleNotGrantedError) {
    return new AuthError(`etcd at ${where} denied permission for this operation`, 'the user needs a role that grants access to the registry prefix');
  }
  if (err instanceof etcd3.GRPCUnauthenticatedError || err instanceof etcd3.EtcdInvalidAuthTokenError || /user name is empty|authentication is not enabled|invalid auth token/i.test(message)) {
    const hint = /authentication is not enabled/i.test(message) ? 'this etcd has authentication disabled: drop --user' : 'pass --user user:password';
    return new AuthError(`etcd at ${where} refused the request: ${message.replace(/^\d+ [A-Z_]+: /, '')}`, hint);
  }
  if (
    err instanceof etcd3.GRPCUnavailableError ||
    err instanceof etcd3.GRPCDeadlineExceededError ||
    err instanceof etcd3.GRPCCancelledError ||
    err instanceof etcd3.ClientClosedError ||
    /ECONNREFUSED|No connection established|failed to connect|Deadline exceeded|handshake|certificate|Connection dropped/i.test(message)
  ) {
    const tlsHint = config.tls
      ? 'check that etcd serves TLS there and that --cacert / --cert / --key are right'
      : 'check --endpoints (or MICRO_REGISTRY_ADDRESS) and that etcd is running; for TLS use https://';
    return new UnavailableError(`cannot reach etcd at ${where}: ${firstLine(message)}`, tlsHint);
  }
  return err;
}

/** grpc-js wraps the cause ("No connection established. Last error: Error: connect ECONNREFUSED …"); keep the cause. */
function firstLine(message: string): string {
  const line = message.split('\n')[0]!.replace(/^\d+ [A-Z_]+: /, '').replace(/ Please report this error.*$/, '');
  const cause = /Last error: (?:Error: )?(.*?)\.?\s*(?:Resolution note:.*)?$/.exec(line);
  return cause?.[1] || line;
}

/** etcd's answers while a cluster has no leader (elections, lost quorum): worth asking again before the deadline. */
function isTransientClusterError(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /leader changed|no leader|not capable|too many requests|request timed out/i.test(message);
}

function noopPolicy(): Etcd3Module.IOptions['faultHandling'] extends Partial<{ global: infer P }> | undefined ? P : never {
  return (requireFromEtcd3('cockatiel') as typeof import('cockatiel')).noop;
}

/**
 * Closes an etcd3 client's gRPC channels at once. etcd3 itself (Host.resetAllServices) leaves a channel
 * that is still connecting open for up to 1 s, which kept a one-shot run alive 1 s after its answer when
 * a member was frozen. Reaches into etcd3 1.1.2's pool; if that shape changes, close() still works, slower.
 */
function closeNow(client: Etcd3Module.Etcd3): void {
  type Service = { close(): void } | undefined;
  const pool = (client as unknown as { pool?: { hosts?: { cachedServices?: Record<string, Service> }[] } }).pool;
  for (const host of pool?.hosts ?? []) {
    for (const service of Object.values(host.cachedServices ?? {})) service?.close();
  }
  client.close();
}

export class EtcdClient {
  /** Every endpoint in one etcd3 client: for streams (watch, keepalive), which etcd3 moves between hosts itself. */
  private readonly pooled: Etcd3Module.Etcd3;
  /**
   * One etcd3 client per endpoint, in the order given. etcd3 picks a random host per request, so
   * retrying through the pooled client may ask a dead member again; call() picks the member itself.
   */
  private readonly members: Etcd3Module.Etcd3[];
  /** The member that answered last: the next request of this run asks it first. */
  private preferred = 0;
  private readonly attempt = new AsyncLocalStorage<Attempt>();

  constructor(readonly config: ConnectionConfig) {
    const options = (hosts: string[]): Etcd3Module.IOptions => ({
      hosts: hosts.map((e) => (config.tls ? `https://${e}` : e)),
      // Every unary request carries a gRPC deadline, the one call() set for the whole request (fail-over
      // included); streams (watch, keepalive) manage their own life.
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: this.attempt.getStore()?.deadline ?? Date.now() + config.timeoutMs }),
      grpcOptions: {
        'grpc.max_receive_message_length': 256 * 1024 * 1024,
        // Notice a silently dead connection within ~15 s.
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.keepalive_permit_without_calls': 1,
      },
      // etcd3's default retries and circuit breakers multiply the deadline; micro-reg wants one bounded
      // attempt per member, so fail-over stays with call().
      faultHandling: { host: () => noopPolicy(), global: noopPolicy() },
    });
    const withCredentials = (o: Etcd3Module.IOptions): Etcd3Module.IOptions => {
      if (config.username !== undefined) {
        o.auth = { username: config.username, password: config.password ?? '' };
      }
      if (config.cacert !== undefined || config.cert !== undefined) {
        o.credentials = {
          rootCertificate: config.cacert !== undefined ? readFile(config.cacert, '--cacert') : (undefined as unknown as Buffer),
        };
        if (config.cert !== undefined) o.credentials.certChain = readFile(config.cert, '--cert');
        if (config.key !== undefined) o.credentials.privateKey = readFile(config.key, '--key');
      }
      return o;
    };
    this.pooled = withSkipVerify(config.insecureSkipVerify, () => new etcd3.Etcd3(withCredentials(options(config.endpoints))));
    this.members =
      config.endpoints.length === 1
        ? [this.pooled]
        : config.endpoints.map((e) => withSkipVerify(config.insecureSkipVerify, () => new etcd3.Etcd3(withCredentials(options([e])))));
  }

  /**
   * The etcd3 client to make a request with: inside call(), the member chosen for this attempt (so the
   * `() => this.etcd.kv.…` functions given to call() go where call() sends them); elsewhere the pooled one.
   */
  get etcd(): Etcd3Module.Etcd3 {
    return this.attempt.getStore()?.etcd ?? this.pooled;
  }

  /**
   * Runs one request with the error mapping and one deadline (--timeout) for the whole request. With
   * several endpoints, a member that does not answer (down, refusing, frozen) hands the request to the
   * next: at once when it fails, and for reads (`idempotent`) also when it stays silent (failover.ts).
   * Writes go to the next member only after the previous one failed, and only before the deadline.
   */
  async call<T>(fn: () => Promise<T>, opts: CallOptions = {}): Promise<T> {
    const deadline = Date.now() + this.config.timeoutMs;
    for (let round = 1; ; round++) {
      const order = memberOrder(this.preferred, this.members.length);
      let transient = false;
      try {
        const { value, member } = await failover(
          (i, settled) => this.attempt.run({ etcd: this.members[order[i]!]!, deadline }, () => this.withDeadline(fn(), deadline, settled)),
          {
            members: order.length,
            deadline,
            hedgeAfterMs: opts.idempotent ? hedgeDelay(this.config.timeoutMs, order.length) : undefined,
            unanswered: (e) => {
              transient ||= isTransientClusterError(e);
              return mapEtcdError(e, this.config) instanceof UnavailableError;
            },
          },
        );
        this.preferred = order[member]!;
        return value;
      } catch (e) {
        // A cluster between leaders says so at once ("leader changed", "no leader"): ask again shortly,
        // within the same deadline. A member that is down (refused) fails the request straight away.
        const pause = Math.min(500, 100 * round);
        if (!transient || Date.now() + pause >= deadline) throw mapEtcdError(e, this.config);
        await new Promise((r) => setTimeout(r, pause));
      }
    }
  }

  /** gRPC's own deadline can miss (e.g. while authenticating): a timer just after it ends the attempt for sure. */
  private withDeadline<T>(promise: Promise<T>, deadline: number, settled: AbortSignal): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new UnavailableError(`etcd at ${describeEndpoints(this.config)} did not answer within ${this.config.timeoutMs} ms`, 'check that etcd is running and reachable, or raise --timeout')),
        Math.max(0, deadline - Date.now()) + 250,
      );
    });
    // Another member answered: this attempt's timer must not hold the process open.
    const stop = (): void => clearTimeout(timer);
    settled.addEventListener('abort', stop, { once: true });
    promise.catch(() => undefined);
    return Promise.race([promise, timeout]).finally(() => {
      stop();
      settled.removeEventListener('abort', stop);
    });
  }

  /** Every key under a prefix, read in pages at one revision so the result is a consistent snapshot. */
  async rangePrefix(prefix: string, opts: { keysOnly?: boolean } = {}): Promise<RangeResult> {
    const end = prefixRangeEnd(Buffer.from(prefix));
    let from = Buffer.from(prefix);
    let revision: string | undefined;
    const kvs: RawKeyValue[] = [];
    for (;;) {
      // Serializable, as go-micro reads: any live member answers from its own state, so a cluster that is
      // electing a leader or has lost quorum can still be read. The revision pins every page to one snapshot.
      const req: Parameters<Etcd3Module.Etcd3['kv']['range']>[0] = { key: from, range_end: end, limit: pageSize, keys_only: opts.keysOnly ?? false, serializable: true };
      if (revision !== undefined) req.revision = revision;
      const res = await this.call(() => this.etcd.kv.range(req), { idempotent: true });
      revision ??= res.header.revision;
      for (const kv of res.kvs) {
        kvs.push({ key: kv.key.toString('utf8'), value: kv.value, lease: kv.lease, modRevision: kv.mod_revision, createRevision: kv.create_revision });
      }
      const last = res.kvs[res.kvs.length - 1];
      if (!res.more || !last) break;
      from = Buffer.concat([last.key, Buffer.from([0])]);
    }
    return { kvs, revision: revision ?? '0' };
  }

  /** How many keys a prefix holds, without reading them. */
  async countPrefix(prefix: string): Promise<number> {
    const res = await this.call(() => this.etcd.kv.range({ key: Buffer.from(prefix), range_end: prefixRangeEnd(Buffer.from(prefix)), count_only: true, serializable: true }), { idempotent: true });
    return Number(res.count);
  }

  /** Seconds left on a lease; -1 when the lease no longer exists. */
  async leaseTtl(lease: string): Promise<number> {
    const res = await this.call(() => this.etcd.leaseClient.leaseTimeToLive({ ID: lease }), { idempotent: true });
    return Number(res.TTL);
  }

  /** Looks each distinct lease up once, a bounded number at a time. */
  async leaseTtls(leases: Iterable<string>): Promise<Map<string, number>> {
    const pending = [...new Set(leases)];
    const out = new Map<string, number>();
    const worker = async (): Promise<void> => {
      for (let lease = pending.pop(); lease !== undefined; lease = pending.pop()) {
        out.set(lease, await this.leaseTtl(lease));
      }
    };
    await Promise.all(Array.from({ length: Math.min(leaseConcurrency, pending.length) }, worker));
    return out;
  }

  async grant(ttlSeconds: number): Promise<string> {
    const res = await this.call(() => this.etcd.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: 0 }));
    return res.ID;
  }

  async revoke(lease: string): Promise<void> {
    await this.call(() => this.etcd.leaseClient.leaseRevoke({ ID: lease }));
  }

  async put(key: string, value: string, lease?: string): Promise<PutResult> {
    const req: Parameters<Etcd3Module.Etcd3['kv']['put']>[0] = { key: Buffer.from(key), value: Buffer.from(value) };
    if (lease !== undefined) req.lease = lease;
    const res = await this.call(() => this.etcd.kv.put(req));
    return { revision: res.header.revision };
  }

  /**
   * Deletes every key whose mod revision is still the one given, in one transaction. When any key
   * changed, nothing is deleted and the keys that changed are returned, so the caller can retry with
   * the rest.
   */
  async deleteIfUnchanged(conditions: readonly DeleteCondition[]): Promise<{ deleted: boolean; revision: string }> {
    const res = await this.call(() =>
      this.etcd.kv.txn({
        compare: conditions.map((c) => ({ key: Buffer.from(c.key), target: 'Mod', result: 'Equal', mod_revision: c.modRevision })),
        success: conditions.map((c) => ({ request_delete_range: { key: Buffer.from(c.key) } })),
        failure: [],
      }),
    );
    return { deleted: res.succeeded, revision: res.header.revision };
  }

  close(): void {
    for (const member of new Set([this.pooled, ...this.members])) closeNow(member);
  }
}
