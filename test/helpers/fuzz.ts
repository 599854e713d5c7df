// Seeded generators of registry records, good and bad, for the codec fuzz (test/unit/fuzz.test.ts) and
// for seeding a real etcd with them (test/integration/faults.test.ts). Every generated case says what
// the codec must make of it, so the fuzz checks classifications, not only "does not throw".
// No dependency: a small seeded PRNG; the seed is printed on failure and can be replayed with FUZZ_SEED.
// The expected keys and the stored values are made here, by test code written from the format reference
// (shared/docs/go-micro-registry-format.md), not by src/registry's keys.ts and codec.ts under test.
import { decodeBytes } from '../../src/registry/bytes.js';
import type { FieldOrder, RawKeyValue } from '../../src/registry/codec.js';
import type { KeySpace } from '../../src/registry/keys.js';
import type { Endpoint, Metadata, Node, Service, Value } from '../../src/registry/model.js';

/** sfc32: small, fast, good enough for test data, and reproducible from one 32-bit seed. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** A float in [0, 1). */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    const t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const r = (t + this.d) | 0;
    this.c = (this.c + r) | 0;
    return (r >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

/** FUZZ_SEED replays a run; otherwise a fresh seed each run. */
export function fuzzSeed(): number {
  const fromEnv = process.env.FUZZ_SEED;
  return fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
}

// ---- names: what people and broken clients put in service names and node ids ----

const plainWords = ['greeter', 'go.micro.srv.greeter', 'api', 'svc-1', 'v2', 'a', 'Z', '0', 'x_y'];
const oddPieces = [
  '/', '//', '..', '.', '../', '/..', '-', ' ', '\t', '"', '\\', '<', '>', '&', "'", '%2e%2e', '%2F', '?', '#', '*',
  '\u2028', '\u2029', 'é', 'ü', '日本', '服务', 'שלום', '🚀', '👩‍💻', 'e\u0301', '\u200b', '\ufeff', 'Ω', '．．',
];

/** Names, ids and domains that try to leave their key segment: traversal, separators, look-alike dots, NUL, blanks. */
export const hostileSegments: readonly string[] = ['..', '.', '', ' ', '/', '//', '../..', '/..', '../', '..\\..', 'a/../../b', '%2e%2e', '．．', '\u2024\u2024', '\0', '\n', '..\u200b', 'ok'];

/** A name or id from plain words and hostile pieces ('/', '..', unicode, quotes…); may be unusable as a key segment. */
export function hostileName(rng: Rng): string {
  const parts = 1 + rng.int(4);
  let s = '';
  for (let i = 0; i < parts; i++) s += rng.chance(0.5) ? rng.pick(plainWords) : rng.pick(oddPieces);
  return s;
}

/** A name or id as a key segment, as go-micro makes it: "/" becomes "-". */
export function segmentOf(s: string): string {
  return s.replaceAll('/', '-');
}

/** Whether micro-reg accepts the string as a key segment: not empty or blank, ".", or ".." once "/" became "-". */
export function isKeyable(s: string): boolean {
  const segment = segmentOf(s);
  return segment.trim() !== '' && segment !== '.' && segment !== '..';
}

// ---- values as go-micro writes them (format reference 2 and 3), for the expected bytes ----

const goEscapes: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/** encoding/json's output: JSON with <, >, & and U+2028/9 escaped, map keys sorted. */
function goMarshal(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => goEscapes[c]!);
}

function sortedMap(m: Metadata): Metadata {
  if (m === null) return null;
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) setOwn(out, k, m[k]);
  return out;
}

function goValue(v: Value | null): unknown {
  return v === null ? null : { name: v.name, type: v.type, values: v.values === null ? null : v.values.map(goValue) };
}

/**
 * The JSON a go-micro generation stores for a service: v1.7 (`address` host and `port` number),
 * v1.8 (`address` host:port), v4.10.2 (node and endpoint fields in their later order).
 */
export function goMicroJson(service: Service, order: FieldOrder): string {
  const endpoint = (e: Endpoint): unknown =>
    order === 'v4.10.2'
      ? { request: goValue(e.request), response: goValue(e.response), metadata: sortedMap(e.metadata), name: e.name }
      : { name: e.name, request: goValue(e.request), response: goValue(e.response), metadata: sortedMap(e.metadata) };
  const node = (n: Node): unknown => {
    if (order === 'v4.10.2') return { metadata: sortedMap(n.metadata), id: n.id, address: n.address };
    if (order === 'v1.8') return { id: n.id, address: n.address, metadata: sortedMap(n.metadata) };
    const m = /^(.*):(\d+)$/.exec(n.address);
    const host = m ? m[1]!.replace(/^\[(.*)\]$/, '$1') : n.address;
    return { id: n.id, address: host, port: m ? Number(m[2]) : 0, metadata: sortedMap(n.metadata) };
  };
  return goMarshal({ name: service.name, version: service.version, metadata: sortedMap(service.metadata), endpoints: service.endpoints === null ? null : service.endpoints.map(endpoint), nodes: service.nodes.map(node) });
}

function keyableName(rng: Rng): string {
  for (let i = 0; i < 20; i++) {
    const s = hostileName(rng);
    if (isKeyable(s)) return s;
  }
  return rng.pick(plainWords);
}

// ---- valid services ----

function genMetadata(rng: Rng): Metadata {
  const roll = rng.int(5);
  if (roll === 0) return null;
  if (roll === 1) return {};
  const out: Record<string, string> = {};
  const n = 1 + rng.int(5);
  for (let i = 0; i < n; i++) {
    // "__proto__" and "constructor" are legal JSON keys and must survive like any other.
    const key = rng.chance(0.1) ? rng.pick(['__proto__', 'constructor', 'toString']) : rng.chance(0.5) ? rng.pick(['broker', 'protocol', 'registry', 'server', 'transport', 'domain']) : hostileName(rng);
    Object.defineProperty(out, key, { value: rng.chance(0.2) ? '' : hostileName(rng), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function genValue(rng: Rng, depth: number): Value {
  const leaf = depth >= 3 || rng.chance(0.5);
  return {
    name: rng.chance(0.1) ? '-' : hostileName(rng),
    type: rng.pick(['string', 'int32', '[]uint8', 'Request', 'MessageState', '']),
    values: leaf ? (rng.chance(0.5) ? null : []) : Array.from({ length: 1 + rng.int(3) }, () => genValue(rng, depth + 1)),
  };
}

function genEndpoint(rng: Rng): Endpoint {
  return {
    name: rng.chance(0.8) ? 'Say.Hello' : hostileName(rng),
    request: rng.chance(0.2) ? null : genValue(rng, 1),
    response: rng.chance(0.2) ? null : genValue(rng, 1),
    metadata: genMetadata(rng),
  };
}

function genAddress(rng: Rng): string {
  const port = 1 + rng.int(65535);
  switch (rng.int(5)) {
    case 0:
      return `[::1]:${port}`;
    case 1:
      return `[fe80::1%eth0]:${port}`;
    case 2:
      return 'host-without-port';
    default:
      return `10.${rng.int(256)}.${rng.int(256)}.${rng.int(256)}:${port}`;
  }
}

export function genNode(rng: Rng, id: string): Node {
  return { id, address: genAddress(rng), metadata: genMetadata(rng) };
}

/** A service holding exactly one node, as one key of a go-micro registry does. */
export function genService(rng: Rng, name = keyableName(rng), id = keyableName(rng)): Service {
  const endpointCount = rng.int(4);
  return {
    name,
    version: rng.pick(['latest', '1.0.0', '', 'v2', hostileName(rng)]),
    metadata: genMetadata(rng),
    endpoints: endpointCount === 0 ? rng.pick([null, []]) : Array.from({ length: endpointCount }, () => genEndpoint(rng)),
    nodes: [genNode(rng, id)],
  };
}

export const fieldOrders: readonly FieldOrder[] = ['v1.7', 'v1.8', 'v4.10.2'];

// ---- what the codec must make of a case ----

export type Expectation =
  /** A record whose service deep-equals this one. */
  | { kind: 'record'; service: Service }
  /** Malformed, the reason matching when given. */
  | { kind: 'malformed'; reason?: RegExp | string }
  | { kind: 'foreign' }
  /** Corruption at a random place: either is right, as long as it is classified. */
  | { kind: 'record-or-malformed' };

export interface FuzzCase {
  /** The input class, for counts and failure messages. */
  kind: string;
  space: KeySpace;
  kv: RawKeyValue;
  expect: Expectation;
}

const layoutsForFuzz = ['micro', 'domain', 'legacy', 'v2'] as const;

/** Each layout's default prefix (format reference 1), written out. */
const defaultPrefixOf = { micro: '/micro/registry/', domain: '/micro/registry/', legacy: '/micro-registry/', v2: '/micro-registry/' } as const;

/** A key space, written out: a layout, its prefix as a key directory (ending in "/"), a domain. */
export function genSpace(rng: Rng): KeySpace {
  const layout = rng.pick(layoutsForFuzz);
  const prefix = rng.chance(0.7) ? defaultPrefixOf[layout] : rng.pick(['/test-fuzz/', '/日本/registry/', '/a b/c/', '/micro/registry/nested/']);
  if (layout !== 'domain') return { layout, prefix };
  return { layout, prefix, domain: rng.pick(['micro', 'prod', 'ünï', '*']) };
}

/** The space keys are written to: `*` reads every domain; writes go to a concrete one. */
export function writableSpace(space: KeySpace): KeySpace {
  return space.layout === 'domain' && space.domain === '*' ? { ...space, domain: 'micro' } : space;
}

/** Where the layout's records are: the prefix, and for one domain its directory. */
export function expectedReadPrefix(space: KeySpace): string {
  return space.layout === 'domain' && space.domain !== '*' ? `${space.prefix}${segmentOf(space.domain ?? 'micro')}/` : space.prefix;
}

/** The key go-micro would write for this service in this space: prefix[/domain]/name/id. */
export function keyFor(space: KeySpace, service: Service): string {
  return `${expectedReadPrefix(writableSpace(space))}${segmentOf(service.name)}/${segmentOf(service.nodes[0]!.id)}`;
}

/** The field order of a random go-micro generation. */
function orderFor(rng: Rng): FieldOrder {
  return rng.pick(fieldOrders);
}

/** Sets an own property, even one named "__proto__" (plain assignment would change the prototype instead). */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** Every field path of an encoded service, with the kind of value that belongs there. */
type Slot = 'string' | 'metadata' | 'entry' | 'list' | 'object' | 'item' | 'port';
function slots(obj: unknown, path: string, slot: Slot, out: { path: string; slot: Slot; set: (v: unknown) => void }[], set: (v: unknown) => void): void {
  out.push({ path, slot, set });
  if (obj === null || typeof obj !== 'object') return;
  const o = obj as Record<string, unknown>;
  const at = (p: string): string => (path === '' ? p : `${path}.${p}`);
  if (slot === 'metadata') {
    for (const k of Object.keys(o)) out.push({ path: at(k), slot: 'entry', set: (v) => setOwn(o, k, v) });
    return;
  }
  if (slot === 'list') {
    (obj as unknown[]).forEach((item, i) => slots(item, `${path}[${i}]`, 'item', out, (v) => ((obj as unknown[])[i] = v)));
    return;
  }
  for (const [k, v] of Object.entries(o)) {
    const s: Slot = k === 'metadata' ? 'metadata' : k === 'endpoints' || k === 'nodes' || k === 'values' ? 'list' : k === 'request' || k === 'response' ? 'object' : k === 'port' ? 'port' : 'string';
    slots(v, at(k), s, out, (nv) => setOwn(o, k, nv));
  }
}

const wrongFor: Record<Slot, unknown[]> = {
  string: [42, true, {}, [], { a: 1 }, ['x'], 1.5],
  metadata: [42, 'text', true, ['x'], [{}]],
  entry: [42, true, {}, [], { a: 'b' }],
  list: [42, 'text', true, { a: 1 }],
  object: [42, 'text', true, [], ['x']],
  item: [42, 'text', true, null, [], ['x']],
  port: ['54321', 1.5, true, {}, []],
};

/** The JSON text of a value tree nested `depth` levels, built without recursion. */
function deepValueJson(depth: number): string {
  return `${'{"name":"v","type":"t","values":['.repeat(depth - 1)}{"name":"v","type":"t","values":null}${']}'.repeat(depth - 1)}`;
}

/** The text's UTF-8 bytes with an invalid sequence inserted before character `at`. */
function withInvalidUtf8(rng: Rng, text: string, at: number): Buffer {
  const bad = rng.pick([[0xff], [0xc0, 0x80], [0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]);
  return Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from(bad), Buffer.from(text.slice(at))]);
}

/**
 * The decoded form of a service written with invalid UTF-8 in its address: each byte that is not UTF-8
 * is kept as U+DC80+byte (shown as \xff; Go reads it as U+FFFD, as it reads the JSON escape of it).
 */
function replacementOf(bytes: Buffer): string {
  return decodeBytes(bytes);
}

/**
 * The hostile corpus (issue 11): what an attacker who can write one registry key puts in a record to
 * reach the operator's terminal or shell. Every renderer must show these escaped.
 */
export const terminalAttacks: readonly string[] = [
  '\x1b]0;pwned-title\x07', // window title
  '\x1b[2J', // clear screen
  '\x1b]52;c;cHduZWQ=\x07', // clipboard write (OSC 52)
  '\x1b[?1049h', // alternate screen
  '\u009b31m', // C1 CSI
  '\x1bP+q\x1b\\', // DCS
  'forged\nline',
  'carriage\rreturn',
  '\u202eevil', // bidi override
  'del\x7f',
  'nul\x00',
  '$(touch pwned)',
  '`touch pwned`',
];

/** A hostile string: an attack, alone or inside a plain word. */
function attack(rng: Rng): string {
  const a = rng.pick(terminalAttacks);
  return rng.chance(0.5) ? a : `${rng.pick(plainWords)}${a}${rng.pick(plainWords)}`;
}

export interface GenOptions {
  /** Include 1 MiB and 10,000-deep values (slow to seed by the hundred). */
  huge?: boolean;
}

type Generator = (rng: Rng, space: KeySpace) => FuzzCase;

const generators: Record<string, { weight: number; huge?: boolean; gen: Generator }> = {
  // A valid record in some go-micro generation's field order: stays the same service after the round trip.
  valid: {
    weight: 20,
    gen: (rng, space) => {
      const service = genService(rng);
      return { kind: 'valid', space, kv: { key: keyFor(space, service), value: goMicroJson(service, orderFor(rng)) }, expect: { kind: 'record', service } };
    },
  },
  // Pre-2015 values: capitalised keys, which Go matches case-insensitively.
  'capitalised keys': {
    weight: 3,
    gen: (rng, space) => {
      const service = genService(rng);
      const text = goMicroJson(service, 'v1.8').replace(/"(name|version|metadata|endpoints|nodes|id|address|request|response|type|values)":/g, (_, k: string) => `"${k[0]!.toUpperCase()}${k.slice(1)}":`);
      return { kind: 'capitalised keys', space, kv: { key: keyFor(space, service), value: text }, expect: { kind: 'record', service } };
    },
  },
  truncated: {
    weight: 10,
    gen: (rng, space) => {
      const service = genService(rng);
      const text = goMicroJson(service, orderFor(rng));
      return { kind: 'truncated', space, kv: { key: keyFor(space, service), value: text.slice(0, rng.int(text.length)) }, expect: { kind: 'malformed', reason: /not JSON|empty/ } };
    },
  },
  'invalid JSON': {
    weight: 8,
    gen: (rng, space) => {
      const service = genService(rng);
      const text = goMicroJson(service, orderFor(rng));
      const garbage = rng.pick([
        () => text.replace(/:/, ''),
        () => `${text}}`,
        () => text.replace(/"/, "'"),
        () => `{name:"${service.name}"}`,
        () => text.replace(/,/, ',,'),
        () => 'NaN',
        () => '{"name":"a","nodes":[{"id":"b"}],}',
        () => rng.bytes(1 + rng.int(64)).toString('latin1').replace(/^[\s\d[{"tfn-]/, '~'),
      ])();
      return { kind: 'invalid JSON', space, kv: { key: keyFor(space, service), value: garbage }, expect: { kind: 'malformed', reason: /not JSON|empty|not a JSON object/ } };
    },
  },
  'JSON, not an object': {
    weight: 3,
    gen: (rng, space) => {
      const service = genService(rng);
      const value = rng.pick(['null', '42', '"text"', 'true', '[]', `[${goMicroJson(service, 'v1.8')}]`]);
      return { kind: 'JSON, not an object', space, kv: { key: keyFor(space, service), value }, expect: { kind: 'malformed', reason: /not a JSON object/ } };
    },
  },
  'wrong type': {
    weight: 20,
    gen: (rng, space) => {
      const service = genService(rng);
      const obj = JSON.parse(goMicroJson(service, orderFor(rng))) as unknown;
      const all: { path: string; slot: Slot; set: (v: unknown) => void }[] = [];
      slots(obj, '', 'object', all, () => undefined);
      const target = rng.pick(all.filter((s) => s.path !== ''));
      target.set(rng.pick(wrongFor[target.slot]));
      // The codec names the field: "nodes[0].metadata.broker is a number, not a string".
      return { kind: 'wrong type', space, kv: { key: keyFor(space, service), value: JSON.stringify(obj) }, expect: { kind: 'malformed', reason: target.path } };
    },
  },
  'missing name or node': {
    weight: 3,
    gen: (rng, space) => {
      const service = genService(rng);
      const obj = JSON.parse(goMicroJson(service, 'v1.8')) as Record<string, unknown>;
      const which = rng.int(3);
      if (which === 0) delete obj.name;
      else if (which === 1) obj.nodes = rng.pick([null, [], {}]);
      else delete obj.nodes;
      return { kind: 'missing name or node', space, kv: { key: keyFor(space, service), value: JSON.stringify(obj) }, expect: { kind: 'malformed', reason: which === 0 ? /no name/ : /no node/ } };
    },
  },
  'several nodes in one key': {
    weight: 2,
    gen: (rng, space) => {
      const service = genService(rng);
      const two = { ...service, nodes: [service.nodes[0]!, genNode(rng, 'other')] };
      return { kind: 'several nodes in one key', space, kv: { key: keyFor(space, service), value: goMicroJson(two, 'v1.8') }, expect: { kind: 'malformed', reason: /holds 2 nodes/ } };
    },
  },
  'key and value disagree': {
    weight: 4,
    gen: (rng, space) => {
      const service = genService(rng);
      const other = genService(rng, `${service.name}-other`, `${service.nodes[0]!.id}-other`);
      const mismatchNode = rng.chance(0.5);
      const keyed = mismatchNode ? { ...service, nodes: other.nodes } : { ...other, nodes: service.nodes };
      return { kind: 'key and value disagree', space, kv: { key: keyFor(space, keyed), value: goMicroJson(service, 'v1.8') }, expect: { kind: 'malformed', reason: mismatchNode ? /names node/ : /names service/ } };
    },
  },
  'unkeyable name in the key': {
    weight: 2,
    gen: (rng, space) => {
      const service = genService(rng);
      const base = expectedReadPrefix(writableSpace(space));
      const bad = rng.pick(['..', '.', ' ']);
      const key = rng.chance(0.5) ? `${base}${bad}/${segmentOf(service.nodes[0]!.id)}` : `${base}${segmentOf(service.name)}/${bad}`;
      return { kind: 'unkeyable name in the key', space, kv: { key, value: goMicroJson(service, 'v1.8') }, expect: { kind: 'malformed', reason: /the key names/ } };
    },
  },
  'too few segments': {
    weight: 3,
    gen: (rng, space) => {
      const service = genService(rng);
      const key = `${space.prefix}${segmentOf(service.name)}`;
      // `micro` and `domain` share a prefix: a one-segment key is bad for both.
      return { kind: 'too few segments', space, kv: { key, value: goMicroJson(service, 'v1.8') }, expect: { kind: 'malformed', reason: /1 segment/ } };
    },
  },
  'too many segments': {
    weight: 3,
    gen: (rng, space) => {
      const service = genService(rng);
      const extra = space.layout === 'micro' || space.layout === 'domain' ? 2 + rng.int(3) : 1 + rng.int(3);
      const key = `${keyFor(space, service)}${'/extra'.repeat(extra)}`;
      return { kind: 'too many segments', space, kv: { key, value: goMicroJson(service, 'v1.8') }, expect: { kind: 'malformed', reason: /segments below/ } };
    },
  },
  'empty segments': {
    weight: 3,
    gen: (rng, space) => {
      const service = genService(rng);
      const good = keyFor(space, service);
      const key = rng.pick([`${good}/`, good.replace(space.prefix, `${space.prefix}/`), good.replace(/\/([^/]*)$/, '//$1'), space.prefix]);
      return { kind: 'empty segments', space, kv: { key, value: goMicroJson(service, 'v1.8') }, expect: { kind: 'malformed', reason: /empty segment/ } };
    },
  },
  'other layout or outside the prefix': {
    weight: 3,
    gen: (rng, space) => {
      const service = genService(rng);
      const good = keyFor(space, service);
      let key: string;
      if (space.layout === 'micro') key = `${space.prefix}some-domain/${good.slice(space.prefix.length)}`;
      else if (space.layout === 'domain' && space.domain !== '*' && rng.chance(0.5)) key = good.replace(expectedReadPrefix(space), `${space.prefix}zz-other-domain/`);
      else if (space.layout === 'domain') key = `${space.prefix}${good.slice(expectedReadPrefix(writableSpace(space)).length)}`;
      else key = rng.pick([`/elsewhere${good}`, good.slice(1), `${space.prefix.slice(0, -1)}x/${good.slice(space.prefix.length)}`]);
      return { kind: 'other layout or outside the prefix', space, kv: { key, value: goMicroJson(service, 'v1.8') }, expect: { kind: 'foreign' } };
    },
  },
  'invalid UTF-8 in a string': {
    weight: 4,
    gen: (rng, space) => {
      const service = genService(rng);
      const text = goMicroJson(service, 'v1.8');
      const marker = `"address":"`;
      const at = text.indexOf(marker) + marker.length;
      const bytes = withInvalidUtf8(rng, text, at);
      // Go's decoder (and micro-reg's) read each bad sequence as U+FFFD: the record stays, the address shows it.
      const decoded = JSON.parse(replacementOf(bytes)) as { nodes: { address: string }[] };
      const expected = { ...service, nodes: [{ ...service.nodes[0]!, address: decoded.nodes[0]!.address }] };
      return { kind: 'invalid UTF-8 in a string', space, kv: { key: keyFor(space, service), value: bytes }, expect: { kind: 'record', service: expected } };
    },
  },
  'invalid UTF-8 anywhere': {
    weight: 4,
    gen: (rng, space) => {
      const service = genService(rng);
      const text = goMicroJson(service, orderFor(rng));
      const bytes = withInvalidUtf8(rng, text, rng.int(text.length + 1));
      return { kind: 'invalid UTF-8 anywhere', space, kv: { key: keyFor(space, service), value: bytes }, expect: { kind: 'record-or-malformed' } };
    },
  },
  'random bytes': {
    weight: 3,
    gen: (rng, space) => {
      const service = genService(rng);
      const bytes = rng.bytes(rng.int(200));
      if (bytes.length > 0 && bytes[0] === 0x7b) bytes[0] = 0x7e; // "{" could start an object by sheer luck; "~" cannot
      return { kind: 'random bytes', space, kv: { key: keyFor(space, service), value: bytes }, expect: { kind: 'malformed' } };
    },
  },
  'a view into a larger buffer': {
    weight: 2,
    gen: (rng, space) => {
      const service = genService(rng);
      const bytes = Buffer.from(`garbage-before${goMicroJson(service, orderFor(rng))}garbage-after`);
      const view = new Uint8Array(bytes.buffer, bytes.byteOffset + 'garbage-before'.length, bytes.length - 'garbage-before'.length - 'garbage-after'.length);
      return { kind: 'a view into a larger buffer', space, kv: { key: keyFor(space, service), value: view }, expect: { kind: 'record', service } };
    },
  },
  '1 MiB values': {
    weight: 1,
    huge: true,
    gen: (rng, space) => {
      const service = genService(rng);
      const big = 'x'.repeat(1024 * 1024);
      const variant = rng.int(4);
      if (variant === 0) {
        const withBig = { ...service, metadata: { big } };
        return { kind: '1 MiB values', space, kv: { key: keyFor(space, service), value: goMicroJson(withBig, 'v1.8') }, expect: { kind: 'record', service: withBig } };
      }
      if (variant === 1) {
        const padded = `${' '.repeat(1024 * 1024)}${goMicroJson(service, 'v1.8')}\n`;
        return { kind: '1 MiB values', space, kv: { key: keyFor(space, service), value: padded }, expect: { kind: 'record', service } };
      }
      if (variant === 2) return { kind: '1 MiB values', space, kv: { key: keyFor(space, service), value: `{"name":"${big}` }, expect: { kind: 'malformed', reason: /not JSON/ } };
      return { kind: '1 MiB values', space, kv: { key: keyFor(space, service), value: rng.bytes(1024 * 1024) }, expect: { kind: 'malformed' } };
    },
  },
  'nested 10,000 deep': {
    weight: 1,
    huge: true,
    gen: (rng, space) => {
      const service = genService(rng);
      const obj = JSON.parse(goMicroJson({ ...service, endpoints: [] }, 'v1.8')) as Record<string, unknown>;
      const variant = rng.int(4);
      const key = keyFor(space, service);
      // The deep part is spliced in as text: building it as an object would need the recursion under test.
      const splice = (field: string, deep: string): string => JSON.stringify({ ...obj, [field]: '@@deep@@' }).replace('"@@deep@@"', deep);
      if (variant === 0) {
        const value = splice('endpoints', `[{"name":"Deep","request":${deepValueJson(10_000)},"response":null,"metadata":null}]`);
        return { kind: 'nested 10,000 deep', space, kv: { key, value }, expect: { kind: 'malformed', reason: /nests deeper than/ } };
      }
      if (variant === 1) return { kind: 'nested 10,000 deep', space, kv: { key, value: `${'['.repeat(10_000)}${']'.repeat(10_000)}` }, expect: { kind: 'malformed', reason: /nests deeper than/ } };
      if (variant === 2) {
        const value = splice('metadata', `{"k":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`);
        return { kind: 'nested 10,000 deep', space, kv: { key, value }, expect: { kind: 'malformed', reason: /nests deeper than/ } };
      }
      // Go would ignore an unknown field however deep; micro-reg refuses it, before parsing: such a
      // field survived the fast path and overflowed JSON.stringify in every JSON read.
      const value = splice('unknown', `${'['.repeat(10_000)}${']'.repeat(10_000)}`);
      return { kind: 'nested 10,000 deep', space, kv: { key, value }, expect: { kind: 'malformed', reason: /nests deeper than/ } };
    },
  },
};

Object.assign(generators, {
  'terminal escapes in every field': {
    weight: 4,
    gen: (rng: Rng, space: KeySpace): FuzzCase => {
      const base = genService(rng);
      const node = base.nodes[0]!;
      const service: Service = {
        ...base,
        name: rng.chance(0.7) ? `svc${attack(rng)}` : base.name,
        version: attack(rng),
        metadata: { [attack(rng)]: attack(rng) },
        endpoints: [{ name: attack(rng), request: { name: attack(rng), type: attack(rng), values: null }, response: null, metadata: { k: attack(rng) } }],
        nodes: [{ id: rng.chance(0.7) ? `n${attack(rng)}` : node.id, address: `${attack(rng)}:8080`, metadata: { [attack(rng)]: attack(rng) } }],
      };
      // A name or id with "/" can make the key a bad one; the generator's names are usable ones.
      try {
        return { kind: 'terminal escapes in every field', space, kv: { key: keyFor(space, service), value: goMicroJson(service, orderFor(rng)) }, expect: { kind: 'record', service } };
      } catch {
        return { kind: 'terminal escapes in every field', space, kv: { key: keyFor(space, base), value: goMicroJson(base, 'v1.8') }, expect: { kind: 'record', service: base } };
      }
    },
  },
  'a key that is not UTF-8': {
    weight: 3,
    gen: (rng: Rng, space: KeySpace): FuzzCase => {
      const service = genService(rng);
      const good = keyFor(space, service);
      const bad = rng.pick([[0xff], [0xc0, 0x80], [0x80], [0xed, 0xa0, 0x80], [0xfe]]);
      const keyBytes = Buffer.concat([Buffer.from(good), Buffer.from(bad)]);
      // go-micro names the key after the id, and Go's JSON writes each bad byte of the id as U+FFFD;
      // or the value holds the raw bytes too. Either way the record is the key's, with its exact bytes.
      const goLike = rng.chance(0.5);
      const id = `${service.nodes[0]!.id}${goLike ? '\ufffd'.repeat(bad.length) : String.fromCharCode(...bad.map((b) => 0xdc00 + b))}`;
      const withId: Service = { ...service, nodes: [{ ...service.nodes[0]!, id }] };
      const [before, after] = goMicroJson({ ...service, nodes: [{ ...service.nodes[0]!, id: `${service.nodes[0]!.id}@@bad@@` }] }, 'v1.8').split('@@bad@@') as [string, string];
      const value = goLike ? goMicroJson(withId, 'v1.8') : Buffer.concat([Buffer.from(before), Buffer.from(bad), Buffer.from(after)]);
      return { kind: 'a key that is not UTF-8', space, kv: { key: decodeBytes(keyBytes), keyBytes, value }, expect: { kind: 'record', service: withId } };
    },
  },
} satisfies Record<string, { weight: number; gen: Generator }>);

export const caseKinds = Object.keys(generators);

/** One generated case; `huge` ones only when asked. */
export function genCase(rng: Rng, opts: GenOptions = {}, space = genSpace(rng)): FuzzCase {
  const entries = Object.values(generators).filter((g) => opts.huge || !g.huge);
  const total = entries.reduce((n, g) => n + g.weight, 0);
  let roll = rng.next() * total;
  for (const g of entries) {
    roll -= g.weight;
    if (roll < 0) return g.gen(rng, space);
  }
  return entries[0]!.gen(rng, space);
}

/** A case of one named kind. */
export function genCaseOf(kind: string, rng: Rng, space = genSpace(rng)): FuzzCase {
  const g = generators[kind];
  if (!g) throw new Error(`no generator ${kind}`);
  return g.gen(rng, space);
}
