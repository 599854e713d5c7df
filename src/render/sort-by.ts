// `--sort-by PATH` (kubectl's): items ordered by what a JSONPath finds in each one's JSON document
// (`.version`, `.nodes.length`, `.address`). Numbers in number order, strings in version order (1.9.0 <
// 1.10.0; other text in text order, versions.ts), host:port addresses by host then port, items where the path finds nothing last. Stable. Pure.
import { compareVersions } from '../registry/versions.js';
import { type Path, JsonPathError, evaluatePath, parsePath } from './jsonpath.js';

export class SortByError extends Error {}

const hostPort = /^[^\s:]+:\d+$/;

/** Addresses in the order people read them: by host (IPv4 numerically), then port. */
export function compareAddresses(a: string, b: string): number {
  const split = (addr: string): [string, number] => {
    const colon = addr.lastIndexOf(':');
    const port = colon >= 0 ? Number(addr.slice(colon + 1)) : NaN;
    return Number.isInteger(port) ? [addr.slice(0, colon), port] : [addr, -1];
  };
  const [ha, pa] = split(a);
  const [hb, pb] = split(b);
  const ipv4 = (h: string): number[] | undefined => (/^\d{1,3}(\.\d{1,3}){3}$/.test(h) ? h.split('.').map(Number) : undefined);
  const [va, vb] = [ipv4(ha), ipv4(hb)];
  if (va && vb) {
    for (let i = 0; i < 4; i++) if (va[i] !== vb[i]) return va[i]! - vb[i]!;
  } else if (va || vb) return va ? -1 : 1;
  else if (ha !== hb) return ha < hb ? -1 : 1;
  return pa !== pb ? pa - pb : a < b ? -1 : a > b ? 1 : 0;
}


/** `.version` or `{.version}`; an error names the column. */
export function parseSortBy(text: string): Path {
  const bare = text.startsWith('{') && text.endsWith('}') ? text.slice(1, -1) : text;
  if (bare.trim() === '') throw new SortByError('--sort-by needs a JSONPath, e.g. .version');
  try {
    return parsePath(bare.trim());
  } catch (e) {
    if (e instanceof JsonPathError) throw new SortByError(`invalid --sort-by "${text}": ${e.message}`);
    throw e;
  }
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return hostPort.test(a) && hostPort.test(b) ? compareAddresses(a, b) : compareVersions(a, b);
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  const x = JSON.stringify(a) ?? '';
  const y = JSON.stringify(b) ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

/** `items` ordered by `path` over each one's document (`docOf`); the first value found is the key. */
export function sortByPath<T>(items: readonly T[], docOf: (item: T) => unknown, path: Path): T[] {
  const keyed = items.map((item, i) => ({ item, i, key: evaluatePath(path, docOf(item))[0] }));
  keyed.sort((a, b) => {
    const missingA = a.key === undefined;
    const missingB = b.key === undefined;
    if (missingA || missingB) return missingA === missingB ? a.i - b.i : missingA ? 1 : -1;
    return compareValues(a.key, b.key) || a.i - b.i;
  });
  return keyed.map((k) => k.item);
}
