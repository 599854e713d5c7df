// The output check of the benchmark (issue 17): `micro-reg list -o json` must stay byte for byte what
// the plain path makes of the same registry. The reference reads the registry with etcdctl (not
// micro-reg's client), decodes every value alone with decodeService (not the shared-head decoder),
// groups with groupServices and renders the whole list with renderJson (not the chunked writer).
import { spawnSync } from 'node:child_process';
import { decodeRecord, groupServices } from '../dist/registry/codec.js';
import { keySpace } from '../dist/registry/keys.js';
import { renderJson, serviceJson } from '../dist/render/json.js';

/** What `list -o json` (piped, so compact) should print for the `micro` layout of this etcd. */
export function referenceListJson(endpoint, prefix = '/micro/registry/') {
  const r = spawnSync('etcdctl', ['--endpoints', endpoint, 'get', '--prefix', prefix, '-w', 'json'], { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8', maxBuffer: 1024 ** 3 });
  if (r.status !== 0) throw new Error(`etcdctl exited ${r.status}: ${r.stderr}`);
  // etcdctl prints int64s as JSON numbers, which lose digits past 2^53 (lease ids): keep them as text.
  const { kvs = [] } = JSON.parse(r.stdout.replace(/"(lease|mod_revision|create_revision)":(\d+)/g, '"$1":"$2"'));
  const space = keySpace('micro', prefix);
  const records = [];
  for (const kv of kvs) {
    const d = decodeRecord(space, { key: Buffer.from(kv.key, 'base64').toString('utf8'), value: Buffer.from(kv.value, 'base64'), lease: kv.lease ?? '0', modRevision: kv.mod_revision, createRevision: kv.create_revision });
    if (d.kind === 'record') records.push(d.record);
  }
  return renderJson(groupServices(records).map(serviceJson), false);
}

/** Runs the CLI once and compares its stdout with the reference; throws on the first differing byte. */
export function checkIdentical(bin, endpoint) {
  const got = spawnSync(bin, ['list', '-o', 'json'], { env: { ...process.env, MICRO_REGISTRY_ADDRESS: endpoint }, encoding: 'utf8', maxBuffer: 1024 ** 3 });
  if (got.status !== 0) throw new Error(`micro-reg list -o json exited ${got.status}: ${got.stderr}`);
  const want = referenceListJson(endpoint);
  if (got.stdout !== want) {
    let i = 0;
    while (i < want.length && got.stdout[i] === want[i]) i++;
    throw new Error(`list -o json differs from the reference at character ${i}: got ${JSON.stringify(got.stdout.slice(i, i + 80))}, want ${JSON.stringify(want.slice(i, i + 80))}`);
  }
  return { bytes: Buffer.byteLength(want) };
}
