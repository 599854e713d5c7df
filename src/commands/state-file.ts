// What `diff -f` and `apply -f` share: reading a registry file (a snapshot from `export`, or a
// hand-written list of services; JSON or YAML; `-` for standard input).
import { readFileSync } from 'node:fs';
import type { CommandContext } from '../command-context.js';
import { UsageError } from '../errors.js';
import { readToEnd } from '../io.js';
import { type StateFile, parseStateDocument } from '../registry/snapshot.js';

/** A snapshot of a large registry is large; the bound keeps a wrong pipe from filling memory. */
const maxStateFileBytes = 256 * 1024 * 1024;

/** The text of a file, or of standard input for `-`. */
async function readText(ctx: CommandContext, path: string): Promise<string> {
  let text: string | undefined;
  try {
    text = path === '-' ? await readToEnd(ctx.io.stdin, maxStateFileBytes) : readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read -f ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (text === undefined) throw new UsageError(`-f ${path}: more than ${maxStateFileBytes / 1024 / 1024} MiB`);
  return text;
}

/** Reads and checks a registry file: JSON when it parses as JSON, else YAML (the yaml package is loaded only then). */
export async function readStateFile(ctx: CommandContext, path: string): Promise<StateFile> {
  const text = await readText(ctx, path);
  const name = path === '-' ? 'standard input' : path;
  if (text.trim() === '') throw new UsageError(`${name} is empty`, 'expected a snapshot from micro-reg export, or a list of services');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    const { parseYaml } = await import('../render/yaml.js');
    try {
      doc = await parseYaml(text);
    } catch (e) {
      throw new UsageError(`${name} is neither JSON nor YAML: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return parseStateDocument(doc, name);
}
