// The shared fixtures: records exactly as go-micro writes them (../shared/fixtures beside the repo).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Fixture {
  file: string;
  family: 'micro' | 'domain' | 'legacy' | 'v2';
  key: string;
  value: Record<string, unknown>;
  /** The stored bytes: JSON.stringify of value keeps Go's key order. */
  bytes: string;
  source: string;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixturesDir = process.env.MICRO_REG_FIXTURES ?? join(repoRoot, '..', 'shared', 'fixtures');

export function loadFixtures(): Fixture[] {
  const files = readdirSync(fixturesDir).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`no fixtures in ${fixturesDir}`);
  return files.map((file) => {
    const raw = JSON.parse(readFileSync(join(fixturesDir, file), 'utf8')) as Omit<Fixture, 'file' | 'bytes'>;
    return { ...raw, file, bytes: JSON.stringify(raw.value) };
  });
}

export function fixture(name: string): Fixture {
  const f = loadFixtures().find((x) => x.file === name || x.file === `${name}.json`);
  if (!f) throw new Error(`no fixture ${name}`);
  return f;
}
