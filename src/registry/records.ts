// Pure: turns what a person gives `register` (flags, form answers, a go-micro Service file) into the
// records go-micro of the chosen layout writes — one key per node, the exact bytes — and refuses bad
// input before anything is written.
import { randomUUID } from 'node:crypto';
import { UsageError } from '../errors.js';
import { decodeService, encodeService, layoutFieldOrder, splitHostPort } from './codec.js';
import { type KeySpace, keySegment, nodeKey } from './keys.js';
import { parseKeyValues } from './match.js';
import type { Endpoint, Layout, Metadata, Service } from './model.js';
import type { EncodedRecord } from './store.js';

export const defaultVersion = 'latest';
export const defaultTtl = 60;

/** What a node registered by hand is made of, before layout rules are applied. */
export interface ServiceInput {
  name: string;
  version?: string;
  address: string;
  id?: string;
  meta?: Record<string, string>;
  endpoints?: readonly string[];
}

/** The reason an address is refused, or undefined when it is host:port with a port 1-65535. */
export function addressProblem(address: string): string | undefined {
  const trimmed = address.trim();
  const split = splitHostPort(trimmed);
  if (!split || split.host.trim() === '' || /\s/.test(split.host)) return 'expected host:port, e.g. 10.0.0.5:8080 or [::1]:8080';
  if (!(split.port >= 1 && split.port <= 65535) || !/^\d{1,5}$/.test(trimmed.slice(trimmed.lastIndexOf(':') + 1))) return 'the port must be 1-65535';
  return undefined;
}

export function checkAddress(address: string, flag = '--address'): string {
  const problem = addressProblem(address);
  if (problem) throw new UsageError(`invalid ${flag} "${address}": ${problem}`);
  return address.trim();
}

export function nameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'it must not be empty';
  try {
    keySegment(name, 'service name');
  } catch (e) {
    return (e as Error).message.replace(/^invalid service name "[^"]*": /, '');
  }
  return undefined;
}

export function checkName(name: string, flag = '--name'): string {
  const problem = nameProblem(name);
  if (problem) throw new UsageError(`invalid ${flag} "${name}": ${problem}`);
  return name;
}

/** `--meta k=v` (repeatable). */
export function parseMeta(specs: readonly string[] | undefined, flag = '--meta'): Record<string, string> {
  return Object.fromEntries(parseKeyValues(specs, flag));
}

/** go-micro servers name their nodes `<name>-<server id>`, the id a fresh UUID. */
export function defaultNodeId(name: string): string {
  return `${name}-${randomUUID()}`;
}

/**
 * Empty endpoint lists and metadata as the go-micro generation behind each layout writes them (format
 * reference 3.3): `endpoints` `[]` from v1.16 (null before), endpoint metadata `{}` from v1.17,
 * `{"stream":"false"}` up to v1.15, `null` through micro v3's registry service.
 */
const handEndpoints: Record<Layout, { empty: Endpoint[] | null; metadata: () => Metadata }> = {
  micro: { empty: [], metadata: () => ({}) },
  domain: { empty: [], metadata: () => null },
  legacy: { empty: null, metadata: () => ({ stream: 'false' }) },
  v2: { empty: null, metadata: () => ({ stream: 'false' }) },
};

/** A service with one node, from flags or form answers; endpoints carry names only (no type trees). */
export function serviceFromInput(input: ServiceInput, layout: Layout): Service {
  const name = checkName(input.name);
  const address = checkAddress(input.address);
  const id = input.id ?? defaultNodeId(name);
  keySegment(id, 'node id');
  const version = input.version === undefined || input.version === '' ? defaultVersion : input.version;
  const style = handEndpoints[layout];
  const endpointNames = (input.endpoints ?? []).map((e) => e.trim()).filter((e) => e !== '');
  const endpoints = endpointNames.length === 0 ? style.empty : endpointNames.map((n) => ({ name: n, request: null, response: null, metadata: style.metadata() }));
  return { name, version, metadata: null, endpoints, nodes: [{ id, address, metadata: { ...(input.meta ?? {}) } }] };
}

/** A go-micro Service JSON (as `get -o json` or go-micro prints it); every node needs an address. */
export function serviceFromFile(text: string, file: string): Service {
  const decoded = decodeService(text);
  if (!decoded.ok) throw new UsageError(`${file} is not a go-micro Service: ${decoded.reason}`, 'expected {"name":…,"version":…,"nodes":[{"id":…,"address":"host:port"}]}');
  const service = decoded.value;
  checkName(service.name, `name in ${file}`);
  if (service.version === '') service.version = defaultVersion;
  const ids = new Set<string>();
  for (const [i, n] of service.nodes.entries()) {
    const problem = addressProblem(n.address);
    if (problem) throw new UsageError(`invalid address "${n.address}" of node ${i} in ${file}: ${problem}`);
    if (n.id === '') n.id = defaultNodeId(service.name);
    const segment = keySegment(n.id, `node id in ${file}`);
    if (ids.has(segment)) throw new UsageError(`node id "${n.id}" appears twice in ${file}`);
    ids.add(segment);
  }
  return service;
}

/**
 * One record per node, as go-micro of the layout writes it: the key from nodeKey, the value the
 * service holding just that node, in the layout's field order. `domain` sets metadata.domain on the
 * service and on the node, creating the maps, as micro v3 does before it hashes.
 */
export function encodeRecords(space: KeySpace, service: Service): EncodedRecord[] {
  const order = layoutFieldOrder[space.layout];
  const domain = space.layout === 'domain' ? space.domain : undefined;
  return service.nodes.map((node) => {
    const one: Service = {
      ...service,
      metadata: domain === undefined ? service.metadata : { ...(service.metadata ?? {}), domain },
      nodes: [domain === undefined ? node : { ...node, metadata: { ...(node.metadata ?? {}), domain } }],
    };
    return { key: nodeKey(space, service.name, node.id), value: encodeService(one, order), service: one };
  });
}
