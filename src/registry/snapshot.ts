// The registry as data (pure): a snapshot document built from node records, the files `diff` and
// `apply` read (that document, or a short hand-written list of services), and the writes that make a
// registry match a file; the node-by-node comparison of two registries is in compare.ts. No I/O here:
// commands read etcd and files, this module decides.
import { UsageError } from '../errors.js';
import { type FieldOrder, compareText, decodeService, decodeServiceValue, encodeService, layoutFieldOrder, leaseHex } from './codec.js';
import { type KeySpace, keySpace, nodeKey, wildcardDomain } from './keys.js';
import { type Layout, type Endpoint, type Metadata, type Node, type NodeRecord, type Service, type Value, layouts } from './model.js';
import { addressProblem, checkName, encodeRecords } from './records.js';
import { type Comparable, nodeChanges } from './compare.js';

export const snapshotFormat = 'micro-reg/snapshot/v1';

/** One etcd key of a snapshot: where it lives, the go-micro record it holds, and how to write its bytes again. */
export interface SnapshotRecord {
  key: string;
  layout: Layout;
  domain?: string;
  service: string;
  version: string;
  metadata: Metadata;
  endpoints: Endpoint[] | null;
  node: Node;
  /** Lease id in hex, as etcdctl prints it (v3 layouts, when the key is on a lease). */
  lease?: string;
  /** Seconds left on the lease (v2: on the key) when read; absent with --no-ttl, or when unknown. */
  ttl?: number;
  /** The go-micro field order whose encoding of the fields above gives back the stored bytes exactly. */
  encoding?: FieldOrder;
  /** The stored bytes, kept only when no field order reproduces them (e.g. a hand-made record). */
  raw?: string;
}

export interface Snapshot {
  format: typeof snapshotFormat;
  /** The etcd revision the v3 keys were read at (absent when only the v2 store was read). */
  revision?: string;
  /** The v2 store's index when the v2 layout was read. */
  v2Index?: number;
  layouts: Layout[];
  records: SnapshotRecord[];
}

const fieldOrders: readonly FieldOrder[] = ['v4.10.2', 'v1.8', 'v1.7'];

/** A one-node service: the record's decoded value. */
function serviceOf(r: Pick<SnapshotRecord, 'service' | 'version' | 'metadata' | 'endpoints' | 'node'>): Service {
  return { name: r.service, version: r.version, metadata: r.metadata, endpoints: r.endpoints, nodes: [r.node] };
}

/** Endpoints and value trees as go-micro's types have them, without fields a stored value may carry beyond them. */
function cleanValue(v: Value | null): Value | null {
  return v === null ? null : { name: v.name, type: v.type, values: v.values === null ? null : v.values.map((c) => cleanValue(c)!) };
}

function cleanEndpoints(endpoints: Endpoint[] | null): Endpoint[] | null {
  return endpoints === null ? null : endpoints.map((e) => ({ name: e.name, request: cleanValue(e.request), response: cleanValue(e.response), metadata: e.metadata }));
}

/** Metadata with sorted keys (Go's encoder sorts map keys; so do snapshots). */
function sortedMeta(m: Metadata): Metadata {
  if (m === null) return null;
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort(compareText)) Object.defineProperty(out, k, { value: m[k], enumerable: true, writable: true, configurable: true });
  return out;
}

/** How a record's stored bytes come back: a go-micro field order that reproduces them, or the bytes themselves. */
export type StoredForm = { encoding: FieldOrder } | { raw: string };

/**
 * Worked out while reading, so that the bytes need not be kept: the field order whose encoding of the
 * decoded record gives back `stored` exactly (the layout's own order tried first), else the bytes.
 */
export function storedForm(record: NodeRecord, stored: string): StoredForm {
  const own = layoutFieldOrder[record.layout];
  for (const order of [own, ...fieldOrders.filter((o) => o !== own)]) if (encodeService(record.service, order) === stored) return { encoding: order };
  return { raw: stored };
}

export interface SnapshotInput {
  records: readonly NodeRecord[];
  /** How each record's stored bytes come back (storedForm); a record without one has neither `encoding` nor `raw`. */
  stored?: ReadonlyMap<NodeRecord, StoredForm>;
  revision?: string;
  v2Index?: number;
  layouts: readonly Layout[];
  /** Seconds left by lease id (v3); v2 records carry their own. Absent: no TTLs in the document. */
  ttls?: ReadonlyMap<string, number>;
  noTtl?: boolean;
}

/** The snapshot document: records sorted by service, version, domain, node id, key; stable for an unchanged registry. */
export function buildSnapshot(input: SnapshotInput): Snapshot {
  const records = [...input.records].sort(compareRecordsForSnapshot).map((r) => snapshotRecord(r, input.stored?.get(r), input));
  // Built field by field for a stable key order: format, revision, v2Index, layouts, records.
  const out = { format: snapshotFormat } as Snapshot;
  if (input.revision !== undefined && input.revision !== '0') out.revision = input.revision;
  if (input.v2Index !== undefined) out.v2Index = input.v2Index;
  out.layouts = [...input.layouts].sort((a, b) => layouts.indexOf(a) - layouts.indexOf(b));
  out.records = records;
  return out;
}

function compareRecordsForSnapshot(a: NodeRecord, b: NodeRecord): number {
  return (
    compareText(a.service.name, b.service.name) ||
    compareText(a.service.version, b.service.version) ||
    compareText(a.domain ?? '', b.domain ?? '') ||
    compareText(a.service.nodes[0]!.id, b.service.nodes[0]!.id) ||
    compareText(a.layout, b.layout) ||
    compareText(a.key, b.key)
  );
}

function snapshotRecord(r: NodeRecord, stored: StoredForm | undefined, input: SnapshotInput): SnapshotRecord {
  const s = r.service;
  const n = s.nodes[0]!;
  const out = { key: r.key, layout: r.layout } as SnapshotRecord;
  if (r.domain !== undefined) out.domain = r.domain;
  Object.assign(out, {
    service: s.name,
    version: s.version,
    metadata: sortedMeta(s.metadata),
    endpoints: cleanEndpoints(s.endpoints),
    node: { id: n.id, address: n.address, metadata: sortedMeta(n.metadata) },
  });
  if (r.lease !== undefined) out.lease = leaseHex(r.lease);
  if (!input.noTtl) {
    const ttl = r.lease !== undefined ? input.ttls?.get(r.lease) : r.ttl;
    if (ttl !== undefined && ttl >= 0) out.ttl = ttl;
  }
  if (stored !== undefined) Object.assign(out, stored);
  return out;
}

// ---- files: a snapshot document, or the short hand-written form ----

/** What a `diff -f` / `apply -f` file holds, checked. */
export type StateFile = { kind: 'snapshot'; snapshot: Snapshot } | { kind: 'services'; services: Service[] };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A parsed file (JSON or YAML) as a snapshot (`{"format": …, "records": […]}`) or as a list of services
 * (`{"services": […]}` or a bare list): `[{name, version?, metadata?, endpoints?, nodes: [{id?, address, metadata?}]}]`,
 * endpoints given as names or as go-micro Endpoint objects. Refuses anything else with the place named.
 */
export function parseStateDocument(doc: unknown, file: string): StateFile {
  if (isObject(doc) && 'records' in doc) return { kind: 'snapshot', snapshot: parseSnapshot(doc, file) };
  const list = Array.isArray(doc) ? doc : isObject(doc) && Array.isArray(doc.services) ? doc.services : undefined;
  if (list === undefined) {
    throw new UsageError(`${file} is neither a micro-reg snapshot nor a list of services`, 'expected {"format":"micro-reg/snapshot/v1","records":[…]} (micro-reg export) or {"services":[{"name":…,"nodes":[{"id":…,"address":"host:port"}]}]}');
  }
  return { kind: 'services', services: list.map((s, i) => handService(s, `${file}: services[${i}]`)) };
}

function handService(v: unknown, where: string): Service {
  if (!isObject(v)) throw new UsageError(`${where} is not an object`);
  const name = typeof v.name === 'string' ? v.name : '';
  checkName(name, `name in ${where}`);
  if (!Array.isArray(v.nodes) || v.nodes.length === 0) throw new UsageError(`${where} (${name}) has no nodes`, 'each service lists its nodes: nodes: [{id: …, address: host:port}]');
  const endpoints = v.endpoints === undefined ? null : Array.isArray(v.endpoints) ? v.endpoints.map((e) => (typeof e === 'string' ? { name: e, request: null, response: null, metadata: {} } : e)) : v.endpoints;
  // Node ids default to name-address: stable, so applying the file again finds the same keys.
  const nodes = v.nodes.map((n) => (isObject(n) && (n.id === undefined || n.id === '') && typeof n.address === 'string' ? { ...n, id: `${name}-${n.address}` } : n));
  const decoded = decodeService(JSON.stringify({ name, version: v.version ?? 'latest', metadata: v.metadata ?? null, endpoints, nodes }));
  if (!decoded.ok) throw new UsageError(`${where} (${name}) is not a go-micro service: ${decoded.reason}`);
  const service = decoded.value;
  if (service.version === '') service.version = 'latest';
  for (const [i, n] of service.nodes.entries()) {
    const problem = addressProblem(n.address);
    if (problem) throw new UsageError(`invalid address "${n.address}" of ${where}.nodes[${i}]: ${problem}`);
  }
  return service;
}

function parseSnapshot(doc: Record<string, unknown>, file: string): Snapshot {
  if (doc.format !== undefined && doc.format !== snapshotFormat) {
    throw new UsageError(`${file} has format "${String(doc.format)}"; this micro-reg reads ${snapshotFormat}`);
  }
  if (!Array.isArray(doc.records)) throw new UsageError(`${file}: records is not a list`);
  const records = doc.records.map((r, i) => snapshotFileRecord(r, `${file}: records[${i}]`));
  const out: Snapshot = { format: snapshotFormat, layouts: [...new Set(records.map((r) => r.layout))], records };
  if (typeof doc.revision === 'string' || typeof doc.revision === 'number') out.revision = String(doc.revision);
  return out;
}

function snapshotFileRecord(v: unknown, where: string): SnapshotRecord {
  if (!isObject(v)) throw new UsageError(`${where} is not an object`);
  const layout = v.layout ?? 'micro';
  if (typeof layout !== 'string' || !(layouts as readonly string[]).includes(layout)) throw new UsageError(`${where}: layout "${String(layout)}" is not one of ${layouts.join(', ')}`);
  const decoded = decodeServiceValue({ name: v.service, version: v.version, metadata: v.metadata, endpoints: v.endpoints, nodes: [v.node] });
  if (!decoded.ok) throw new UsageError(`${where} is not a go-micro record: ${decoded.reason}`);
  const s = decoded.value;
  checkName(s.name, `service in ${where}`);
  const node = s.nodes[0]!;
  const problem = addressProblem(node.address);
  if (problem) throw new UsageError(`invalid address "${node.address}" in ${where}: ${problem}`);
  if (node.id === '') throw new UsageError(`${where}: node.id is empty`);
  const out: SnapshotRecord = { key: typeof v.key === 'string' ? v.key : '', layout: layout as Layout, service: s.name, version: s.version, metadata: s.metadata, endpoints: s.endpoints, node };
  if (typeof v.domain === 'string' && v.domain !== '') out.domain = v.domain;
  if (typeof v.encoding === 'string' && (fieldOrders as readonly string[]).includes(v.encoding)) out.encoding = v.encoding as FieldOrder;
  if (typeof v.raw === 'string') out.raw = v.raw;
  return out;
}

// ---- from a file to the records a registry should hold ----

/** A record as `apply` would write it: the key in the target registry, the bytes, and what they decode to. */
export interface DesiredRecord {
  key: string;
  layout: Layout;
  domain?: string;
  service: Service;
  value: string;
}

/** Where the target registry writes: the layout (auto: each record's own), prefix and domain of the configuration. */
export interface TargetConfig {
  layout: Layout | 'auto';
  prefix?: string;
  domain?: string;
}

/**
 * The key space a record of `layout`/`domain` goes to in the target: with `--layout auto` the layout it
 * came from (standard prefixes); otherwise the configured layout, prefix and domain (a record read in
 * another layout is converted, as register would write it there).
 */
export function targetSpace(target: TargetConfig, layout: Layout | undefined, domain: string | undefined): KeySpace {
  if (target.layout === 'auto') return keySpace(layout ?? 'micro', undefined, layout === 'domain' ? domain : undefined);
  const configured = target.domain !== undefined && target.domain !== wildcardDomain ? target.domain : undefined;
  return keySpace(target.layout, target.prefix, target.layout === 'domain' ? (domain ?? configured) : undefined);
}

/**
 * The records a file asks the target to hold. Keys are always computed from the target's key space and
 * the record's service name and node id (the key a file states is not trusted: no file writes outside
 * the prefix). A snapshot record kept in its own layout is written with its stored bytes again.
 */
export function desiredRecords(state: StateFile, target: TargetConfig, file: string): DesiredRecord[] {
  const out: DesiredRecord[] = [];
  if (state.kind === 'services') {
    for (const s of state.services) {
      const space = targetSpace(target, undefined, undefined);
      for (const e of encodeRecords(space, s)) out.push(desired(e.key, space, e.service, e.value));
    }
  } else {
    for (const r of state.snapshot.records) {
      const space = targetSpace(target, r.layout, r.domain);
      const service = serviceOf(r);
      const inOwnLayout = space.layout === r.layout && space.domain === r.domain;
      const raw = inOwnLayout && r.raw !== undefined ? decodeService(r.raw) : undefined;
      const key = (): string => nodeKey(space, service.name, service.nodes[0]!.id);
      // Stored bytes come back as they were, unless the record was edited since (its fields say otherwise).
      if (raw?.ok && raw.value.nodes.length === 1 && raw.value.name === service.name && raw.value.version === service.version && nodeChanges(raw.value, service, {}).length === 0) {
        out.push(desired(key(), space, raw.value, r.raw!));
      } else if (inOwnLayout && r.encoding !== undefined) {
        out.push(desired(key(), space, service, encodeService(service, r.encoding)));
      } else {
        // Into another layout (or hand-made without an encoding): as register would write it there.
        const [encoded] = encodeRecords(space, service);
        out.push(desired(encoded!.key, space, encoded!.service, encoded!.value));
      }
    }
  }
  const seen = new Map<string, DesiredRecord>();
  for (const d of out) {
    const twice = seen.get(`${d.layout}\0${d.key}`);
    if (twice) throw new UsageError(`${file} lists node "${d.service.nodes[0]!.id}" of ${d.service.name} twice (key ${d.key})`, 'a node id is one key: give each node its own id');
    seen.set(`${d.layout}\0${d.key}`, d);
  }
  return out;
}

function desired(key: string, space: KeySpace, service: Service, value: string): DesiredRecord {
  const d: DesiredRecord = { key, layout: space.layout, service, value };
  if (space.layout === 'domain') d.domain = key.slice(space.prefix.length).split('/')[0]!;
  return d;
}

/** The records of a snapshot as read records, for comparisons (diff -f with a snapshot, no target involved). */
export function snapshotNodeRecords(snapshot: Snapshot): NodeRecord[] {
  return snapshot.records.map((r) => {
    const record: NodeRecord = { key: r.key, layout: r.layout, service: serviceOf(r) };
    if (r.domain !== undefined) record.domain = r.domain;
    return record;
  });
}

// ---- apply ----

export interface ApplyPlan {
  /** Keys to write that do not exist. */
  create: DesiredRecord[];
  /** Keys that exist and hold something else: written again, compared on the mod revision read. */
  update: { desired: DesiredRecord; live: NodeRecord }[];
  /** With prune: nodes of the services the file names that the file does not list. */
  remove: NodeRecord[];
  /** Equal already: not written. */
  unchanged: DesiredRecord[];
}

function storeKey(r: { layout: Layout; key: string }): string {
  return `${r.layout === 'v2' ? 'v2' : 'v3'}\0${r.key}`;
}

/** The services (name and target key space) a file names: prune looks at these only. */
function namedServices(desired: readonly DesiredRecord[]): Set<string> {
  return new Set(desired.map((d) => `${d.layout}\0${d.domain ?? ''}\0${d.service.name}`));
}

/** The live records of the services the file names (the only ones apply may touch). */
export function recordsOfNamedServices(desired: readonly DesiredRecord[], live: readonly NodeRecord[]): NodeRecord[] {
  const named = namedServices(desired);
  return live.filter((r) => named.has(`${r.layout}\0${r.domain ?? ''}\0${r.service.name}`));
}

/**
 * What `apply` does: create what is missing, rewrite what differs (version included), leave equal keys
 * alone, and with `prune` remove the other nodes of the services the file names, never another service.
 */
export function planApply(desired: readonly DesiredRecord[], live: readonly NodeRecord[], opts: { prune: boolean }): ApplyPlan {
  const liveByKey = new Map(live.map((r) => [storeKey(r), r]));
  const plan: ApplyPlan = { create: [], update: [], remove: [], unchanged: [] };
  const wanted = new Set<string>();
  for (const d of desired) {
    wanted.add(storeKey(d));
    const now = liveByKey.get(storeKey(d));
    if (!now) plan.create.push(d);
    else if (now.service.version !== d.service.version || now.service.name !== d.service.name || nodeChanges(now.service, d.service, {}).length > 0) plan.update.push({ desired: d, live: now });
    else plan.unchanged.push(d);
  }
  if (opts.prune) plan.remove = recordsOfNamedServices(desired, live).filter((r) => !wanted.has(storeKey(r)));
  return plan;
}

/** The registry as it will be after the plan: for `apply --dry-run`'s diff. */
export function plannedRecords(desired: readonly DesiredRecord[], live: readonly NodeRecord[], plan: ApplyPlan): Comparable[] {
  const removed = new Set(plan.remove.map(storeKey));
  const written = new Set(desired.map(storeKey));
  return [...live.filter((r) => !removed.has(storeKey(r)) && !written.has(storeKey(r))), ...desired];
}
