// Two registries compared node by node (pure): which nodes are added, removed or changed, and in which
// fields; what `diff` shows and what `apply` uses to tell an unchanged key from one to write again.
import { compareText } from './codec.js';
import type { Endpoint, Layout, Metadata, NodeRecord, Service, Value } from './model.js';

export type ChangeOp = 'add' | 'remove' | 'change';

/** One field of a node that differs: `address`, `metadata.KEY`, `service.metadata.KEY`, `endpoints[NAME]`, `endpoints[NAME].request` … */
export interface FieldChange {
  op: ChangeOp;
  field: string;
  from?: unknown;
  to?: unknown;
}

export interface DiffChange {
  op: ChangeOp;
  kind: 'service' | 'version' | 'node';
  service: string;
  version?: string;
  layout?: Layout;
  domain?: string;
  node?: string;
  address?: string;
  key?: string;
  /** `change` of a node: what differs. */
  fields?: FieldChange[];
}

export interface DiffOptions {
  /** Metadata keys left out of the comparison (node, service and endpoint metadata). */
  ignoreMetadata?: readonly string[];
  /** Leave endpoints out of the comparison. */
  ignoreEndpoints?: boolean;
}

function metaChanges(prefix: string, a: Metadata, b: Metadata, ignore: ReadonlySet<string>, out: FieldChange[]): void {
  const x = a ?? {};
  const y = b ?? {};
  const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort(compareText);
  for (const k of keys) {
    if (ignore.has(k)) continue;
    const inX = Object.hasOwn(x, k);
    const inY = Object.hasOwn(y, k);
    if (inX && !inY) out.push({ op: 'remove', field: `${prefix}${k}`, from: x[k] });
    else if (!inX && inY) out.push({ op: 'add', field: `${prefix}${k}`, to: y[k] });
    else if (x[k] !== y[k]) out.push({ op: 'change', field: `${prefix}${k}`, from: x[k], to: y[k] });
  }
}

/** A value tree in a form where `values: null` and `values: []` (both written by go-micro) compare equal. */
function canonicalValue(v: Value | null): string {
  if (v === null) return 'null';
  const children = v.values ?? [];
  return `${JSON.stringify(v.name)}:${JSON.stringify(v.type)}{${children.map(canonicalValue).join(',')}}`;
}

function endpointChanges(a: Endpoint[] | null, b: Endpoint[] | null, ignore: ReadonlySet<string>, out: FieldChange[]): void {
  const byName = (list: Endpoint[] | null): Map<string, Endpoint> => new Map((list ?? []).map((e) => [e.name, e]));
  const x = byName(a);
  const y = byName(b);
  const names = [...new Set([...x.keys(), ...y.keys()])].sort(compareText);
  for (const name of names) {
    const ex = x.get(name);
    const ey = y.get(name);
    const field = `endpoints[${name}]`;
    if (ex && !ey) out.push({ op: 'remove', field, from: ex });
    else if (!ex && ey) out.push({ op: 'add', field, to: ey });
    else if (ex && ey) {
      for (const part of ['request', 'response'] as const) {
        if (canonicalValue(ex[part]) !== canonicalValue(ey[part])) out.push({ op: 'change', field: `${field}.${part}`, from: ex[part], to: ey[part] });
      }
      metaChanges(`${field}.metadata.`, ex.metadata, ey.metadata, ignore, out);
    }
  }
}

/**
 * What differs between two one-node services with the same identity (name, version, node id): address,
 * node metadata, service metadata, endpoints. null and empty maps/lists compare equal (go-micro
 * generations write either). Empty: the records are equal, and `apply` leaves the key alone.
 */
export function nodeChanges(a: Service, b: Service, opts: DiffOptions): FieldChange[] {
  const ignore = new Set(opts.ignoreMetadata ?? []);
  const out: FieldChange[] = [];
  const na = a.nodes[0]!;
  const nb = b.nodes[0]!;
  if (na.address !== nb.address) out.push({ op: 'change', field: 'address', from: na.address, to: nb.address });
  metaChanges('metadata.', na.metadata, nb.metadata, ignore, out);
  metaChanges('service.metadata.', a.metadata, b.metadata, ignore, out);
  if (!opts.ignoreEndpoints) endpointChanges(a.endpoints, b.endpoints, ignore, out);
  return out;
}

/** A record for comparison: what it is, and where (the key is shown, not compared). */
export type Comparable = Pick<NodeRecord, 'key' | 'layout' | 'domain' | 'service'>;

/** A node is the same node on both sides when its layout, domain, service name, version and id are. */
function identity(r: Comparable): string {
  return `${r.service.name}\0${r.service.version}\0${r.layout}\0${r.domain ?? ''}\0${r.service.nodes[0]!.id}`;
}

function byIdentity(records: readonly Comparable[]): Map<string, Comparable> {
  return new Map(records.map((r) => [identity(r), r]));
}

function nodeChange(op: 'add' | 'remove', r: Comparable): DiffChange {
  const c: DiffChange = { op, kind: 'node', service: r.service.name, version: r.service.version, layout: r.layout };
  if (r.domain !== undefined) c.domain = r.domain;
  c.node = r.service.nodes[0]!.id;
  c.address = r.service.nodes[0]!.address;
  c.key = r.key;
  return c;
}

/**
 * Node by node, what changes from registry `from` to registry `to`: services and versions that appear
 * or vanish, nodes added and removed, and for nodes in both, the fields that differ. Sorted by service,
 * version, domain, node; a service or version line comes before its nodes.
 */
export function diffRegistries(from: readonly Comparable[], to: readonly Comparable[], opts: DiffOptions = {}): DiffChange[] {
  const a = byIdentity(from);
  const b = byIdentity(to);
  const groups = (m: Map<string, Comparable>, withVersion: boolean): Set<string> => new Set([...m.values()].map((r) => groupOf(r, withVersion)));
  const [servicesA, servicesB, versionsA, versionsB] = [groups(a, false), groups(b, false), groups(a, true), groups(b, true)];
  const changes: { sort: string[]; change: DiffChange }[] = [];
  const push = (sort: string[], change: DiffChange): void => void changes.push({ sort, change });
  const groupChange = (op: 'add' | 'remove', kind: 'service' | 'version', r: Comparable): void => {
    const c: DiffChange = { op, kind, service: r.service.name };
    if (kind === 'version') c.version = r.service.version;
    c.layout = r.layout;
    if (r.domain !== undefined) c.domain = r.domain;
    push([r.service.name, r.layout, r.domain ?? '', kind === 'service' ? '' : `\u0001${r.service.version}`, ''], c);
  };
  const seenGroups = new Set<string>();
  const once = (k: string): boolean => !seenGroups.has(k) && seenGroups.add(k) !== undefined;
  for (const [side, op, other, otherVersions] of [
    [a, 'remove', servicesB, versionsB],
    [b, 'add', servicesA, versionsA],
  ] as const) {
    for (const r of side.values()) {
      const svc = groupOf(r, false);
      const ver = groupOf(r, true);
      if (!other.has(svc) && once(`s${op}${svc}`)) groupChange(op, 'service', r);
      if (!otherVersions.has(ver) && once(`v${op}${ver}`)) groupChange(op, 'version', r);
    }
  }
  const nodeSort = (r: Comparable, rank: string): string[] => [r.service.name, r.layout, r.domain ?? '', `\u0001${r.service.version}`, `${r.service.nodes[0]!.id}\0${rank}`];
  for (const [id, r] of a) {
    const other = b.get(id);
    if (!other) {
      push(nodeSort(r, '0'), nodeChange('remove', r));
      continue;
    }
    const fields = nodeChanges(r.service, other.service, opts);
    if (fields.length === 0) continue;
    const c: DiffChange = { op: 'change', kind: 'node', service: r.service.name, version: r.service.version, layout: r.layout };
    if (r.domain !== undefined) c.domain = r.domain;
    Object.assign(c, { node: r.service.nodes[0]!.id, key: other.key, fields });
    push(nodeSort(r, '1'), c);
  }
  for (const [id, r] of b) if (!a.has(id)) push(nodeSort(r, '2'), nodeChange('add', r));
  const cmp = (x: string[], y: string[]): number => {
    for (let i = 0; i < x.length; i++) {
      const d = compareText(x[i]!, y[i]!);
      if (d !== 0) return d;
    }
    return 0;
  };
  return changes.sort((x, y) => cmp(x.sort, y.sort)).map((c) => c.change);
}

/** The service (and version) a record belongs to, in one layout and domain. */
function groupOf(r: Comparable, withVersion: boolean): string {
  return `${r.service.name}\0${r.layout}\0${r.domain ?? ''}${withVersion ? `\0${r.service.version}` : ''}`;
}

export interface DiffSummary {
  added: number;
  removed: number;
  changed: number;
}

/** Nodes added, removed and changed. */
export function summarise(changes: readonly DiffChange[]): DiffSummary {
  const nodes = changes.filter((c) => c.kind === 'node');
  return { added: nodes.filter((c) => c.op === 'add').length, removed: nodes.filter((c) => c.op === 'remove').length, changed: nodes.filter((c) => c.op === 'change').length };
}
