// Pure JSON renderers: the stable contract, shaped like go-micro's registry types so Go programs can
// decode it (design.md, Output). Extra fields: node `key`, `lease`, `ttl`, `expiration` (v2), `layout`; service `domain`.
import type { NodeView, ServiceView } from '../registry/model.js';
import { safeJson } from './sanitize.js';

export interface JsonNode {
  id: string;
  address: string;
  metadata: Record<string, string> | null;
  key: string;
  layout: string;
  lease?: string;
  ttl?: number | null;
  /** v2 layout: the key's TTL deadline (RFC 3339); v2 keys have no lease. */
  expiration?: string;
}

function nodeJson(n: NodeView): JsonNode {
  const out: JsonNode = { id: n.id, address: n.address, metadata: n.metadata, key: n.key, layout: n.layout };
  if (n.lease !== undefined) out.lease = n.lease;
  if (n.ttl !== undefined) out.ttl = n.ttl !== null && n.ttl < 0 ? null : n.ttl;
  if (n.expiration !== undefined) out.expiration = n.expiration;
  return out;
}

export function serviceJson(s: ServiceView): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: s.name,
    version: s.version,
    metadata: s.metadata,
    endpoints: s.endpoints,
    nodes: s.nodes.map(nodeJson),
  };
  if (s.domain !== undefined) out.domain = s.domain;
  return out;
}

/**
 * Pretty on a terminal, compact when piped; never coloured. JSON escapes C0 controls itself; the
 * characters it leaves raw that a terminal may act on (C1, bidi) are written as \u escapes (same value).
 */
export function renderJson(value: unknown, pretty: boolean): string {
  return `${safeJson(JSON.stringify(value, null, pretty ? 2 : undefined))}\n`;
}

export function renderServicesJson(services: readonly ServiceView[], pretty: boolean): string {
  return [...servicesJsonChunks(services, pretty)].join('');
}

/**
 * renderServicesJson's text in pieces of about `chunkChars` characters, made one service at a time, so
 * that a large listing is written as it is made rather than built as one string (and copied once more
 * to be written). Byte for byte `renderJson(services.map(serviceJson), pretty)`: the array's brackets
 * and separators are JSON.stringify's own, and a pretty element is indented one level more, which only
 * adds spaces after its line breaks (JSON text has no line break inside a string).
 */
export function* servicesJsonChunks(services: readonly ServiceView[], pretty: boolean, chunkChars = 64 * 1024): Generator<string> {
  if (services.length === 0) {
    yield renderJson([], pretty);
    return;
  }
  let chunk = '[';
  for (let i = 0; i < services.length; i++) {
    const one = JSON.stringify(serviceJson(services[i]!), null, pretty ? 2 : undefined);
    chunk += `${i === 0 ? '' : ','}${pretty ? `\n  ${one.replaceAll('\n', '\n  ')}` : one}`;
    if (chunk.length >= chunkChars) {
      yield safeJson(chunk);
      chunk = '';
    }
  }
  yield safeJson(`${chunk}${pretty ? '\n' : ''}]\n`);
}

/**
 * A document whose last field is a long list (a snapshot's `records`), printed exactly as
 * `JSON.stringify(doc, null, 2)` would be, in pieces of about `chunkBytes`: a large registry never
 * becomes one string.
 */
export function* prettyJsonChunks(doc: Record<string, unknown>, listField: string, chunkBytes = 1 << 20): Generator<string> {
  const list = doc[listField];
  if (!Array.isArray(list) || list.length === 0 || Object.keys(doc).at(-1) !== listField) {
    yield `${JSON.stringify(doc, null, 2)}\n`;
    return;
  }
  const head = JSON.stringify({ ...doc, [listField]: [] }, null, 2);
  let chunk = `${head.slice(0, head.length - '[]\n}'.length)}[\n`;
  for (let i = 0; i < list.length; i++) {
    chunk += `    ${JSON.stringify(list[i], null, 2).replaceAll('\n', '\n    ')}${i < list.length - 1 ? ',' : ''}\n`;
    if (chunk.length >= chunkBytes) {
      yield chunk;
      chunk = '';
    }
  }
  yield `${chunk}  ]\n}\n`;
}
