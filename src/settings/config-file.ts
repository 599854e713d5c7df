// Reads and writes the contexts file (src/settings/contexts.ts has its shape). Writes are atomic (a temporary
// file renamed over the old one) and private (mode 0600), since a context may hold a password.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import type { Env } from './config.js';
import { type ConfigFile, configFilePath, holdsPassword, parseConfigFile, serializeConfigFile } from './contexts.js';
import { UsageError } from '../errors.js';

export interface LoadedConfigFile {
  path: string;
  /** Absent when there is no file yet. */
  file?: ConfigFile;
  /** Set when the file holds a password and group or others may read it. */
  warning?: string;
}

export function defaultConfigFilePath(env: Env): string {
  return configFilePath(env, homedir());
}

export function loadConfigFile(env: Env, path = defaultConfigFilePath(env)): LoadedConfigFile {
  let text: string;
  let mode: number;
  try {
    text = readFileSync(path, 'utf8');
    mode = statSync(path).mode;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { path };
    throw new UsageError(`cannot read the config file ${path}: ${code ?? (e as Error).message}`);
  }
  const file = parseConfigFile(text, path);
  const loaded: LoadedConfigFile = { path, file };
  if (holdsPassword(file) && (mode & 0o044) !== 0) {
    loaded.warning = `${path} holds a password and can be read by others (mode ${(mode & 0o777).toString(8).padStart(4, '0')}): run chmod 600 ${path}`;
  }
  return loaded;
}

/** Writes the whole file: a private temporary file beside it, synced, then renamed over it. */
export function saveConfigFile(path: string, file: ConfigFile): void {
  const dir = dirname(path);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, serializeConfigFile(file));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing was left behind.
    }
    throw new UsageError(`cannot write the config file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Runs a read-modify-write of the config file under a lock (a `PATH.lock` directory, proper-lockfile),
 * so that concurrent `config` commands take turns and none loses another's change. A lock left by a
 * process that died is taken over once it is 10 s stale.
 */
export async function withConfigFileLock<T>(path: string, change: () => T): Promise<T> {
  const { lock } = (await import('proper-lockfile')).default;
  let release: () => Promise<void>;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    release = await lock(path, { realpath: false, stale: 10_000, retries: { retries: 60, factor: 1.3, minTimeout: 10, maxTimeout: 250, randomize: true } });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot lock the config file ${path}: ${code === 'ELOCKED' ? 'another micro-reg config command holds it' : (code ?? (e as Error).message)}`,
      code === 'ELOCKED' ? `try again; if no micro-reg runs, remove ${path}.lock` : undefined,
    );
  }
  try {
    return change();
  } finally {
    await release().catch(() => undefined);
  }
}
