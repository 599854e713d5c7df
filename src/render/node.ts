// The one JSON shape of "one node of one service", used by every command that reports nodes one by one
// (check, deregister, register, watch's event subject) and described by docs/node.schema.json. go-micro's
// registry.Service arrays (list, get, wait, export) keep their own shape. Pure.
import { leaseHex } from '../registry/codec.js';
import type { Layout, NodeRecord } from '../registry/model.js';

export interface NodeJson {
  service: string;
  version: string;
  id: string;
  address: string;
  metadata: Record<string, string> | null;
  key: string;
  layout: Layout;
  /** The etcd lease in hex, as etcdctl prints it; absent without a lease. */
  lease?: string;
  /** Seconds left (or, for register, granted); null when unknown; absent when not known to apply. */
  ttl?: number | null;
  /** v2 layout: when the key's TTL runs out (RFC 3339). */
  expiration?: string;
  /** `domain` layout: the key's domain. */
  domain?: string;
}

export interface NodeFields {
  service: string;
  version: string;
  id: string;
  address: string;
  metadata?: Record<string, string> | null | undefined;
  key: string;
  layout: Layout;
  /** Decimal, as etcd gives it. */
  lease?: string | undefined;
  ttl?: number | null | undefined;
  expiration?: string | undefined;
  domain?: string | undefined;
}

/** The shape, fields in a fixed order (scripts diffing output see stable text). */
export function nodeJson(f: NodeFields): NodeJson {
  const out: NodeJson = { service: f.service, version: f.version, id: f.id, address: f.address, metadata: f.metadata ?? null, key: f.key, layout: f.layout };
  if (f.lease !== undefined && f.lease !== '0') out.lease = leaseHex(f.lease);
  if (f.ttl !== undefined) out.ttl = f.ttl !== null && f.ttl < 0 ? null : f.ttl;
  if (f.expiration !== undefined) out.expiration = f.expiration;
  if (f.domain !== undefined) out.domain = f.domain;
  return out;
}

/** A record read from etcd (one node) in the shape; `ttl` when it was looked up. */
export function recordNodeJson(record: NodeRecord, ttl?: number | null): NodeJson {
  const node = record.service.nodes[0];
  return nodeJson({
    service: record.service.name,
    version: record.service.version,
    id: node?.id ?? '',
    address: node?.address ?? '',
    metadata: node?.metadata,
    key: record.key,
    layout: record.layout,
    lease: record.lease,
    ttl: ttl !== undefined ? ttl : record.ttl,
    expiration: record.expiration,
    domain: record.domain,
  });
}
