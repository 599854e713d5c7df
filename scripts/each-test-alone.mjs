#!/usr/bin/env node
// Runs every test of the given files on its own (`vitest run FILE -t NAME`), one after the other, and
// lists those that fail alone: a test that passes only after another has run depends on its leftovers.
// Usage: node scripts/each-test-alone.mjs test/integration/x.test.ts [...]
import { execFileSync, spawnSync } from 'node:child_process';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/each-test-alone.mjs FILE...');
  process.exit(2);
}
const listOut = execFileSync('npx', ['vitest', 'list', ...files, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const listed = JSON.parse(listOut.slice(listOut.indexOf('['), listOut.lastIndexOf(']') + 1));
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const failed = [];
for (const [i, t] of listed.entries()) {
  // vitest matches -t against the full name, its describe blocks and the test joined by spaces.
  // A fuzz seed in a name changes from run to run (FUZZ_SEED=…): any seed matches.
  const pattern = `^${escape(t.name.split(' > ').join(' ')).replace(/FUZZ_SEED=\d+/g, 'FUZZ_SEED=\\d+')}$`;
  const r = spawnSync('npx', ['vitest', 'run', t.file, '-t', pattern], { encoding: 'utf8' });
  const ran = /Tests\s+.*\b1 passed\b/.test(r.stdout.replace(/\x1b\[[0-9;]*m/g, ''));
  const ok = r.status === 0 && ran;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${i + 1}/${listed.length} ${t.file.replace(process.cwd() + '/', '')} > ${t.name}`);
  if (!ok) failed.push(t.name);
}
console.log(failed.length === 0 ? 'every test passed alone' : `${failed.length} failed alone:\n${failed.join('\n')}`);
process.exit(failed.length === 0 ? 0 : 1);
