// The only module that talks to etcd's v3 API. Every call has a deadline, pages through large ranges,
// and turns etcd3's errors into CliErrors in one function (etcd3-errors.ts); etcd3 itself is loaded and
// patched in etcd3-loader.ts. Over 400 lines on purpose: EtcdClient is one thing, requests whose
// deadlines, member fail-over, paging and write batching share its state and change together.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import type * as Etcd3Module from 'etcd3';
import type { ConnectionConfig } from '../../settings/config.js';
import { QuotaExceededError, UnavailableError, connectionFailure, fileError } from '../../errors.js';
import { decodeBytes, encodeBytes } from '../bytes.js';
import type { RawKeyValue } from '../codec.js';
import { failover, hedgeDelay, memberOrder, writeAttemptDeadline } from '../failover.js';
import { prefixRangeEnd } from '../keys.js';
import { describeEndpoints, isTransientClusterError, mapEtcdError, revisionError } from './etcd3-errors.js';
import { closeNow, etcd3, noopPolicy, withSkipVerify } from './etcd3-loader.js';
import { type WireKeyValue, type WireRangeResponse, decodeRangeResponse } from './range-wire.js';

/** Keys in the first range request; later pages are sized from the values seen so far. */
const firstPageSize = 1000;
/** Keys in each page of a keys-only range: keys alone are small, so one page holds a large registry. */
const keysOnlyPageSize = 50_000;
/** What one page should hold at most, well under the raised gRPC message limit. */
const pageBytes = 8 * 1024 * 1024;
/** Operations in one transaction, under etcd's default --max-txn-ops of 128. */
const txnBatch = 64;
/** Lease lookups in flight at once. */
const leaseConcurrency = 16;
/** How often a paged read starts again after etcd compacted the revision it was reading at. */
const maxReadRestarts = 5;

/** A random lease id: positive, below 2^63, as a decimal string (etcd's int64). */
function newLeaseId(): string {
  const [hi, lo] = [randomBytes(4).readUInt32BE() & 0x7fffffff, randomBytes(4).readUInt32BE()];
  const id = (BigInt(hi) << 32n) | BigInt(lo);
  return (id === 0n ? 1n : id).toString();
}

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


function readFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw fileError(path, e, flag);
  }
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
        // HTTP/2 flow control: with the default 64 KiB window etcd stops every 64 KiB of a large range
        // until the client's window update arrives; 16 MiB lets a whole page come in one go.
        'grpc-node.flow_control_window': 16 * 1024 * 1024,
        // Notice a silently dead connection within ~15 s.
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.keepalive_permit_without_calls': 1,
        // A watch resumes as soon as etcd is back: gRPC's default reconnect backoff grows to 120 s.
        'grpc.initial_reconnect_backoff_ms': 250,
        'grpc.max_reconnect_backoff_ms': 1000,
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
          (i, settled) => {
            // A write has no company (it must not run twice at once): each member gets its share of what
            // is left, so a silent one hands the write to the next instead of eating the whole deadline.
            const until = opts.idempotent ? deadline : writeAttemptDeadline(deadline, order.length - i);
            return this.attempt.run({ etcd: this.members[order[i]!]!, deadline: until }, () => this.withDeadline(fn(), until, settled));
          },
          {
            members: order.length,
            deadline,
            hedgeAfterMs: opts.idempotent ? hedgeDelay(this.config.timeoutMs, order.length) : undefined,
            unanswered: (e) => {
              transient ||= isTransientClusterError(e);
              const mapped = mapEtcdError(e, this.config);
              // Out of space is the cluster's answer: every member would give it.
              return mapped instanceof UnavailableError && !(mapped instanceof QuotaExceededError);
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
        () => reject(connectionFailure('did not answer within', { where: describeEndpoints(this.config), timeoutMs: this.config.timeoutMs, tls: this.config.tls })!),
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

  /**
   * Every key under a prefix, read in pages at one revision so the result is a consistent snapshot.
   * Pages are sized from the average key+value size seen (fewer round trips for small records,
   * bounded messages for large ones). With `onPage` each page is handed over as it arrives and not
   * kept, so a caller can decode and drop the raw bytes early.
   */
  async rangePrefix(prefix: string, opts: { keysOnly?: boolean; onPage?: (kvs: RawKeyValue[]) => void; onRestart?: () => void; revision?: string } = {}): Promise<RangeResult> {
    const end = prefixRangeEnd(Buffer.from(prefix));
    // --revision: every page at that past revision (etcd's MVCC history, until compacted).
    let revision: string | undefined = opts.revision;
    const fetch = (from: Buffer, limit: number): Promise<WireRangeResponse> => {
      // Serializable, as go-micro reads: any live member answers from its own state, so a cluster that is
      // electing a leader or has lost quorum can still be read. The revision pins every page to one snapshot.
      const req: Parameters<Etcd3Module.Etcd3['kv']['range']>[0] = { key: from, range_end: end, limit, keys_only: opts.keysOnly ?? false, serializable: true };
      if (revision !== undefined) req.revision = revision;
      const p = this.call(() => this.wireRange(req), { idempotent: true }).catch((e: unknown) => {
        throw revisionError(e, opts.revision);
      });
      p.catch(() => undefined); // awaited below; never an unhandled rejection while a page is decoded
      return p;
    };
    const kvs: RawKeyValue[] = [];
    let pending: Promise<WireRangeResponse> | undefined = fetch(Buffer.from(prefix), opts.keysOnly ? keysOnlyPageSize : firstPageSize);
    for (let restarts = 0; pending; ) {
      let res: WireRangeResponse;
      try {
        res = await pending;
      } catch (e) {
        // etcd compacted the revision the pages are pinned to: read again from the start at a new one
        // (not when the caller asked for that revision: then it is gone, and revisionError says so)
        // (bounded: a compaction per read is an etcd compacting every few seconds).
        if (revision === undefined || opts.revision !== undefined || restarts >= maxReadRestarts || !/required revision has been compacted/i.test((e as Error).message)) throw e;
        restarts++;
        revision = undefined;
        kvs.length = 0;
        opts.onRestart?.();
        pending = fetch(Buffer.from(prefix), opts.keysOnly ? keysOnlyPageSize : firstPageSize);
        continue;
      }
      revision ??= res.revision;
      let bytes = 0;
      for (const kv of res.kvs) bytes += kv.key.length + kv.value.length;
      const last = res.kvs[res.kvs.length - 1];
      // Ask for the next page before decoding this one, so etcd and the decoder work at once.
      pending = res.more && last ? fetch(Buffer.concat([last.key, Buffer.from([0])]), Math.max(100, Math.min(50_000, Math.floor(pageBytes / Math.max(1, bytes / res.kvs.length))))) : undefined;
      const page: RawKeyValue[] = opts.onPage ? [] : kvs;
      for (const kv of res.kvs) {
        page.push(pageKeyValue(kv));
      }
      opts.onPage?.(page);
    }
    return { kvs, revision: revision ?? '0' };
  }

  /**
   * The oldest revision etcd can still read (the revision of its last compaction), given one it refused
   * as compacted. etcd's error does not say which it is: a binary search of count-only reads of one
   * key between the refused revision and the current one finds it (about log2(revisions) requests).
   */
  async oldestRevision(refused: string): Promise<string> {
    const probe = (revision: bigint): Promise<Etcd3Module.IRangeResponse> =>
      this.call(() => this.etcd.kv.range({ key: Buffer.from('\0'), count_only: true, serializable: true, ...(revision > 0n ? { revision: revision.toString() } : {}) }), { idempotent: true });
    let lo = BigInt(refused); // refused: compacted
    let hi = BigInt((await probe(0n)).header.revision); // readable: the current revision
    while (hi - lo > 1n) {
      const mid = (lo + hi) / 2n;
      const readable = await probe(mid).then(
        () => true,
        (e: unknown) => {
          if (/required revision has been compacted/i.test(e instanceof Error ? e.message : String(e))) return false;
          throw e;
        },
      );
      if (readable) hi = mid;
      else lo = mid;
    }
    return hi.toString();
  }

  /**
   * One Range request, its answer decoded by range-wire.ts rather than etcd3's generic decoder. It goes
   * through etcd3's own connection (so credentials, the auth token and the chosen member are the same)
   * with grpc-js's makeUnaryRequest; if etcd3's pool no longer has that shape, through etcd3's kv.range.
   */
  private wireRange(req: Parameters<Etcd3Module.Etcd3['kv']['range']>[0]): Promise<WireRangeResponse> {
    const etcd = this.etcd;
    const pool = (etcd as unknown as { pool?: Partial<WirePool> }).pool;
    if (typeof pool?.withConnection !== 'function') return etcd.kv.range(req).then(fromEtcd3Range);
    const deadline = this.attempt.getStore()?.deadline ?? Date.now() + this.config.timeoutMs;
    return pool.withConnection('KV', ({ client, metadata }) => {
      const range = (client.constructor as WireServiceClientClass).service?.Range;
      if (range === undefined || typeof client.makeUnaryRequest !== 'function') return etcd.kv.range(req).then(fromEtcd3Range);
      return new Promise<WireRangeResponse>((resolve, reject) => {
        const decode = (buf: Buffer): WireRangeResponse => decodeRangeResponse(buf, req.keys_only === true);
        client.makeUnaryRequest(range.path, range.requestSerialize, decode, req, metadata, { deadline }, (err, res) => {
          if (err) reject(etcd3.castGrpcError(err));
          else resolve(res!);
        });
      });
    });
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

  /**
   * Grants a lease under an id of our choosing, so that a grant sent again to another member (the first
   * was silent, and may still carry it out) cannot make a second lease: etcd answers "lease already
   * exists", which for an id we just drew means the first attempt was carried out.
   */
  async grant(ttlSeconds: number): Promise<string> {
    const id = newLeaseId();
    try {
      const res = await this.call(() => this.etcd.leaseClient.leaseGrant({ TTL: ttlSeconds, ID: id }));
      return res.ID;
    } catch (e) {
      if (/lease already exists/i.test((e as Error).message)) return id;
      throw e;
    }
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

  close(): void {
    for (const member of new Set([this.pooled, ...this.members])) closeNow(member);
  }

  // ---- register / deregister (issue 3): lease renewal, atomic writes, per-key conditional deletes ----

  /**
   * Writes every key, on the lease when one is given: in one transaction (all or none) up to the batch
   * size, else in several, each all or none (store.ts makes the whole all or none through the lease).
   * Returns each key's mod revision, in the order given. A put sent again to another member after a
   * silent one is harmless: the same value on the same lease.
   */
  async putAll(entries: readonly { key: string; value: string }[], lease?: string): Promise<PutResult & { modRevisions: string[] }> {
    const modRevisions: string[] = [];
    let revision = '0';
    await this.inBatches(entries, async (batch) => {
      const res = await this.call(() =>
        this.etcd.kv.txn({
          compare: [],
          success: batch.map((e) => ({ request_put: { key: Buffer.from(e.key), value: Buffer.from(e.value), ...(lease !== undefined ? { lease } : {}) } })),
          failure: [],
        }),
      );
      revision = res.header.revision;
      for (let i = 0; i < batch.length; i++) modRevisions.push(res.header.revision);
    });
    return { revision, modRevisions };
  }

  /**
   * What each key holds now (mod revision and lease), absent keys left out: one read-only transaction
   * of ranges per batch, so all keys of a batch are seen at one revision.
   */
  async keyStates(keys: readonly string[]): Promise<Map<string, { modRevision: string; lease: string }>> {
    const out = new Map<string, { modRevision: string; lease: string }>();
    await this.inBatches(keys, async (batch) => {
      const res = await this.call(() => this.etcd.kv.txn({ compare: [], success: batch.map((key) => ({ request_range: { key: Buffer.from(key), keys_only: true } })), failure: [] }), { idempotent: true });
      batch.forEach((key, i) => {
        const kv = res.responses[i]?.response_range?.kvs[0];
        if (kv) out.set(key, { modRevision: String(kv.mod_revision), lease: String(kv.lease ?? '0') });
      });
    });
    return out;
  }

  /**
   * Puts a key only if it still holds what was seen (its mod revision; '0' for absent), so a write-back
   * never undoes a change made after the look. Returns the new mod revision, or undefined when it changed.
   * Sent again after a silent member, the comparison makes a second application a no-op.
   */
  async putIfUnchanged(key: string, value: string, seenModRevision: string, lease?: string): Promise<string | undefined> {
    const k = Buffer.from(key);
    const res = await this.call(() =>
      this.etcd.kv.txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: seenModRevision }],
        success: [{ request_put: { key: k, value: Buffer.from(value), ...(lease !== undefined ? { lease } : {}) } }],
        failure: [],
      }),
    );
    return res.succeeded ? res.header.revision : undefined;
  }

  /** Operations per transaction now: txnBatch, halved each time etcd says its --max-txn-ops is lower. */
  private txnOps = txnBatch;

  /**
   * Runs `each` over consecutive batches of at most txnOps items. A batch refused with "too many
   * operations in txn request" (a transaction is refused whole, nothing applied) is split and sent again.
   */
  private async inBatches<T>(items: readonly T[], each: (batch: readonly T[]) => Promise<void>): Promise<void> {
    for (let i = 0; i < items.length; ) {
      const batch = items.slice(i, i + this.txnOps);
      try {
        await each(batch);
        i += batch.length;
      } catch (e) {
        if (!/too many operations in txn request/i.test((e as Error).message) || batch.length <= 1) throw e;
        this.txnOps = Math.max(1, Math.floor(batch.length / 2));
      }
    }
  }

  /**
   * One lease renewal, as go-micro's KeepAliveOnce: opens a keepalive stream, sends the lease id, reads
   * one answer, closes. Returns the TTL etcd granted again; 0 or less means the lease no longer exists.
   * The stream gets the same deadline as a unary request and is cancelled however the call ends.
   */
  async keepAliveOnce(lease: string): Promise<number> {
    return this.call(async () => {
      const stream = await this.etcd.leaseClient.leaseKeepAlive({ deadline: this.attempt.getStore()?.deadline ?? Date.now() + this.config.timeoutMs });
      try {
        return await new Promise<number>((resolve, reject) => {
          stream.on('data', (res) => resolve(Number(res.TTL)));
          stream.on('error', reject);
          stream.on('end', () => reject(new etcd3.GRPCUnavailableError('the keepalive stream ended without an answer')));
          stream.write({ ID: lease });
        });
      } finally {
        // Half-close first: etcd3 treats an error on a still-writable stream as a broken connection
        // and drops every channel, which our own cancel must not trigger.
        stream.end();
        stream.cancel();
      }
    });
  }

  /**
   * Deletes each key whose condition still holds, and reports each. A condition is the key's mod
   * revision as read, or the lease it must still be on. Keys whose condition failed are reported with
   * what they hold now (absent: the key is gone); the others are deleted all the same.
   */
  async deleteEachIf(conditions: readonly KeyCondition[]): Promise<KeyDeleteOutcome[]> {
    const outcomes = await this.changeEachIf(conditions);
    return outcomes.map(({ key, done, now }) => (now === undefined ? { key, deleted: done } : { key, deleted: done, now }));
  }

  /**
   * Writes or deletes each key whose condition still holds, and reports each (`done`; when not, what
   * the key holds now). A change with `put` writes that value (on its lease, if any), else deletes.
   * A mod revision of "0" means the key must not exist: etcd compares a missing key's as 0.
   */
  async changeEachIf(changes: readonly KeyChange[]): Promise<KeyChangeOutcome[]> {
    const outcomes: KeyChangeOutcome[] = [];
    // etcd refuses transactions of more than --max-txn-ops (default 128) operations: one per batch.
    await this.inBatches(changes, async (batch) => {
      outcomes.push(...(await this.changeBatchIf(batch)));
    });
    return outcomes;
  }

  /**
   * One flat transaction: every condition compared, every key deleted if all hold, else every key read.
   * The keys whose condition failed are dropped and the rest tried again, so one changed key does not
   * keep the others. Not nested transactions: etcd 3.4 does not check permissions inside a nested
   * transaction, so a user who may only read could delete through one.
   */
  private async changeBatchIf(conditions: readonly KeyChange[]): Promise<KeyChangeOutcome[]> {
    const outcomes = new Map<string, KeyChangeOutcome>();
    let pending = [...conditions];
    // Each failed round drops at least one key, so this ends; the bound is there in case etcd's
    // comparison and holds() ever disagree, and then the rest is reported kept, never deleted.
    for (let round = 0; pending.length > 0; round++) {
      // The exact bytes of each key as read: a key that is not UTF-8 must not turn into another one.
      const keys = pending.map((c) => c.keyBytes ?? encodeBytes(c.key));
      const res = await this.call(() =>
        this.etcd.kv.txn({
          compare: pending.map((c, i) => {
            const key = keys[i]!;
            const compare: NonNullable<Parameters<Etcd3Module.Etcd3['kv']['txn']>[0]['compare']>[number] =
              c.lease !== undefined ? { key, target: 'Lease', result: 'Equal', lease: c.lease } : { key, target: 'Mod', result: 'Equal', mod_revision: c.modRevision ?? '0' };
            return compare;
          }),
          success: pending.map((c, i) => {
            const key = keys[i]!;
            if (c.put === undefined) return { request_delete_range: { key } };
            return { request_put: { key, value: Buffer.from(c.put.value), ...(c.put.lease !== undefined ? { lease: c.put.lease } : {}) } };
          }),
          failure: keys.map((key) => ({ request_range: { key } })),
        }),
      );
      if (res.succeeded) {
        pending.forEach((c, i) => outcomes.set(c.key, { key: c.key, done: c.put !== undefined || Number(res.responses[i]?.response_delete_range?.deleted ?? 0) > 0 }));
        break;
      }
      const still: KeyChange[] = [];
      pending.forEach((c, i) => {
        const kv = res.responses[i]?.response_range?.kvs[0];
        const absentAsExpected = kv === undefined && c.put !== undefined && c.lease === undefined && (c.modRevision ?? '0') === '0';
        const holds = absentAsExpected || (kv !== undefined && (c.lease !== undefined ? String(kv.lease) === c.lease : String(kv.mod_revision) === (c.modRevision ?? '0')));
        if (holds && round < conditions.length) {
          still.push(c);
          return;
        }
        const outcome: KeyChangeOutcome = { key: c.key, done: false };
        if (kv) outcome.now = { modRevision: kv.mod_revision, lease: kv.lease };
        outcomes.set(c.key, outcome);
      });
      pending = still;
    }
    return conditions.map((c) => outcomes.get(c.key)!);
  }

  // ---- watch ----
  // etcd3's Watcher resumes from the revision in the last response header (ahead of the events delivered
  // while etcd catches a watcher up, so events can be skipped) and backs off up to 30 s between
  // reconnects. micro-reg opens raw watch streams instead and keeps its own resume revision
  // (src/registry/watch/pipeline.ts); one stream carries one watch. A stream goes to one member, the one that
  // answered last; when it is lost, or cannot be opened, the next stream goes to the next member, so a
  // watch moves off a dead member instead of asking it again (the pooled client picks a host at random).

  /**
   * Watches every key under a prefix from a revision (inclusive), with previous values and progress
   * notifications. Resolves once etcd has created the watch, within the request deadline, else rejects
   * with a CliError. `done` then settles once, when the stream ends: compacted (the start revision is
   * gone from etcd's history), lost (connection, cancel) or closed by `close()`.
   */
  async openWatch(prefix: string, startRevision: string, onResponse: WatchResponseHandler): Promise<WatchStream> {
    let stream: WatchDuplex | undefined;
    let abandoned = false;
    let settleDone: (end: WatchEnd) => void = () => undefined;
    const done = new Promise<WatchEnd>((resolve) => {
      settleDone = (end) => {
        settleDone = () => undefined;
        resolve(end);
      };
    });
    const member = this.preferred;
    const created = new Promise<void>((resolve, reject) => {
      let isCreated = false;
      const fail = (end: WatchEnd): void => {
        if (end.kind === 'lost') this.passOn(member);
        if (!isCreated) reject(end.kind === 'compacted' ? new Error(`watch start revision ${startRevision} was compacted`) : end.kind === 'lost' ? end.error : new Error('watch closed'));
        settleDone(end);
        stream?.cancel();
      };
      this.members[member]!.watchClient
        .watch()
        .then((s) => {
          stream = s as WatchDuplex;
          if (abandoned) return s.cancel();
          s.on('data', (res: Etcd3Module.IWatchResponse) => {
            if (res.created && !res.canceled) {
              isCreated = true;
              resolve();
            }
            if (res.canceled) {
              const compactRevision = String(res.compact_revision ?? '0');
              if (compactRevision !== '0') fail({ kind: 'compacted', compactRevision });
              else fail({ kind: 'lost', error: new Error(`etcd cancelled the watch: ${res.cancel_reason || 'no reason given'}`) });
              return;
            }
            if (res.created) return;
            const events = (res.events ?? []).map(toWatchEvent);
            if (events.length > 0) onResponse.events(events, res.header.revision, res.fragment === true);
            else onResponse.progress(res.header.revision);
          });
          s.on('error', (error: Error) => fail({ kind: 'lost', error }));
          s.on('end', () => fail({ kind: 'lost', error: new Error('etcd ended the watch stream') }));
          // fragment: a watcher that fell behind is caught up with responses of up to 1,000 revisions
          // each; etcd splits them into pieces of at most its request size (1.5 MiB by default), so that
          // memory stays bounded while a paused stream is caught up.
          s.write({ create_request: { key: Buffer.from(prefix), range_end: prefixRangeEnd(Buffer.from(prefix)), start_revision: startRevision, prev_kv: true, progress_notify: true, fragment: true } });
        })
        .catch((error: unknown) => fail({ kind: 'lost', error }));
    });
    try {
      await this.withDeadline(created, Date.now() + this.config.timeoutMs, new AbortController().signal);
    } catch (e) {
      abandoned = true;
      stream?.cancel();
      settleDone({ kind: 'closed' });
      this.passOn(member);
      throw mapEtcdError(e, this.config);
    }
    return {
      done,
      close: () => {
        settleDone({ kind: 'closed' });
        stream?.cancel();
      },
      pause: () => stream?.pause?.(),
      resume: () => stream?.resume?.(),
    };
  }

  /** A watch on `member` failed: the next stream goes to the next member (unless another answered meanwhile). */
  private passOn(member: number): void {
    if (this.members.length > 1 && this.preferred === member) this.preferred = (member + 1) % this.members.length;
  }
}

export interface KeyCondition {
  key: string;
  /** The key's bytes as etcd returned them (default: encodeBytes(key), which gives them back too). */
  keyBytes?: Buffer;
  /** Delete only if the key was not written since this revision. */
  modRevision?: string;
  /** Delete only if the key is still on this lease (decimal id). */
  lease?: string;
}

/** A conditional write (`put`) or delete (no `put`) of one key. */
export interface KeyChange extends KeyCondition {
  put?: { value: string; lease?: string };
}

export interface KeyChangeOutcome {
  key: string;
  done: boolean;
  /** When not done: what the key holds now; absent when the key does not exist. */
  now?: { modRevision: string; lease: string };
}

export interface KeyDeleteOutcome {
  key: string;
  deleted: boolean;
  /** When kept: what the key holds now; absent when the key no longer exists. */
  now?: { modRevision: string; lease: string };
}

/** One key's change as a watch reports it: the key after a put, and the key before (prev_kv) when etcd still had it. */
export interface RawWatchEvent {
  type: 'put' | 'delete';
  kv: RawKeyValue;
  prev?: RawKeyValue;
}

export interface WatchResponseHandler {
  /**
   * Every event of one watch response, in order; they all happened by `revision`. `fragment`: more of
   * this response follows, and the last revision here may go on in the next piece.
   */
  events(events: RawWatchEvent[], revision: string, fragment?: boolean): void;
  /** A progress notification: every change up to `revision` has been delivered. */
  progress(revision: string): void;
}

export type WatchEnd = { kind: 'compacted'; compactRevision: string } | { kind: 'lost'; error: unknown } | { kind: 'closed' };

export interface WatchStream {
  done: Promise<WatchEnd>;
  close(): void;
  /** Flow control: stop reading responses while the consumer catches up. */
  pause(): void;
  resume(): void;
}

type WatchDuplex = Etcd3Module.IDuplexStream<Etcd3Module.IWatchRequest, Etcd3Module.IWatchResponse> & { pause?: () => void; resume?: () => void };

/** What wireRange needs of etcd3's pool and of the grpc-js client it holds per service. */
interface WirePool {
  withConnection<T>(service: string, fn: (c: { client: WireServiceClient; metadata: unknown }) => Promise<T>): Promise<T>;
}
interface WireServiceClient {
  makeUnaryRequest(
    method: string,
    serialize: (value: unknown) => Buffer,
    deserialize: (value: Buffer) => WireRangeResponse,
    argument: unknown,
    metadata: unknown,
    options: { deadline: number },
    callback: (err: Error | null, res?: WireRangeResponse) => void,
  ): unknown;
}
interface WireServiceClientClass {
  service?: { Range?: { path: string; requestSerialize: (value: unknown) => Buffer } };
}

/**
 * A key of a range page as the codec takes it. The value stays a view into the page's message, dropped
 * with the page once decoded. The key's bytes are kept (copied, so that no record holds a whole page)
 * only when they are not UTF-8: otherwise encodeBytes(key) gives them back exactly.
 */
function pageKeyValue(kv: WireKeyValue): RawKeyValue {
  const out: RawKeyValue = { key: decodeBytes(kv.key), value: kv.value, lease: kv.lease, modRevision: kv.modRevision, createRevision: kv.createRevision };
  if (!isUtf8(kv.key)) out.keyBytes = Buffer.from(kv.key);
  return out;
}

/** etcd3's decoded answer in range-wire.ts's shape (the fallback path). */
function fromEtcd3Range(res: Etcd3Module.IRangeResponse): WireRangeResponse {
  return {
    revision: res.header.revision,
    more: res.more,
    count: res.count,
    kvs: res.kvs.map((kv) => ({ key: kv.key, value: kv.value, lease: String(kv.lease ?? '0'), modRevision: String(kv.mod_revision), createRevision: String(kv.create_revision) })),
  };
}

function rawKeyValue(kv: Etcd3Module.IKeyValue): RawKeyValue {
  return { key: decodeBytes(kv.key), keyBytes: kv.key, value: kv.value, lease: String(kv.lease ?? '0'), modRevision: String(kv.mod_revision), createRevision: String(kv.create_revision) };
}

function toWatchEvent(ev: Etcd3Module.IEvent): RawWatchEvent {
  const out: RawWatchEvent = { type: ev.type === 'Delete' ? 'delete' : 'put', kv: rawKeyValue(ev.kv) };
  if (ev.prev_kv) out.prev = rawKeyValue(ev.prev_kv);
  return out;
}
