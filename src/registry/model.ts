// The go-micro registry types (registry/registry.go), plus what micro-reg knows about the etcd key
// that holds each node.

export type Metadata = Record<string, string> | null;

export interface Value {
  name: string;
  type: string;
  values: Value[] | null;
}

export interface Endpoint {
  name: string;
  request: Value | null;
  response: Value | null;
  metadata: Metadata;
}

export interface Node {
  id: string;
  /** Always host:port once decoded; old records' separate `port` is folded in. */
  address: string;
  metadata: Metadata;
}

export interface Service {
  name: string;
  version: string;
  metadata: Metadata;
  endpoints: Endpoint[] | null;
  nodes: Node[];
}

/** The registry layouts of design.md; `auto` is resolved to these before anything is read. */
export type Layout = 'micro' | 'domain' | 'legacy' | 'v2';
export type LayoutOption = Layout | 'auto';
export const layouts: readonly Layout[] = ['micro', 'domain', 'legacy', 'v2'];

/** One etcd key: one node of one service, as go-micro stores it. */
export interface NodeRecord {
  /** The key as text (src/registry/bytes.ts: a byte that is not UTF-8 is kept, and shown as \xff). */
  key: string;
  /** The key's bytes as etcd returned them (v3 reads): what deletes and compares use. */
  keyBytes?: Buffer;
  layout: Layout;
  /** The domain segment of a `domain` layout key. */
  domain?: string;
  /** The decoded value: a service holding exactly this record's node. */
  service: Service;
  /** etcd lease id as decimal string ("0" or absent: no lease). */
  lease?: string;
  /** v3: the key's mod/create revision. v2 layout: the key's modifiedIndex/createdIndex in the v2 store. */
  modRevision?: string;
  createRevision?: string;
  /** v2 layout only (keys have TTLs, not leases): seconds left when read, and the RFC 3339 deadline. */
  ttl?: number;
  expiration?: string;
}

/** A record that could not be decoded; reads skip it with a warning (or fail with --strict). */
export interface MalformedRecord {
  key: string;
  keyBytes?: Buffer;
  layout: Layout;
  reason: string;
}

/** A node as shown to people and in JSON: the go-micro node plus where it lives. */
export interface NodeView extends Node {
  key: string;
  keyBytes?: Buffer;
  /** Lease id in hex, as etcdctl prints it; absent when the key has no lease. */
  lease?: string;
  /** Seconds left on the lease (v2: on the key); null when unknown or not looked up, absent without a lease or TTL. */
  ttl?: number | null;
  /** v2 layout: when the key's TTL runs out (RFC 3339). */
  expiration?: string;
  layout: Layout;
}

/** One name+version of a service, every node of it merged in (go-micro's GetService grouping). */
export interface ServiceView {
  name: string;
  version: string;
  metadata: Metadata;
  endpoints: Endpoint[] | null;
  nodes: NodeView[];
  domain?: string;
  layout: Layout;
}
