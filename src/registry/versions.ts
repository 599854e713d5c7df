// Version order, the one used wherever versions are listed (list, get, watch --live, JSON): during a
// rollout people expect 1.2.0 < 1.9.0 < 1.10.0 < v2.0.0, not text order.
import type SemVer from 'semver/classes/semver.js';
import parseSemver from 'semver/functions/parse.js';

const parsed = new Map<string, SemVer | null>();

/** The version as a semantic version (a leading `v` allowed, as semver and go-micro users write it), or null. */
function semverOf(version: string): SemVer | null {
  let v = parsed.get(version);
  if (v === undefined) {
    v = parseSemver(version);
    // Bounded: a registry has few distinct versions, a malicious one must not grow this without end.
    if (parsed.size < 10_000) parsed.set(version, v);
  }
  return v;
}

/**
 * Semantic versions first, by precedence (pre-releases before their release, build metadata ignored);
 * versions that are not semantic versions (`latest`, `2024.11.05-build.1734`, `""`) after them, in
 * text order. Equal precedence (`1.0.0` and `v1.0.0`) falls back to text order, so the order is total.
 */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  const x = semverOf(a);
  const y = semverOf(b);
  if (x && y) return x.compare(y) || (a < b ? -1 : 1);
  if (x) return -1;
  if (y) return 1;
  return a < b ? -1 : 1;
}
