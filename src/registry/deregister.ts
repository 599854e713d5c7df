// Deletes node records the way `deregister` and `check --prune` promise: only the keys that were
// shown, and only while they are unchanged (a transaction on each key's mod revision), so a node
// that re-registered since it was read is kept.
import { UsageError } from '../errors.js';
import type { DeleteCondition, EtcdClient } from './client.js';
import type { NodeRecord } from './model.js';

export interface DeleteOutcome {
  /** Deleted by this call. */
  removed: NodeRecord[];
  /** Still there but written since it was read (re-registered or updated): kept. */
  changed: NodeRecord[];
  /** Already gone when the delete ran (expired or removed by someone else). */
  gone: NodeRecord[];
}

/** etcd's default --max-txn-ops is 128; stay well under it. */
const batchSize = 64;

/**
 * Deletes each record's key if its mod revision is still the one read. Tries a batch in one
 * transaction first; when some key in it changed, it falls back to one transaction per key so that
 * the unchanged ones still go, and then tells the changed keys from the vanished ones.
 */
export async function deleteRecords(client: EtcdClient, records: readonly NodeRecord[]): Promise<DeleteOutcome> {
  const outcome: DeleteOutcome = { removed: [], changed: [], gone: [] };
  for (const r of records) {
    if (r.layout === 'v2') throw new UsageError(`cannot delete ${r.key}: records of the v2 layout live in the etcd v2 keys API`);
    if (r.modRevision === undefined) throw new Error(`record ${r.key} was read without its mod revision`);
  }
  const condition = (r: NodeRecord): DeleteCondition => ({ key: r.key, modRevision: r.modRevision! });
  for (let i = 0; i < records.length; i += batchSize) {
    const batch = records.slice(i, i + batchSize);
    const { deleted } = await client.deleteIfUnchanged(batch.map(condition));
    if (deleted) {
      outcome.removed.push(...batch);
      continue;
    }
    for (const r of batch) {
      if ((await client.deleteIfUnchanged([condition(r)])).deleted) outcome.removed.push(r);
      else if (await keyExists(client, r.key)) outcome.changed.push(r);
      else outcome.gone.push(r);
    }
  }
  return outcome;
}

async function keyExists(client: EtcdClient, key: string): Promise<boolean> {
  // A prefix read of the key also returns longer keys (node-1 and node-10): compare exactly.
  const { kvs } = await client.rangePrefix(key, { keysOnly: true });
  return kvs.some((kv) => kv.key === key);
}
