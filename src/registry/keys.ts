// Registry layouts and the mapping between etcd keys and service names / node ids, done the way
// go-micro does it (path.Join of sanitised segments), but refusing segments that would escape the prefix.
import { posix } from 'node:path';
import { UsageError } from '../errors.js';
import type { Layout } from './model.js';

export const defaultPrefixes: Record<Layout, string> = {
  micro: '/micro/registry/',
  domain: '/micro/registry/',
  legacy: '/micro-registry/',
  v2: '/micro-registry/',
};

export const defaultDomain = 'micro';
export const wildcardDomain = '*';

/** Where one layout's records live: its prefix (always ending in "/") and, for `domain`, which domain. */
export interface KeySpace {
  layout: Layout;
  prefix: string;
  /** `domain` layout only: a domain name or `*`. */
  domain?: string;
}

export function keySpace(layout: Layout, prefix?: string, domain?: string): KeySpace {
  const p = normalisePrefix(prefix ?? defaultPrefixes[layout]);
  if (layout !== 'domain') return { layout, prefix: p };
  return { layout, prefix: p, domain: domain === undefined || domain === '' ? defaultDomain : domain };
}

/**
 * "/a/b" and "/a/b/" both mean the directory /a/b/; the prefix is always a key directory. It is
 * normalised first (`//`, `/./`, `/..`, empty segments, a relative `a/b`) and refused when what is left
 * is the root: a prefix of "/" would make every key of the etcd a registry key, to list and to delete.
 */
export function normalisePrefix(prefix: string): string {
  const joined = posix.join('/', prefix.trim());
  if (joined === '/') throw new UsageError(`invalid --prefix "${prefix}": it must name a key directory such as /micro/registry/, not the root`);
  return joined.endsWith('/') ? joined : `${joined}/`;
}

/**
 * go-micro's segment rule ("/" becomes "-"), plus the guard go-micro lacks: a segment that path.Join
 * would drop or resolve (empty, ".", "..") could write outside the service's directory.
 */
export function keySegment(value: string, what: string): string {
  const segment = value.replaceAll('/', '-');
  if (segment.trim() === '' || segment === '.' || segment === '..') {
    throw new UsageError(`invalid ${what} "${value}": it must not be empty, "." or ".."`);
  }
  return segment;
}

function domainSegment(space: KeySpace): string {
  const domain = space.domain ?? defaultDomain;
  if (domain === wildcardDomain) throw new UsageError('the domain "*" can only be read, not written: pass --domain NAME');
  // micro v3 does not sanitise the domain; micro-reg does, so that it stays one segment.
  return keySegment(domain, 'domain');
}

/** The v3 key spaces `--layout auto` covers (the v2 store is apart, reached over HTTP). */
export function autoV3Spaces(domain?: string): KeySpace[] {
  return [keySpace('micro'), keySpace('domain', undefined, domain ?? wildcardDomain), keySpace('legacy')];
}

/**
 * Spaces grouped by the prefix they are read or watched under: `micro` and `domain` share one, and a
 * prefix is read once, each key decoded by the first space that claims it (decodeRecordIn).
 */
export function groupByPrefix(spaces: readonly KeySpace[], prefixOf: (space: KeySpace) => string): Map<string, KeySpace[]> {
  const groups = new Map<string, KeySpace[]>();
  for (const space of spaces) {
    const p = prefixOf(space);
    groups.set(p, [...(groups.get(p) ?? []), space]);
  }
  return groups;
}

/** The directory holding every node of one service: servicePath(name) + "/". */
export function serviceDir(space: KeySpace, service: string): string {
  const svc = keySegment(service, 'service name');
  if (space.layout === 'domain') return `${space.prefix}${domainSegment(space)}/${svc}/`;
  return `${space.prefix}${svc}/`;
}

export function nodeKey(space: KeySpace, service: string, nodeId: string): string {
  return `${serviceDir(space, service)}${keySegment(nodeId, 'node id')}`;
}

/** The prefix to read for the whole layout (all domains for `*`). */
export function readPrefix(space: KeySpace): string {
  if (space.layout === 'domain' && space.domain !== wildcardDomain) return `${space.prefix}${domainSegment(space)}/`;
  return space.prefix;
}

/** The prefix to read for one service; `*` domain reads everything and filters on the service segment. */
export function serviceReadPrefix(space: KeySpace, service: string): string {
  if (space.layout === 'domain' && space.domain === wildcardDomain) return space.prefix;
  return serviceDir(space, service);
}

export interface ParsedKey {
  domain?: string;
  service: string;
  node: string;
}

export type KeyClass = { kind: 'node'; parsed: ParsedKey } | { kind: 'foreign' } | { kind: 'bad'; reason: string };

/**
 * Splits a key under the space's prefix into its segments. `micro` and `domain` share a prefix and
 * tell their keys apart by depth: a `domain` key seen by `micro` (one segment more), or a `micro` key
 * seen by `domain`, is `foreign`, not this layout's business, as is a key of another domain. Any other
 * depth is a bad key.
 */
export function classifyKey(space: KeySpace, key: string): KeyClass {
  if (!key.startsWith(space.prefix)) return { kind: 'foreign' };
  const parts = key.slice(space.prefix.length).split('/');
  const want = space.layout === 'domain' ? 3 : 2;
  if (parts.some((p) => p === '')) return { kind: 'bad', reason: 'the key has an empty segment' };
  if (parts.length !== want) {
    if (space.layout === 'micro' && parts.length === 3) return { kind: 'foreign' };
    if (space.layout === 'domain' && parts.length === 2) return { kind: 'foreign' };
    return { kind: 'bad', reason: `the key has ${parts.length} segment${parts.length === 1 ? '' : 's'} below ${space.prefix}; expected ${want}` };
  }
  if (space.layout === 'domain') {
    const [domain, service, node] = parts as [string, string, string];
    // A space of one domain owns that domain's keys only; another domain's keys are foreign even when
    // they reach the codec (a wider read, a watch of the whole prefix).
    const own = space.domain ?? defaultDomain;
    if (own !== wildcardDomain && domain !== own.replaceAll('/', '-')) return { kind: 'foreign' };
    return { kind: 'node', parsed: { domain, service, node } };
  }
  const [service, node] = parts as [string, string];
  return { kind: 'node', parsed: { service, node } };
}

/** The end of a prefix range: the prefix with its last byte incremented, as etcd's WithPrefix does. */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
