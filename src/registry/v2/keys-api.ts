// The etcd v2 keys API's wire format, pure: the shapes of its answers and events, its error codes,
// key URLs and form bodies, and what an HTTP answer means. src/registry/v2/client.ts sends the requests;
// reads and watches decode what comes back with these, without loading Node's HTTP stack.
import { CliError, ExitCode, UnavailableError } from '../../errors.js';
import { encodeBytes, hasRawBytes } from '../bytes.js';
import type { RawKeyValue } from '../codec.js';

/** A node of the v2 store: a key with a value, or a directory with child nodes. */
export interface V2Node {
  key: string;
  dir?: boolean;
  value?: string;
  /** Whole seconds left; absent on keys without a TTL. */
  ttl?: number;
  /** RFC 3339 UTC deadline; absent on keys without a TTL. */
  expiration?: string;
  modifiedIndex: number;
  createdIndex: number;
  nodes?: V2Node[];
}

/** A successful answer: the action, the node, the previous node when etcd sends one, and X-Etcd-Index. */
export interface V2Response {
  action: string;
  node: V2Node;
  prevNode?: V2Node;
  /** X-Etcd-Index: the store index of the answer (of a watch: when the wait began, not the event's). */
  etcdIndex: number;
}

/** A key (not a directory) read from the v2 store, ready for the codec. */
export interface V2Leaf {
  key: string;
  value: string;
  ttl?: number;
  expiration?: string;
  modifiedIndex: number;
  createdIndex: number;
}

/** Every key below a directory: the registry's records. */
export interface V2Tree {
  leaves: V2Leaf[];
  /** X-Etcd-Index of the read: a watch that must miss nothing starts at etcdIndex + 1. */
  etcdIndex: number;
  /** false when the directory did not exist (errorCode 100). */
  exists: boolean;
}

/** One event of the v2 watch: `set`, `create`, `update`, `delete`, `expire`, `compareAndSwap`, `compareAndDelete`. */
export interface V2Event {
  action: string;
  /** For `delete` and `expire`: the key without its value; the value is in prevNode. */
  node: V2Node;
  prevNode?: V2Node;
  /** Where the next watch continues: node.modifiedIndex + 1. */
  nextIndex: number;
}

/** What a TTL refresh did: the key's new modifiedIndex, or why there was nothing to refresh. */
export type V2RefreshOutcome = { refreshed: true; modifiedIndex: number } | { refreshed: false; reason: 'changed' | 'gone' };

export type V2WatchResult =
  | { kind: 'event'; event: V2Event }
  /** etcd keeps the last 1000 events only: re-read, diff, and watch again from etcdIndex + 1. */
  | { kind: 'cleared'; etcdIndex: number }
  /** Nothing happened within maxWaitMs: watch again from the same index (nothing was missed). */
  | { kind: 'idle' };

/** v2 error codes micro-reg acts on (etcd-io/etcd etcdserver/api/v2error). */
export const V2ErrorCode = {
  keyNotFound: 100,
  compareFailed: 101,
  notFile: 102,
  notDir: 104,
  nodeExist: 105,
  dirNotEmpty: 108,
  unauthorized: 110,
  eventIndexCleared: 401,
} as const;

/**
 * An error answer of the v2 API that the operation did not expect ({"errorCode","message","cause","index"}).
 * Operations catch the codes that are part of their contract (100, 101, 102, 108, 401) themselves.
 */
export class V2ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    readonly etcdMessage: string,
    readonly etcdCause: string | undefined,
    readonly index: number,
  ) {
    super(`etcd v2 API: ${etcdMessage}${etcdCause ? ` (${etcdCause})` : ''} [errorCode ${errorCode}]`, ExitCode.internal);
  }
}

/** The endpoint answers, but not with the v2 keys API: etcd 3.4/3.5 without --enable-v2, or 3.6+. Exit 4. */
export class V2NotServedError extends UnavailableError {
  constructor(where: string) {
    super(
      `etcd at ${where} serves no v2 keys API (/v2/keys answers 404)`,
      'the v2 layout needs etcd <= 3.3, or etcd 3.4/3.5 started with --enable-v2 (3.6 removed it); for go-plugins registry/etcdv3 records use --layout legacy',
    );
  }
}


/** The URL path of a key: each segment percent-encoded, as Go's url.URL escapes the path. */
export function keyPath(key: string): string {
  const segments = key.split('/').filter((s) => s !== '');
  return `/v2/keys/${segments.map(encodeSegment).join('/')}`;
}

/**
 * One path segment percent-encoded byte by byte: a byte that is not UTF-8 (kept as U+DC80+byte, see
 * bytes.ts) goes as itself; encodeURIComponent would throw on it.
 */
function encodeSegment(segment: string): string {
  if (!hasRawBytes(segment)) return encodeURIComponent(segment);
  return [...encodeBytes(segment)].map((b) => (/[A-Za-z0-9\-_.!~*'()]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** Query string of options (omitting undefined ones), `?` included when there is any. */
export function queryString(query: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s === '' ? '' : `?${s}`;
}

/** The form body the Go client sends on a set: `value=<json>&ttl=<s>` (ttl omitted for a permanent key). */
export function setForm(value: string, ttlSeconds?: number): string {
  const form = new URLSearchParams({ value });
  if (ttlSeconds !== undefined && ttlSeconds > 0) form.set('ttl', String(Math.ceil(ttlSeconds)));
  return form.toString();
}

/** Every key (not directory) below a node, depth first, in the order etcd gave them. */
export function flattenV2(node: V2Node | undefined): V2Leaf[] {
  const out: V2Leaf[] = [];
  const walk = (n: V2Node, depth: number): void => {
    // etcd nests at most as deep as a key has segments; the bound only guards against a hostile answer.
    if (depth > 64) return;
    if (n.dir) {
      for (const child of n.nodes ?? []) walk(child, depth + 1);
      return;
    }
    const leaf: V2Leaf = { key: n.key, value: n.value ?? '', modifiedIndex: n.modifiedIndex, createdIndex: n.createdIndex };
    if (n.ttl !== undefined) leaf.ttl = n.ttl;
    if (n.expiration !== undefined) leaf.expiration = n.expiration;
    out.push(leaf);
  };
  if (node) walk(node, 0);
  return out;
}

/** A v2 key as the codec reads records: store indexes stand in for v3 revisions, the TTL rides along. */
export function v2RawKeyValue(leaf: V2Leaf): RawKeyValue {
  const kv: RawKeyValue = { key: leaf.key, value: leaf.value, modRevision: String(leaf.modifiedIndex), createRevision: String(leaf.createdIndex) };
  if (leaf.ttl !== undefined) kv.ttl = leaf.ttl;
  if (leaf.expiration !== undefined) kv.expiration = leaf.expiration;
  return kv;
}

/** The names of the directories directly below a directory node (service segments of the registry). */
export function childDirNames(node: V2Node | undefined): string[] {
  return (node?.nodes ?? []).filter((n) => n.dir).map((n) => n.key.slice(n.key.lastIndexOf('/') + 1));
}

export interface HttpAnswer {
  status: number;
  etcdIndex: number | undefined;
  contentType: string;
  body: string;
}

/** What an HTTP answer of /v2/keys means: a response, a v2 error, or that no v2 API answered. */
export type V2Answer =
  | { kind: 'ok'; response: V2Response }
  | { kind: 'error'; status: number; errorCode: number; message: string; cause?: string; index: number }
  | { kind: 'not-served' }
  | { kind: 'unauthorized'; message: string }
  | { kind: 'unexpected'; status: number; body: string };

export function parseAnswer(a: HttpAnswer): V2Answer {
  let json: unknown;
  try {
    json = JSON.parse(a.body);
  } catch {
    json = undefined;
  }
  const obj = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  if (obj && typeof obj.errorCode === 'number') {
    const index = typeof obj.index === 'number' ? obj.index : (a.etcdIndex ?? 0);
    const err = { kind: 'error' as const, status: a.status, errorCode: obj.errorCode, message: String(obj.message ?? ''), index };
    if (obj.errorCode === V2ErrorCode.unauthorized) return { kind: 'unauthorized', message: String(obj.cause ?? obj.message ?? 'unauthorized') };
    return typeof obj.cause === 'string' ? { ...err, cause: obj.cause } : err;
  }
  if (a.status === 401 || a.status === 403) return { kind: 'unauthorized', message: String(obj?.message ?? a.body.trim()) };
  // etcd without the v2 API: Go's mux answers `404 page not found`, plain text.
  if (a.status === 404) return { kind: 'not-served' };
  if (a.status >= 200 && a.status < 300 && obj && typeof obj.action === 'string' && typeof obj.node === 'object' && obj.node !== null) {
    const response: V2Response = { action: obj.action, node: obj.node as V2Node, etcdIndex: a.etcdIndex ?? 0 };
    if (typeof obj.prevNode === 'object' && obj.prevNode !== null) response.prevNode = obj.prevNode as V2Node;
    return { kind: 'ok', response };
  }
  return { kind: 'unexpected', status: a.status, body: a.body.slice(0, 200) };
}

/** A watch event from a watch answer, or what else it said. */
export function watchResult(answer: V2Answer): V2WatchResult | V2Answer {
  if (answer.kind === 'error' && answer.errorCode === V2ErrorCode.eventIndexCleared) return { kind: 'cleared', etcdIndex: answer.index };
  if (answer.kind !== 'ok') return answer;
  const { action, node, prevNode } = answer.response;
  const event: V2Event = { action, node, nextIndex: node.modifiedIndex + 1 };
  if (prevNode) event.prevNode = prevNode;
  return { kind: 'event', event };
}
