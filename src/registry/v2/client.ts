// The etcd v2 keys API over HTTP(S), as go-plugins' `registry/etcd` uses it (format reference 9), on
// Node's own http/https: no extra dependency and no gRPC. Same connection options as the v3 client:
// endpoints (http/https), basic auth, TLS files, one deadline per request; the same exit codes.
// The API's wire format (answers, error codes, key URLs) is in keys-api.ts, pure.
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { ConnectionConfig } from '../../settings/config.js';
import { AuthError, UnavailableError, UsageError, connectionFailure, fileError } from '../../errors.js';
import { failover, hedgeDelay, memberOrder } from '../failover.js';
import {
  type HttpAnswer,
  type V2Answer,
  type V2RefreshOutcome,
  type V2Response,
  type V2Tree,
  type V2WatchResult,
  V2ApiError,
  V2ErrorCode,
  V2NotServedError,
  childDirNames,
  flattenV2,
  keyPath,
  parseAnswer,
  queryString,
  setForm,
  watchResult,
} from './keys-api.js';

interface RequestSpec {
  method: 'GET' | 'PUT' | 'DELETE';
  key: string;
  query?: Record<string, string | number | boolean | undefined>;
  form?: string;
}

interface RequestOptions {
  signal?: AbortSignal | undefined;
  /** Long poll: the deadline covers the answer's headers only; then wait up to this long for the body. */
  longPollMs?: number | undefined;
}

/** One attempt of a request on one member: the request's deadline, and the signal that it is settled. */
interface AttemptOptions extends RequestOptions {
  deadline: number;
  settled: AbortSignal;
}

/** Marks the end of a long poll that saw nothing. */
class LongPollIdle extends Error {}

function readFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw fileError(path, e, flag);
  }
}

export class V2Client {
  private readonly agent: http.Agent;
  private readonly authHeader: string | undefined;
  private readonly where: string;
  /** The endpoint that answered last: the next request of this run asks it first. */
  private preferred = 0;

  constructor(readonly config: ConnectionConfig) {
    this.where = config.endpoints.join(',');
    if (config.tls) {
      const options: https.AgentOptions = { keepAlive: true, rejectUnauthorized: !config.insecureSkipVerify };
      if (config.insecureSkipVerify) options.checkServerIdentity = () => undefined;
      if (config.cacert !== undefined) options.ca = readFile(config.cacert, '--cacert');
      if (config.cert !== undefined) options.cert = readFile(config.cert, '--cert');
      if (config.key !== undefined) options.key = readFile(config.key, '--key');
      this.agent = new https.Agent(options);
    } else {
      this.agent = new http.Agent({ keepAlive: true });
    }
    // The plugin sends no credentials; etcd's v2 auth takes HTTP basic auth.
    if (config.username !== undefined) {
      this.authHeader = `Basic ${Buffer.from(`${config.username}:${config.password ?? ''}`).toString('base64')}`;
    }
  }

  /** Base URL of one endpoint. */
  private base(endpoint: string): string {
    return `${this.config.tls ? 'https' : 'http'}://${endpoint}`;
  }

  /**
   * One request with one deadline (--timeout) however many members it tries, as the v3 client does
   * (failover.ts): the next endpoint is asked when one fails for want of an answer, and for plain reads
   * also when one stays silent. HTTP-level answers, errors included, come back as they are.
   */
  private async send(spec: RequestSpec, opts: RequestOptions = {}): Promise<V2Answer> {
    const deadline = Date.now() + this.config.timeoutMs;
    const endpoints = this.config.endpoints;
    const order = memberOrder(this.preferred, endpoints.length);
    const plainRead = spec.method === 'GET' && opts.longPollMs === undefined && opts.signal === undefined;
    const { value, member } = await failover(
      async (i, settled) => {
        const endpoint = endpoints[order[i]!]!;
        const answer = parseAnswer(await this.sendTo(endpoint, spec, { ...opts, deadline, settled }));
        if (answer.kind === 'unauthorized') {
          throw new AuthError(`etcd at ${endpoint} refused the request: ${answer.message}`, this.config.username === undefined ? 'pass --user user:password' : 'check --user / --password');
        }
        if (answer.kind === 'unexpected' && /HTTP request to an HTTPS server/i.test(answer.body)) {
          throw new UnavailableError(`etcd at ${endpoint} serves TLS`, 'use https:// endpoints (or --cacert)');
        }
        return answer;
      },
      {
        members: order.length,
        deadline,
        hedgeAfterMs: plainRead ? hedgeDelay(this.config.timeoutMs, order.length) : undefined,
        // A long poll's end, a cancelled watch and "no v2 API here" are answers, not silence.
        unanswered: (e) => e instanceof UnavailableError && !(e instanceof V2NotServedError) && !opts.signal?.aborted,
      },
    );
    this.preferred = order[member]!;
    return value;
  }

  private sendTo(endpoint: string, spec: RequestSpec, opts: AttemptOptions): Promise<HttpAnswer> {
    const url = new URL(`${this.base(endpoint)}${keyPath(spec.key)}${queryString(spec.query ?? {})}`);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.authHeader) headers.authorization = this.authHeader;
    if (spec.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(spec.form));
    }
    const timeoutMs = this.config.timeoutMs;
    return new Promise<HttpAnswer>((resolve, reject) => {
      let done = false;
      let phaseTimer: NodeJS.Timeout | undefined;
      const finish = (err: unknown, answer?: HttpAnswer): void => {
        if (done) return;
        done = true;
        clearTimeout(phaseTimer);
        opts.signal?.removeEventListener('abort', onAbort);
        opts.settled.removeEventListener('abort', onSettled);
        if (err !== undefined) {
          req.destroy();
          reject(err);
        } else resolve(answer!);
      };
      const onAbort = (): void => finish(opts.signal!.reason);
      // Another member answered first: drop this request.
      const onSettled = (): void => finish(new UnavailableError(`request to ${endpoint} superseded`));
      const transport = this.config.tls ? https : http;
      const req = transport.request(url, { method: spec.method, headers, agent: this.agent }, (res) => {
        if (opts.longPollMs !== undefined) {
          // The headers came (etcd flushes them when the wait begins): from now on only the poll length counts.
          clearTimeout(phaseTimer);
          phaseTimer = setTimeout(() => finish(new LongPollIdle()), opts.longPollMs);
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => finish(this.connectionError(endpoint, e)));
        res.on('aborted', () => finish(this.connectionError(endpoint, new Error('the connection closed mid-answer'))));
        res.on('end', () => {
          const index = Number(res.headers['x-etcd-index']);
          finish(undefined, {
            status: res.statusCode ?? 0,
            etcdIndex: Number.isFinite(index) && res.headers['x-etcd-index'] !== undefined ? index : undefined,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
      });
      phaseTimer = setTimeout(
        () => finish(new UnavailableError(`etcd at ${endpoint} did not answer within ${timeoutMs} ms`, 'check that etcd is running and reachable, or raise --timeout')),
        Math.max(0, opts.deadline - Date.now()),
      );
      req.on('error', (e) => finish(this.connectionError(endpoint, e)));
      opts.settled.addEventListener('abort', onSettled, { once: true });
      if (opts.signal) {
        if (opts.signal.aborted) return finish(opts.signal.reason);
        opts.signal.addEventListener('abort', onAbort, { once: true });
      }
      req.end(spec.form);
    });
  }

  private connectionError(endpoint: string, e: Error): UnavailableError {
    const code = (e as NodeJS.ErrnoException).code;
    const hint = this.config.tls
      ? 'check that etcd serves TLS there and that --cacert / --cert / --key are right'
      : 'check --endpoints (or MICRO_REGISTRY_ADDRESS) and that etcd is running; for TLS use https://';
    const worded = connectionFailure(`${code ?? ''} ${e.message}`, { where: endpoint, timeoutMs: this.config.timeoutMs, tls: this.config.tls });
    return Object.assign(worded ?? new UnavailableError(`cannot reach etcd at ${endpoint}: ${code && !e.message.includes(code) ? `${code} ` : ''}${e.message}`, hint), { cause: e });
  }

  /** Turns an answer the operation has no use for into the error it means. */
  private fail(answer: V2Answer): never {
    switch (answer.kind) {
      case 'not-served':
        throw new V2NotServedError(this.where);
      case 'error':
        // 300-302: raft trouble (no leader, timeout): etcd cannot answer right now.
        if (answer.errorCode >= 300 && answer.errorCode < 400) {
          throw new UnavailableError(`etcd at ${this.where} cannot serve the request: ${answer.message}`, 'the cluster may have lost its leader; try again');
        }
        // A segment of the path is a plain key (someone wrote a value where a directory belongs).
        if (answer.errorCode === V2ErrorCode.notDir) {
          throw new UsageError(`${answer.cause ?? 'a segment of the key'} is a plain key, not a directory: etcd v2 cannot hold keys below it (Not a directory)`, 'use another --prefix or service name, or remove that key with etcdctl');
        }
        throw new V2ApiError(answer.status, answer.errorCode, answer.message, answer.cause, answer.index);
      case 'unexpected':
        throw new UnavailableError(`etcd at ${this.where} gave an unexpected answer (HTTP ${answer.status}): ${answer.body.trim().split('\n')[0]}`, 'is this an etcd client URL?');
      default:
        throw new Error(`unexpected v2 answer ${answer.kind}`);
    }
  }

  /**
   * Reads a key or directory, recursively when asked. A missing key (errorCode 100) is `undefined`;
   * an etcd without the v2 API throws V2NotServedError.
   */
  async get(key: string, opts: { recursive?: boolean; sorted?: boolean } = {}): Promise<V2Response | undefined> {
    const answer = await this.send({ method: 'GET', key, query: { recursive: opts.recursive || undefined, sorted: opts.sorted || undefined } });
    if (answer.kind === 'ok') return answer.response;
    if (answer.kind === 'error' && answer.errorCode === V2ErrorCode.keyNotFound) return undefined;
    return this.fail(answer);
  }

  /** Every key below a directory (a service's, or the whole registry's), with TTLs and indexes. */
  async readTree(dir: string): Promise<V2Tree> {
    const answer = await this.send({ method: 'GET', key: dir, query: { recursive: true, sorted: true } });
    if (answer.kind === 'ok') return { leaves: flattenV2(answer.response.node), etcdIndex: answer.response.etcdIndex, exists: true };
    if (answer.kind === 'error' && answer.errorCode === V2ErrorCode.keyNotFound) return { leaves: [], etcdIndex: answer.index, exists: false };
    return this.fail(answer);
  }

  /** Names of the directories directly below a directory (service segments), without reading values. */
  async listDirs(dir: string): Promise<string[]> {
    const res = await this.get(dir);
    return childDirNames(res?.node);
  }

  /**
   * Whether this server serves the v2 API and the directory holds anything: `--layout auto` reads the
   * v2 store only then. An etcd without --enable-v2 is not an error here.
   */
  async hasEntries(dir: string): Promise<boolean> {
    const answer = await this.send({ method: 'GET', key: dir });
    if (answer.kind === 'not-served') return false;
    if (answer.kind === 'error' && answer.errorCode === V2ErrorCode.keyNotFound) return false;
    if (answer.kind === 'ok') return (answer.response.node.nodes ?? []).length > 0;
    return this.fail(answer);
  }

  /**
   * Creates a directory as the plugin does before each set; an existing directory is fine. Only creates
   * (prevExist=false): a plain PUT ?dir=true silently replaces a plain key of that name, value and all,
   * with a directory. A plain key there is refused (exit 2), naming it.
   */
  async createDir(dir: string): Promise<void> {
    const answer = await this.send({ method: 'PUT', key: dir, query: { dir: true, prevExist: false } });
    if (answer.kind === 'ok') return;
    if (answer.kind === 'error' && (answer.errorCode === V2ErrorCode.notFile || answer.errorCode === V2ErrorCode.nodeExist)) {
      const existing = await this.get(dir);
      if (existing === undefined || existing.node.dir) return;
      throw new UsageError(`the v2 key ${dir} holds a value, not a service directory: refusing to replace it`, 'neither go-micro nor micro-reg writes a value there; look at it and remove it yourself if it is not needed');
    }
    this.fail(answer);
  }

  /**
   * Sets a key to a value, with a TTL in seconds (none or 0: permanent), as the plugin's register does.
   * `prevExist: false` only creates (errorCode 105 if it exists); `prevIndex` only replaces that version.
   */
  async set(key: string, value: string, opts: { ttlSeconds?: number; prevExist?: boolean; prevIndex?: number } = {}): Promise<V2Response> {
    const answer = await this.send({ method: 'PUT', key, query: { prevExist: opts.prevExist, prevIndex: opts.prevIndex }, form: setForm(value, opts.ttlSeconds) });
    if (answer.kind === 'ok') return answer.response;
    return this.fail(answer);
  }

  /**
   * Resets a key's TTL without rewriting its value (watchers see nothing): the v2 stand-in for a lease
   * keepalive. A refresh is a write too: it gives the key a new modifiedIndex, returned so the caller
   * can go on telling its key from one written by someone else. With `prevIndex`, only refreshes that
   * version (`changed` when the key was written since, as by a node re-registering under the same id);
   * `gone` when it expired or was deleted, so the caller writes it again.
   */
  async refreshTtl(key: string, ttlSeconds: number, prevIndex?: number): Promise<V2RefreshOutcome> {
    const form = new URLSearchParams({ ttl: String(Math.ceil(ttlSeconds)), refresh: 'true' }).toString();
    const answer = await this.send({ method: 'PUT', key, query: { prevExist: true, prevIndex }, form });
    if (answer.kind === 'ok') return { refreshed: true, modifiedIndex: answer.response.node.modifiedIndex };
    if (answer.kind === 'error' && answer.errorCode === V2ErrorCode.keyNotFound) return { refreshed: false, reason: 'gone' };
    if (answer.kind === 'error' && answer.errorCode === V2ErrorCode.compareFailed) return { refreshed: false, reason: 'changed' };
    return this.fail(answer);
  }

  /**
   * Deletes a key only while its modifiedIndex is still `prevIndex`. `deleted` is false when it changed
   * (101 "Compare failed": `changed`) or is gone (100: `gone`), so a deregister never removes a node
   * re-registered since. etcd ignores a prevIndex of 0 (it would delete unconditionally): refused here.
   */
  async compareAndDelete(key: string, prevIndex: number): Promise<{ deleted: boolean; response?: V2Response; reason?: 'changed' | 'gone' }> {
    if (!Number.isSafeInteger(prevIndex) || prevIndex <= 0) throw new Error(`compareAndDelete ${key}: invalid modifiedIndex ${prevIndex}`);
    const answer = await this.send({ method: 'DELETE', key, query: { prevIndex } });
    if (answer.kind === 'ok') return { deleted: true, response: answer.response };
    if (answer.kind === 'error' && answer.errorCode === V2ErrorCode.compareFailed) return { deleted: false, reason: 'changed' };
    if (answer.kind === 'error' && answer.errorCode === V2ErrorCode.keyNotFound) return { deleted: false, reason: 'gone' };
    return this.fail(answer);
  }

  /** Deletes a key whatever its version; false when it was not there. */
  async delete(key: string): Promise<boolean> {
    const answer = await this.send({ method: 'DELETE', key });
    if (answer.kind === 'ok') return true;
    if (answer.kind === 'error' && answer.errorCode === V2ErrorCode.keyNotFound) return false;
    return this.fail(answer);
  }

  /**
   * Removes a directory if it is empty, as the plugin's deregister does; false when other nodes remain
   * (108 "Directory not empty") or it is already gone (100).
   */
  async deleteDir(dir: string): Promise<boolean> {
    const answer = await this.send({ method: 'DELETE', key: dir, query: { dir: true } });
    if (answer.kind === 'ok') return true;
    if (answer.kind === 'error' && (answer.errorCode === V2ErrorCode.dirNotEmpty || answer.errorCode === V2ErrorCode.keyNotFound)) return false;
    return this.fail(answer);
  }

  /**
   * One long poll for the next event at or after `waitIndex` anywhere below `dir`. The request deadline
   * (--timeout) covers the wait's start only; after `maxWaitMs` (default 60 s) without an event it
   * returns `idle`, so a silently dead connection is noticed and the caller simply polls again. Abort
   * with `signal` (the promise then rejects with the signal's reason).
   */
  async watchOnce(dir: string, waitIndex: number, opts: { signal?: AbortSignal; maxWaitMs?: number } = {}): Promise<V2WatchResult> {
    let answer: V2Answer;
    try {
      answer = await this.send({ method: 'GET', key: dir, query: { wait: true, recursive: true, waitIndex } }, { signal: opts.signal, longPollMs: opts.maxWaitMs ?? 60_000 });
    } catch (e) {
      if (e instanceof LongPollIdle) return { kind: 'idle' };
      throw e;
    }
    const result = watchResult(answer);
    if (result.kind === 'event' || result.kind === 'cleared') return result;
    return this.fail(answer);
  }

  close(): void {
    this.agent.destroy();
  }
}
