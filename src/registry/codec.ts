// Pure decode/encode of go-micro registry values. Decoding is tolerant in the ways go-micro's
// json.Unmarshal is (any key order, case-insensitive keys, null/[]/{} alike, the old `port` field) and
// never throws: anything Go could not decode into a registry.Service comes back as a reason.
// One file over 400 lines on purpose: decoding and encoding are the two directions of one format (what
// go-micro's json.Marshal writes and its json.Unmarshal reads), and a change to go-micro's
// registry.Service touches both, with the record classification that decides which keys hold one.
import type { Endpoint, Layout, MalformedRecord, Metadata, Node, NodeRecord, NodeView, Service, ServiceView, Value } from './model.js';
import { decodeBytes, lossyText } from './bytes.js';
import { type KeySpace, classifyKey, keySegment } from './keys.js';
import { compareVersions } from './versions.js';

/** Value trees deeper than this are refused: go-micro writes at most 3 (micro v3 gRPC: 6) levels. */
export const maxValueDepth = 64;

/**
 * JSON nesting (objects and arrays) a record may have: a value tree of maxValueDepth levels nests
 * 2 × 64 + 3 deep (service, endpoints, endpoint, then an object and a `values` array per level). Deeper
 * values are refused before they are parsed, on every path: an unknown field nested 5,000 deep would
 * otherwise survive the fast path and overflow the stack of JSON.stringify in every JSON read.
 */
export const maxJsonDepth = 2 * maxValueDepth + 3;
const tooDeep = `the value nests deeper than ${maxJsonDepth} levels (value trees: ${maxValueDepth})`;

/** Up to `limit` + 1 opening brackets counted: nesting can never be deeper than their number. */
function openingBrackets(text: string, limit: number): number {
  let n = 0;
  for (let i = text.indexOf('{'); i >= 0 && n <= limit; i = text.indexOf('{', i + 1)) n++;
  for (let i = text.indexOf('['); i >= 0 && n <= limit; i = text.indexOf('[', i + 1)) n++;
  return n;
}

const outsideString = /["{}[\]]/g;
const insideString = /["\\]/g;

/**
 * True when the JSON text nests objects/arrays deeper than `limit` (brackets inside strings do not
 * count). Most records hold fewer brackets than the limit and are passed after two indexOf counts; the
 * others are scanned from one bracket or quote to the next by regular expressions (native, no
 * backtracking), not character by character.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  if (openingBrackets(text, limit) <= limit) return false;
  let depth = 0;
  let i = 0;
  for (;;) {
    outsideString.lastIndex = i;
    const m = outsideString.exec(text);
    if (m === null) return false;
    const c = m[0];
    i = m.index + 1;
    if (c === '"') {
      // Skip the string: to the next quote not escaped by a backslash.
      for (;;) {
        insideString.lastIndex = i;
        const q = insideString.exec(text);
        if (q === null) return false;
        i = q.index + (q[0] === '\\' ? 2 : 1);
        if (q[0] === '"') break;
      }
    } else if (c === '{' || c === '[') {
      if (++depth > limit) return true;
    } else depth--;
  }
}

type Json = Record<string, unknown>;
export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

class DecodeError extends Error {}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Go matches JSON keys to struct fields exactly first, then case-insensitively (pre-2015 values use `Name`, `Id`…). */
function field(obj: Json, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  for (const key of Object.keys(obj)) {
    if (key.toLowerCase() === name) return obj[key];
  }
  return undefined;
}

/** Where in the value a field is, for messages; null on the fast path, where no paths are built. */
type Where = string | null;
const dot = (where: Where): Where => (where === null || where === '' ? where : `${where}.`);
const at = (where: Where, suffix: string): Where => (where === null ? null : `${where}${suffix}`);

/** `sep` joins the path and the message: "nodes[0] is a string" but "nodes[0].port is …". */
function fail(where: Where, message: string, sep = ''): DecodeError {
  return new DecodeError(where ? `${where}${sep}${message}` : message);
}

function str(obj: Json, name: string, where: Where): string {
  const v = field(obj, name);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw fail(dot(where), `${name} is ${describe(v)}, not a string`);
  return v;
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * Sets a map entry as an own property: plain assignment of "__proto__" (a legal JSON key, kept by Go)
 * would change the object's prototype and lose the entry.
 */
function setEntry(map: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

function metadata(v: unknown, where: Where): Metadata {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) {
    if (v.length === 0) return {};
    throw fail(where, 'metadata is a non-empty array');
  }
  if (!isObject(v)) throw fail(where, `metadata is ${describe(v)}, not an object`);
  for (const k in v) {
    if (typeof v[k] !== 'string') throw fail(where, `metadata.${k} is ${describe(v[k])}, not a string`);
  }
  return v as Record<string, string>;
}

/**
 * A JSON list (null and {} are accepted as go-micro writes them). Items are checked in place: the
 * freshly parsed array is reused, an item replaced only when it had to be rebuilt.
 */
function list<T>(v: unknown, where: Where, what: string, item: (x: unknown, where: Where) => T): T[] | null {
  if (v === undefined || v === null) return null;
  if (isObject(v) && Object.keys(v).length === 0) return [];
  if (!Array.isArray(v)) throw fail(where, `${what} is ${describe(v)}, not an array`);
  for (let i = 0; i < v.length; i++) {
    const out = item(v[i], where === null ? null : `${where}${what}[${i}]`);
    if (out !== v[i]) v[i] = out;
  }
  return v as T[];
}

function value(v: unknown, where: Where, depth = 1): Value | null {
  if (v === undefined || v === null) return null;
  if (depth > maxValueDepth) throw fail(where, `nests deeper than ${maxValueDepth} levels`, ' ');
  if (!isObject(v)) throw fail(where, `is ${describe(v)}, not an object`, ' ');
  const name = str(v, 'name', where);
  const type = str(v, 'type', where);
  const values = list(field(v, 'values'), dot(where), 'values', (x, w) => {
    const child = value(x, w, depth + 1);
    if (child === null) throw fail(w, 'is null', ' ');
    return child;
  });
  // The parsed object is kept when it already has go-micro's shape: most of a registry is value trees.
  if (v.name === name && v.type === type && v.values === values) return v as unknown as Value;
  return { name, type, values };
}

function endpoint(v: unknown, where: Where): Endpoint {
  if (!isObject(v)) throw fail(where, `is ${describe(v)}, not an object`, ' ');
  const e = {
    name: str(v, 'name', where),
    request: value(field(v, 'request'), at(where, '.request')),
    response: value(field(v, 'response'), at(where, '.response')),
    metadata: metadata(field(v, 'metadata'), dot(where)),
  };
  if (v.name === e.name && v.request === e.request && v.response === e.response && v.metadata === e.metadata) return v as unknown as Endpoint;
  return e;
}

/** "host" + port 54321 -> "host:54321"; IPv6 hosts get brackets, as net.JoinHostPort does. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Splits "host:port" / "[v6]:port"; undefined when there is no port. */
export function splitHostPort(address: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]*)\]:(\d+)$/.exec(address) ?? /^([^:[\]]*):(\d+)$/.exec(address);
  if (!m) return undefined;
  return { host: m[1]!, port: Number(m[2]) };
}

function node(v: unknown, where: Where): Node {
  if (!isObject(v)) throw fail(where, `is ${describe(v)}, not an object`, ' ');
  let address = str(v, 'address', where);
  const port = field(v, 'port');
  if (port !== undefined && port !== null) {
    if (typeof port !== 'number' || !Number.isInteger(port)) throw fail(dot(where), `port is ${describe(port)}, not an integer`);
    // go-micro up to v1.7 kept the port apart; address is the bare host then.
    if (port > 0 && splitHostPort(address) === undefined) address = joinHostPort(address, port);
  }
  return { id: str(v, 'id', where), address, metadata: metadata(field(v, 'metadata'), dot(where)) };
}

function decodeFields(parsed: Json, where: Where): Service | string {
  const name = str(parsed, 'name', where === null ? null : '');
  if (name === '') return 'the service has no name';
  const nodes = list(field(parsed, 'nodes'), where, 'nodes', (x, w) => node(x, w)) ?? [];
  if (nodes.length === 0) return 'the service has no node';
  return {
    name,
    version: str(parsed, 'version', where),
    metadata: metadata(field(parsed, 'metadata'), where),
    endpoints: list(field(parsed, 'endpoints'), where, 'endpoints', endpoint),
    nodes,
  };
}

/** Decodes one stored value into a go-micro Service, or says why go-micro could not. */
export function decodeService(raw: string | Uint8Array): Decoded<Service> {
  // Bytes that are not UTF-8 stay visible (shown as \xff), not turned into U+FFFD (src/registry/bytes.ts).
  const text = typeof raw === 'string' ? raw : decodeBytes(raw);
  if (nestsDeeperThan(text, maxJsonDepth)) return { ok: false, reason: tooDeep };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: text.trim() === '' ? 'the value is empty' : 'the value is not JSON' };
  }
  // Something wrong is looked at again in a fresh copy, parsed from the text.
  return decodeParsed(parsed, () => JSON.parse(text) as Json);
}

/**
 * A parsed value as a go-micro Service: the fast path first (no field paths are built while all is
 * well); when something is wrong, `freshCopy()` decoded again, naming where (the fast path may have
 * normalised the first copy in place).
 */
function decodeParsed(parsed: unknown, freshCopy: () => Json): Decoded<Service> {
  if (!isObject(parsed)) return { ok: false, reason: `the value is ${describe(parsed)}, not a JSON object` };
  try {
    const out = decodeFields(parsed, null);
    return typeof out === 'string' ? { ok: false, reason: out } : { ok: true, value: out };
  } catch (e) {
    if (!(e instanceof DecodeError)) return { ok: false, reason: `the value cannot be decoded (${(e as Error).message})` };
  }
  try {
    const out = decodeFields(freshCopy(), '');
    return typeof out === 'string' ? { ok: false, reason: out } : { ok: true, value: out };
  } catch (e) {
    if (e instanceof DecodeError) return { ok: false, reason: e.message };
    // A RangeError from a pathological value must not escape a read either.
    return { ok: false, reason: `the value cannot be decoded (${(e as Error).message})` };
  }
}

/**
 * Decodes an already parsed value (a record of a file that was parsed whole) without printing and
 * parsing it again. The value may be normalised in place. Errors name the field, as decodeService's do.
 */
export function decodeServiceValue(parsed: unknown): Decoded<Service> {
  // The same bound as on stored values: a file must not make apply write what reads refuse.
  if (parsedDeeperThan(parsed, maxJsonDepth)) return { ok: false, reason: tooDeep };
  return decodeParsed(parsed, () => JSON.parse(JSON.stringify(parsed)) as Json);
}

/** True when a parsed value nests objects and arrays deeper than `limit` levels (iterative: nothing to overflow). */
function parsedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** Nesting depth at the end of a JSON text's prefix, and whether it ends inside a string. */
function endState(text: string): { depth: number; inString: boolean } {
  let depth = 0;
  let i = 0;
  for (;;) {
    outsideString.lastIndex = i;
    const m = outsideString.exec(text);
    if (m === null) return { depth, inString: false };
    i = m.index + 1;
    if (m[0] === '"') {
      for (;;) {
        insideString.lastIndex = i;
        const q = insideString.exec(text);
        if (q === null || q.index + (q[0] === '\\' ? 2 : 1) > text.length) return { depth, inString: true };
        i = q.index + (q[0] === '\\' ? 2 : 1);
        if (q[0] === '"') break;
      }
    } else if (m[0] === '{' || m[0] === '[') depth++;
    else depth--;
  }
}

/**
 * True when `head`, the part of a valid value before its last `"nodes":`, ends between the members of
 * the top-level object. The value is valid and `{` + the rest is one complete object, so the head ends
 * one level deep, where a key may come next, unless it ends inside a string: only an escaped quote can
 * make that valid (`"k\"nodes":…` is one key), so a head with no backslash passes at once and one with
 * a backslash is scanned.
 */
function endsBetweenMembers(head: string): boolean {
  if (!head.includes('\\')) return true;
  const state = endState(head);
  return !state.inString && state.depth === 1;
}

const nodesMember = Buffer.from('"nodes":');

/** A service's fields but its nodes, as decoded from a value's head. */
type ServiceHead = Omit<Service, 'nodes'>;

/**
 * Decodes the values of one read, sharing the work between values that differ only in their node.
 * go-micro writes every node of a service with the same bytes before `"nodes":` (name, version,
 * metadata, endpoints: most of a value) and the node list last. A value whose head is byte for byte
 * the head of a value already decoded (and checked: it ends between the top-level members, and that
 * value's tail held `"nodes"` alone) reuses that decoded head and parses only its own tail; since
 * JSON is read left to right, the result is what decodeService gives for the whole value. Anything
 * else, and any tail that is not exactly one valid `"nodes"` member, takes decodeService's full path.
 * The decoded heads are shared between records: callers must not change them in place.
 */
export class ValueDecoder {
  /** Recently seen heads, most recent first: a service's keys come together in key order. */
  private readonly heads: { bytes: Buffer; head: ServiceHead }[] = [];

  constructor(private readonly capacity = 16) {}

  decode(raw: string | Uint8Array): Decoded<Service> {
    if (typeof raw === 'string') return decodeService(raw);
    const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    const at = buf.lastIndexOf(nodesMember);
    if (at <= 0) return decodeService(buf);
    const headBytes = buf.subarray(0, at);
    const hit = this.find(headBytes);
    if (hit) {
      const nodes = tailNodes(buf.subarray(at));
      if (nodes) return { ok: true, value: { name: hit.name, version: hit.version, metadata: hit.metadata, endpoints: hit.endpoints, nodes } };
      return decodeService(buf);
    }
    const full = decodeService(buf);
    if (full.ok && tailNodes(buf.subarray(at)) !== undefined) {
      if (endsBetweenMembers(decodeBytes(headBytes))) {
        const { name, version, metadata, endpoints } = full.value;
        this.remember(Buffer.from(headBytes), { name, version, metadata, endpoints });
      }
    }
    return full;
  }

  private find(headBytes: Buffer): ServiceHead | undefined {
    for (let i = 0; i < this.heads.length; i++) {
      const entry = this.heads[i]!;
      if (entry.bytes.length === headBytes.length && entry.bytes.equals(headBytes)) {
        if (i > 0) this.heads.unshift(...this.heads.splice(i, 1));
        return entry.head;
      }
    }
    return undefined;
  }

  private remember(bytes: Buffer, head: ServiceHead): void {
    this.heads.unshift({ bytes, head });
    if (this.heads.length > this.capacity) this.heads.pop();
  }
}

/**
 * A value's tail from `"nodes":` on, read as the object `{"nodes":…}`: its nodes when that is valid
 * JSON holding the one member `nodes`, a non-empty list of valid nodes; otherwise undefined.
 */
function tailNodes(tail: Buffer): Node[] | undefined {
  const text = `{${decodeBytes(tail)}`;
  if (nestsDeeperThan(text, maxJsonDepth)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(parsed)) return undefined;
  let members = 0;
  for (const _ in parsed) members++;
  if (members !== 1 || !Object.hasOwn(parsed, 'nodes')) return undefined;
  try {
    const nodes = list(parsed.nodes, null, 'nodes', (x, w) => node(x, w));
    return nodes !== null && nodes.length > 0 ? nodes : undefined;
  } catch {
    return undefined;
  }
}

export interface RawKeyValue {
  /** The key as text: decodeBytes() of its bytes (a byte that is not UTF-8 is kept, shown as \xff). */
  key: string;
  /** The key's bytes as etcd returned them (v3); what deletes and compares use. v2 keys arrive as JSON text. */
  keyBytes?: Buffer;
  value: string | Uint8Array;
  lease?: string;
  modRevision?: string;
  createRevision?: string;
  /** v2 keys API only: seconds left on the key's TTL when it was read, and its deadline. */
  ttl?: number;
  expiration?: string;
}

export type RecordResult = { kind: 'record'; record: NodeRecord } | { kind: 'malformed'; malformed: MalformedRecord } | { kind: 'foreign' };

function segmentOf(value: string): string | undefined {
  try {
    return keySegment(value, 'segment');
  } catch {
    return undefined;
  }
}

function sameSegment(fromValue: string | undefined, fromKey: string): boolean {
  return fromValue === fromKey || (fromValue !== undefined && lossyText(fromValue) === lossyText(fromKey));
}

/**
 * Classifies one key/value read from a layout's key space: a node record, a malformed record (with the
 * reason), or `foreign`, a key of another layout that shares the prefix, which is not this layout's business.
 */
export function decodeRecord(space: KeySpace, kv: RawKeyValue, values?: ValueDecoder): RecordResult {
  const malformed = (reason: string): RecordResult => ({ kind: 'malformed', malformed: { key: kv.key, layout: space.layout, reason, ...(kv.keyBytes && { keyBytes: kv.keyBytes }) } });
  const keyClass = classifyKey(space, kv.key);
  if (keyClass.kind === 'foreign') return keyClass;
  if (keyClass.kind === 'bad') return malformed(keyClass.reason);
  const parsed = keyClass.parsed;
  const decoded = values ? values.decode(kv.value) : decodeService(kv.value);
  if (!decoded.ok) return malformed(decoded.reason);
  const service = decoded.value;
  if (service.nodes.length !== 1) return malformed(`the value holds ${service.nodes.length} nodes; a key holds one`);
  // Compared as Go reads them: a byte of the key that is not UTF-8 is U+FFFD in the id go-micro wrote.
  if (!sameSegment(segmentOf(service.name), parsed.service)) return malformed(`the key names service "${parsed.service}" but the value "${service.name}"`);
  const id = service.nodes[0]!.id;
  if (!sameSegment(segmentOf(id), parsed.node)) return malformed(`the key names node "${parsed.node}" but the value "${id}"`);
  const record: NodeRecord = { key: kv.key, layout: space.layout, service };
  if (kv.keyBytes !== undefined) record.keyBytes = kv.keyBytes;
  if (parsed.domain !== undefined) record.domain = parsed.domain;
  if (kv.lease !== undefined && kv.lease !== '0') record.lease = kv.lease;
  if (kv.modRevision !== undefined) record.modRevision = kv.modRevision;
  if (kv.createRevision !== undefined) record.createRevision = kv.createRevision;
  if (kv.ttl !== undefined) record.ttl = kv.ttl;
  if (kv.expiration !== undefined) record.expiration = kv.expiration;
  return { kind: 'record', record };
}

/**
 * A key read under a prefix that several layouts share (`micro` and `domain`): the first layout that
 * claims the key decodes it; `foreign` when none does.
 */
export function decodeRecordIn(spaces: readonly KeySpace[], kv: RawKeyValue, values?: ValueDecoder): RecordResult {
  for (const space of spaces) {
    const r = decodeRecord(space, kv, values);
    if (r.kind !== 'foreign') return r;
  }
  return { kind: 'foreign' };
}

/** etcd lease ids are int64: decimal on the wire, hex as etcdctl prints them. */
export function leaseHex(lease: string): string {
  return BigInt(lease).toString(16);
}

/** Plain code-unit order, the same on every machine (no locale). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Node records in the order listings show them: service, version, domain, node id, then key. */
export function compareRecords(a: NodeRecord, b: NodeRecord): number {
  const [x, y] = [a.service, b.service];
  return (
    compareText(x.name, y.name) ||
    compareVersions(x.version, y.version) ||
    compareText(a.domain ?? '', b.domain ?? '') ||
    compareText(x.nodes[0]?.id ?? '', y.nodes[0]?.id ?? '') ||
    compareText(a.key, b.key)
  );
}

/** Records of one group make one service row: same layout, domain, name and version. */
export function groupKey(record: NodeRecord): string {
  return `${record.layout}\0${record.domain ?? ''}\0${record.service.name}\0${record.service.version}`;
}

/**
 * go-micro's grouping: one service per name+version (and per domain and layout, which are separate
 * registries); the first record of a group, in key order, supplies metadata and endpoints; every
 * record adds its node. Sorted by name then version (version order: versions.ts), nodes by id. `ttls` (by lease id) fills node TTLs;
 * v2 keys carry their own TTL, read with the key.
 */
export function groupServices(records: readonly NodeRecord[], ttls?: ReadonlyMap<string, number>): ServiceView[] {
  const groups = new Map<string, ServiceView>();
  // Many records share a lease (one per registering process): each is turned into hex once.
  const hexLeases = new Map<string, string>();
  for (const record of records) {
    const s = record.service;
    const key = groupKey(record);
    let view = groups.get(key);
    if (!view) {
      view = { name: s.name, version: s.version, metadata: s.metadata, endpoints: s.endpoints, nodes: [], layout: record.layout };
      if (record.domain !== undefined) view.domain = record.domain;
      groups.set(key, view);
    }
    for (const n of s.nodes) {
      // The decoded Node has exactly these fields (codec: node()); no spread of the parsed object.
      const nv: NodeView = { id: n.id, address: n.address, metadata: n.metadata, key: record.key, layout: record.layout };
      if (record.keyBytes !== undefined) nv.keyBytes = record.keyBytes;
      if (record.lease !== undefined) {
        let hex = hexLeases.get(record.lease);
        if (hex === undefined) hexLeases.set(record.lease, (hex = leaseHex(record.lease)));
        nv.lease = hex;
        if (ttls) nv.ttl = ttls.get(record.lease) ?? null;
      } else if (record.ttl !== undefined) {
        nv.ttl = record.ttl;
        if (record.expiration !== undefined) nv.expiration = record.expiration;
      }
      view.nodes.push(nv);
    }
  }
  const out = [...groups.values()];
  for (const v of out) v.nodes.sort((a, b) => compareText(a.id, b.id));
  return out.sort(
    (a, b) =>
      compareText(a.name, b.name) ||
      compareVersions(a.version, b.version) ||
      compareText(a.domain ?? '', b.domain ?? '') ||
      compareText(a.layout, b.layout),
  );
}

// ---- encoding: what Go's json.Marshal of a registry.Service writes ----

/**
 * Go struct field order differs by go-micro version (format reference 3.2):
 * - `v1.7`: node `id, address, port, metadata` (go-micro v0.x..v1.7, the legacy and v2 plugins);
 * - `v1.8`: node `id, address, metadata`, endpoint `name, request, response, metadata` (v1.8..v4.10.1, micro v3);
 * - `v4.10.2`: node `metadata, id, address`, endpoint `request, response, metadata, name` (v4.10.2+, v5, v6).
 */
export type FieldOrder = 'v1.7' | 'v1.8' | 'v4.10.2';

/** The field order go-micro writes in each layout when micro-reg registers. */
export const layoutFieldOrder: Record<Layout, FieldOrder> = {
  micro: 'v4.10.2',
  domain: 'v1.8',
  legacy: 'v1.7',
  v2: 'v1.7',
};

function sortedMetadata(m: Metadata): Metadata {
  if (m === null) return null;
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) setEntry(out, k, m[k]!);
  return out;
}

function encodeValue(v: Value | null): unknown {
  if (v === null) return null;
  return { name: v.name, type: v.type, values: v.values === null ? null : v.values.map(encodeValue) };
}

function encodeEndpoint(e: Endpoint, order: FieldOrder): unknown {
  const request = encodeValue(e.request);
  const response = encodeValue(e.response);
  const metadata = sortedMetadata(e.metadata);
  if (order === 'v4.10.2') return { request, response, metadata, name: e.name };
  return { name: e.name, request, response, metadata };
}

function encodeNode(n: Node, order: FieldOrder): unknown {
  const metadata = sortedMetadata(n.metadata);
  if (order === 'v4.10.2') return { metadata, id: n.id, address: n.address };
  if (order === 'v1.8') return { id: n.id, address: n.address, metadata };
  const split = splitHostPort(n.address);
  return { id: n.id, address: split ? split.host : n.address, port: split ? split.port : 0, metadata };
}

/** Go's encoder escapes these even inside strings; JSON.stringify does not. */
const goEscapes: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => goEscapes[c]!);
}

/** The exact bytes go-micro of the given generation stores for this service. */
export function encodeService(service: Service, order: FieldOrder): string {
  return goJson({
    name: service.name,
    version: service.version,
    metadata: sortedMetadata(service.metadata),
    endpoints: service.endpoints === null ? null : service.endpoints.map((e) => encodeEndpoint(e, order)),
    nodes: service.nodes.map((n) => encodeNode(n, order)),
  });
}
