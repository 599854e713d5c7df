// Raw etcd v2 keys API requests for tests, written the way go-plugins' registry/etcd sends them
// (format reference 4 and 9), independent of src/registry/v2/client.ts so the tests check it from outside.

export interface V2RawAnswer {
  status: number;
  etcdIndex: number;
  body: Record<string, unknown>;
}

function keyUrl(endpoint: string, key: string): string {
  const path = key
    .split('/')
    .filter((s) => s !== '')
    .map(encodeURIComponent)
    .join('/');
  return `http://${endpoint}/v2/keys/${path}`;
}

export async function v2Raw(
  endpoint: string,
  method: 'GET' | 'PUT' | 'DELETE',
  key: string,
  opts: { query?: Record<string, string>; form?: Record<string, string>; auth?: string } = {},
): Promise<V2RawAnswer> {
  const query = opts.query ? `?${new URLSearchParams(opts.query).toString()}` : '';
  const headers: Record<string, string> = {};
  if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
  const init: RequestInit = { method, headers, signal: AbortSignal.timeout(5000) };
  if (opts.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    init.body = new URLSearchParams(opts.form).toString();
  }
  const res = await fetch(`${keyUrl(endpoint, key)}${query}`, init);
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: res.status, etcdIndex: Number(res.headers.get('x-etcd-index') ?? 0), body };
}

export interface V2SeedEntry {
  key: string;
  value: string;
  /** Seconds; none: a permanent key (go-micro v0.x..v1.10 default). */
  ttl?: number;
}

/** Registers as the plugin does: PUT the service directory (102 "Not a file" ignored), then the node key with its TTL. */
export async function seedV2(endpoint: string, entries: readonly V2SeedEntry[]): Promise<void> {
  for (const e of entries) {
    const dir = e.key.slice(0, e.key.lastIndexOf('/'));
    const mk = await v2Raw(endpoint, 'PUT', dir, { query: { dir: 'true' } });
    if (mk.status !== 201 && mk.body.errorCode !== 102) throw new Error(`cannot create ${dir}: ${JSON.stringify(mk.body)}`);
    const form: Record<string, string> = { value: e.value };
    if (e.ttl !== undefined) form.ttl = String(e.ttl);
    const set = await v2Raw(endpoint, 'PUT', e.key, { form });
    if (set.status !== 200 && set.status !== 201) throw new Error(`cannot set ${e.key}: ${JSON.stringify(set.body)}`);
  }
}
