// Reads of the registry, layout by layout: which key spaces to read (resolving `auto`), one range per
// distinct prefix (v3) or one recursive GET per directory (v2 keys API), each key classified by the
// same codec. Commands get records and malformed records back.
import type { RegistryConfig } from '../settings/config.js';
import { MalformedRecordError, NotFoundError, RevisionUnavailableError, ServiceNotFoundError, UsageError } from '../errors.js';
import { closeMatches } from './match.js';
import type { EtcdClient } from './v3/client.js';
import { type RawKeyValue, ValueDecoder, decodeRecordIn, groupKey } from './codec.js';
import { type KeySpace, autoV3Spaces, defaultPrefixes, groupByPrefix, keySegment, keySpace, readPrefix, serviceDir, serviceReadPrefix } from './keys.js';
import type { Layout, MalformedRecord, NodeRecord } from './model.js';
import type { V2Client } from './v2/client.js';
import { v2RawKeyValue } from './v2/keys-api.js';

export interface ReadResult {
  records: NodeRecord[];
  malformed: MalformedRecord[];
  /** The etcd revision the read saw ("0" when nothing was read). */
  revision: string;
  /** The v2 store's X-Etcd-Index of the v2 read (a v2 watch resumes at v2Index + 1); absent without one. */
  v2Index?: number;
  /** The key spaces that were read, for messages. */
  spaces: KeySpace[];
}

/** How the Registry makes its clients: each on first use, so a run pays only for the API it talks to. */
export interface RegistryClients {
  /** etcd's v3 API (gRPC): every layout but `v2`. */
  v3?: () => EtcdClient;
  /** The etcd v2 keys API (HTTP): the `v2` layout, and `auto`'s probe of it. */
  v2?: () => V2Client;
}

export class Registry {
  private resolvedSpaces: Promise<KeySpace[]> | undefined;
  private v3Client: EtcdClient | undefined;
  private v2Client: V2Client | undefined;

  constructor(
    readonly config: RegistryConfig,
    private readonly clients: RegistryClients,
  ) {}

  /** The v3 client, made on first use (`--layout v2` never loads gRPC). */
  get client(): EtcdClient {
    if (!this.clients.v3) throw new Error('no etcd v3 client for this registry');
    this.v3Client ??= this.clients.v3();
    return this.v3Client;
  }

  /** The v2 keys API client, made on first use. */
  get v2(): V2Client {
    if (!this.clients.v2) throw new Error('no etcd v2 client for this registry');
    this.v2Client ??= this.clients.v2();
    return this.v2Client;
  }

  /** The key spaces this invocation works on: the chosen layout, or for `auto` every layout that holds keys. */
  spaces(): Promise<KeySpace[]> {
    this.resolvedSpaces ??= this.resolveSpaces();
    return this.resolvedSpaces;
  }

  private async resolveSpaces(): Promise<KeySpace[]> {
    const { layout, prefix, domain } = this.config;
    if (layout !== 'auto') return [keySpace(layout, prefix, domain)];
    // One count-only request per v3 prefix; `micro` and `domain` share theirs and are told apart by key depth.
    // The v2 store is apart from the v3 keyspace: one GET of its directory, which is no error on an
    // etcd that serves no v2 API (3.4/3.5 without --enable-v2).
    const [microCount, legacyCount, v2Entries] = await Promise.all([
      this.client.countPrefix(defaultPrefixes.micro),
      this.client.countPrefix(defaultPrefixes.legacy),
      this.v2.hasEntries(defaultPrefixes.v2),
    ]);
    const spaces = autoV3Spaces(domain).filter((s) => (s.layout === 'legacy' ? legacyCount : microCount) > 0);
    return v2Entries ? [...spaces, keySpace('v2')] : spaces;
  }

  /** The key space records are written to: the chosen layout (auto writes to `micro`). */
  writeSpace(): KeySpace {
    const { layout, prefix, domain } = this.config;
    return keySpace(layout === 'auto' ? 'micro' : layout, prefix, domain);
  }

  /** Every record, or every record of one service (matched on the JSON name, as keys are lossy). */
  async read(service?: string, opts: ReadOptions = {}): Promise<ReadResult> {
    const spaces = await this.spaces();
    if (opts.revision !== undefined && spaces.some((s) => s.layout === 'v2')) {
      throw new UsageError('--revision reads etcd v3 history: the v2 layout has no revisions', 'drop --revision, or read a v3 layout (--layout micro, domain or legacy)');
    }
    const segment = service === undefined ? undefined : keySegment(service, 'service name');
    // Read each distinct prefix once; every space sharing it classifies the keys. `legacy` and `v2`
    // share a prefix but not a keyspace, so v2 spaces are read apart, through the v2 API.
    const v2Spaces = spaces.filter((s) => s.layout === 'v2');
    const byPrefix = groupByPrefix(
      spaces.filter((s) => s.layout !== 'v2'),
      (space) => (service === undefined ? readPrefix(space) : serviceReadPrefix(space, service)),
    );
    const result: ReadResult = { records: [], malformed: [], revision: '0', spaces };
    const firstOfGroup = opts.forGrouping ? new Set<string>() : undefined;
    // One decoder per read: the nodes of a service share the bytes of everything but their node.
    const values = new ValueDecoder();
    // A service read under `micro` also covers `domain` keys of a domain named like the service; the
    // prefixes differ then, so overlapping reads cannot happen except through the wildcard domain.
    const [reads, v2Reads] = await Promise.all([
      // Each page is decoded as it arrives, so its raw bytes can go before the next page comes.
      // A read that etcd's compaction made start again drops what it had classified (onRestart).
      Promise.all(
        [...byPrefix.entries()].map(async ([p, group]) => {
          let part: ReadResult = { ...result, records: [], malformed: [] };
          const range = await this.client
            .rangePrefix(p, {
              revision: opts.revision,
              onPage: (kvs) => kvs.forEach((kv) => classify(group, kv, segment, service, part, firstOfGroup, opts.onStored, values)),
              onRestart: () => {
                for (const r of part.records) if (r.service.endpoints !== null) firstOfGroup?.delete(groupKey(r));
                part = { ...result, records: [], malformed: [] };
              },
            })
            .catch((e: unknown) => this.withOldestRevision(e));
          return { ...range, part };
        }),
      ),
      Promise.all(v2Spaces.map(async (space) => ({ space, tree: await this.v2.readTree(service === undefined ? space.prefix : serviceDir(space, service)) }))),
    ]);
    for (const range of reads) {
      if (BigInt(range.revision) > BigInt(result.revision)) result.revision = range.revision;
      for (const r of range.part.records) result.records.push(r);
      for (const m of range.part.malformed) result.malformed.push(m);
    }
    for (const { space, tree } of v2Reads) {
      result.v2Index = Math.max(result.v2Index ?? 0, tree.etcdIndex);
      // Directories are skipped as the plugin skips them: expired nodes leave theirs behind, empty.
      for (const leaf of tree.leaves) classify([space], v2RawKeyValue(leaf), segment, service, result, firstOfGroup, opts.onStored);
    }
    return result;
  }

  private withOldestRevision(e: unknown): Promise<never> {
    return explainRevisionError(this.client, e);
  }

  /**
   * One service's records, for the commands that need it to be there (get, deregister, check SERVICE):
   * exit 6 when all it has are malformed records, exit 3 with close names when it has none.
   */
  async readService(service: string, opts: ReadOptions = {}): Promise<ReadResult> {
    const result = await this.read(service, opts);
    if (result.records.length > 0) return result;
    if (result.malformed.length > 0) {
      const keys = result.malformed.map((m) => `${m.key} (${m.reason})`);
      throw new MalformedRecordError(`service ${service} has only malformed records: ${keys.join('; ')}`);
    }
    const similar = closeMatches(service, await this.serviceSegments());
    throw new ServiceNotFoundError(service, similar.length > 0 ? `did you mean ${similar.join(', ')}?` : 'run micro-reg list to see what is registered');
  }

  /** Seconds left on each lease, looked up once per distinct lease. */
  leaseTtls(records: readonly NodeRecord[]): Promise<Map<string, number>> {
    const leases = records.flatMap((r) => (r.lease === undefined ? [] : [r.lease]));
    // v2 records have TTLs, no leases: nothing to ask the v3 API.
    return leases.length === 0 ? Promise.resolve(new Map()) : this.client.leaseTtls(leases);
  }

  /** Service names (key segments) of the whole registry, keys only: cheap, for hints and completion. */
  async serviceSegments(): Promise<string[]> {
    const spaces = await this.spaces();
    const names = new Set<string>();
    for (const space of spaces) {
      if (space.layout === 'v2') {
        for (const name of await this.v2.listDirs(space.prefix)) names.add(name);
        continue;
      }
      const domain = space.layout === 'domain';
      // Each page is reduced to its names as it arrives: the keys themselves are not kept.
      await this.client.rangePrefix(readPrefix(space), { keysOnly: true, onPage: (kvs) => kvs.forEach(({ key }) => addServiceSegment(names, key, space.prefix.length, domain)) });
    }
    return [...names].sort();
  }

  layoutsRead(): Promise<Layout[]> {
    return this.spaces().then((s) => [...new Set(s.map((x) => x.layout))]);
  }
}

/** A --revision etcd cannot read: exit 3, the hint naming the oldest revision still readable (best effort). */
export async function explainRevisionError(client: EtcdClient, e: unknown): Promise<never> {
  if (!(e instanceof RevisionUnavailableError)) throw e;
  if (e.reason === 'future') throw new NotFoundError(e.message, 'micro-reg list --show-revision prints the current revision');
  const oldest = await client.oldestRevision(e.revision).catch(() => undefined);
  throw new NotFoundError(e.message, oldest === undefined ? 'pick a later revision' : `the oldest revision still readable is ${oldest}`);
}

export interface ReadOptions {
  /**
   * The records will only be grouped (list, get): keep endpoints on the first record of each
   * name+version only, the one groupServices takes them from. The value trees of a large registry are
   * mostly the same endpoints again and again; dropping the copies early saves memory and GC time.
   */
  forGrouping?: boolean;
  /** Read at this past etcd revision (v3 layouts only). */
  revision?: string;
  /** Called with each record and its stored bytes, as it is read (export works out how to write them again). */
  onStored?: (record: NodeRecord, stored: string) => void;
}

function classify(group: KeySpace[], kv: RawKeyValue, segment: string | undefined, service: string | undefined, out: ReadResult, firstOfGroup?: Set<string>, onStored?: ReadOptions['onStored'], values?: ValueDecoder): void {
  const r = decodeRecordIn(group, kv, values);
  if (r.kind === 'foreign') return;
  if (r.kind === 'malformed') {
    // Under one service's prefix, only that service's keys are its business.
    if (segment === undefined || keyServiceSegment(group[0]!.prefix, r.malformed.layout, kv.key) === segment) out.malformed.push(r.malformed);
    return;
  }
  if (service !== undefined && r.record.service.name !== service) return;
  if (firstOfGroup) {
    const key = groupKey(r.record);
    if (firstOfGroup.has(key)) r.record.service.endpoints = null;
    else firstOfGroup.add(key);
  }
  out.records.push(r.record);
  onStored?.(r.record, typeof kv.value === 'string' ? kv.value : Buffer.from(kv.value.buffer, kv.value.byteOffset, kv.value.byteLength).toString('utf8'));
}

/**
 * Adds the service segment of a node key (prefix, service, node; `domain`: prefix, domain, service,
 * node) to `names`; keys of any other depth are not node keys and add nothing.
 */
function addServiceSegment(names: Set<string>, key: string, from: number, domain: boolean): void {
  const first = key.indexOf('/', from);
  if (first < 0) return;
  const second = key.indexOf('/', first + 1);
  if (!domain) {
    if (second < 0) names.add(key.slice(from, first));
    return;
  }
  if (second >= 0 && key.indexOf('/', second + 1) < 0) names.add(key.slice(first + 1, second));
}

/** The service segment of a key: the layouts of one read group share its prefix. */
function keyServiceSegment(prefix: string, layout: Layout, key: string): string | undefined {
  const parts = key.slice(prefix.length).split('/');
  return parts[layout === 'domain' ? 1 : 0];
}
