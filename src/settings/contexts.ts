// Named contexts, as kubectl has them: the config file's shape, where it lives, which context applies,
// and the edits `micro-reg config …` makes. Pure: text and values in, values out; src/settings/config-file.ts
// does the reading and writing.
import { posix } from 'node:path';
import type { ContextSettings, Env } from './config.js';
import { NotFoundError, UsageError } from '../errors.js';

/** The config file: `{"currentContext": "prod", "contexts": {"prod": {"endpoints": ["10.0.0.1:2379"], …}}}`. */
export interface ConfigFile {
  currentContext?: string;
  contexts: Record<string, ContextSettings>;
}

export const emptyConfigFile = (): ConfigFile => ({ contexts: {} });

const stringFields = ['user', 'password', 'cacert', 'cert', 'key', 'timeout', 'layout', 'prefix', 'domain'] as const;
type StringField = (typeof stringFields)[number];
/** Every field a context may set, in the order they are written and shown. */
export const contextFields = ['endpoints', 'user', 'password', 'cacert', 'cert', 'key', 'insecureSkipTlsVerify', 'timeout', 'layout', 'prefix', 'domain'] as const;
export type ContextField = (typeof contextFields)[number];

/** $XDG_CONFIG_HOME/micro-reg/config.json, else ~/.config/micro-reg/config.json (XDG: a relative value is ignored). */
export function configFilePath(env: Env, homeDir: string): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg !== undefined && posix.isAbsolute(xdg) ? xdg : posix.join(env.HOME && posix.isAbsolute(env.HOME) ? env.HOME : homeDir, '.config');
  return posix.join(base, 'micro-reg', 'config.json');
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A context name is one word a shell need not quote: it is typed after --context and completed. */
export function checkContextName(name: string): string {
  // No ":" or "=": bash splits words there while completing.
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]*$/.test(name)) {
    throw new UsageError(`invalid context name "${name}": use letters, digits and . _ - @ (starting with a letter or digit)`);
  }
  return name;
}

function parseContext(name: string, raw: unknown, path: string): ContextSettings {
  const where = `${path}: context "${name}"`;
  if (!isObject(raw)) throw new UsageError(`${where} is not a JSON object`);
  const out: ContextSettings = {};
  for (const [field, value] of Object.entries(raw)) {
    if (field === 'endpoints') {
      // A comma-separated string is accepted too, as --endpoints takes it.
      const list = typeof value === 'string' ? value.split(',') : value;
      if (!Array.isArray(list) || !list.every((e) => typeof e === 'string')) throw new UsageError(`${where}: endpoints must be an array of strings`);
      out.endpoints = list.map((e) => e.trim()).filter((e) => e !== '');
    } else if (field === 'insecureSkipTlsVerify') {
      if (typeof value !== 'boolean') throw new UsageError(`${where}: insecureSkipTlsVerify must be true or false`);
      out.insecureSkipTlsVerify = value;
    } else if ((stringFields as readonly string[]).includes(field)) {
      if (typeof value !== 'string') throw new UsageError(`${where}: ${field} must be a string`);
      out[field as StringField] = value;
    } else {
      throw new UsageError(`${where} has an unknown field "${field}"`, `known fields: ${contextFields.join(', ')}`);
    }
  }
  return out;
}

/** Parses the file's text; a broken file is a usage error that names it. */
export function parseConfigFile(text: string, path: string): ConfigFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${path} is not valid JSON: ${(e as Error).message}`, 'fix or remove the file');
  }
  if (!isObject(raw)) throw new UsageError(`${path} is not a JSON object`, 'fix or remove the file');
  const file = emptyConfigFile();
  for (const [field, value] of Object.entries(raw)) {
    if (field === 'currentContext') {
      if (value === null || value === '') continue;
      if (typeof value !== 'string') throw new UsageError(`${path}: currentContext must be a string`);
      file.currentContext = value;
    } else if (field === 'contexts') {
      if (!isObject(value)) throw new UsageError(`${path}: contexts must be an object of named contexts`);
      for (const [name, ctx] of Object.entries(value)) file.contexts[name] = parseContext(name, ctx, path);
    } else {
      throw new UsageError(`${path} has an unknown field "${field}"`, 'known fields: currentContext, contexts');
    }
  }
  return file;
}

/** The file's text: stable field order, contexts sorted by name. */
export function serializeConfigFile(file: ConfigFile): string {
  const contexts: Record<string, Record<string, unknown>> = {};
  for (const name of Object.keys(file.contexts).sort()) {
    const ctx = file.contexts[name]!;
    const ordered: Record<string, unknown> = {};
    for (const field of contextFields) if (ctx[field] !== undefined) ordered[field] = ctx[field];
    contexts[name] = ordered;
  }
  const out: Record<string, unknown> = {};
  if (file.currentContext !== undefined) out.currentContext = file.currentContext;
  out.contexts = contexts;
  return `${JSON.stringify(out, null, 2)}\n`;
}

export interface SelectedContext {
  name: string;
  settings: ContextSettings;
  /** Where the choice came from, for messages. */
  source: '--context' | 'MICRO_REG_CONTEXT' | 'currentContext';
}

/**
 * Which context applies: `--context`, else MICRO_REG_CONTEXT, else the file's current context; none
 * when nothing names one. Naming a context that does not exist is a usage error (kubectl does the same).
 */
export function selectContext(file: ConfigFile | undefined, flag: string | undefined, env: Env, path: string): SelectedContext | undefined {
  const fromEnv = env.MICRO_REG_CONTEXT !== undefined && env.MICRO_REG_CONTEXT.trim() !== '' ? env.MICRO_REG_CONTEXT.trim() : undefined;
  const [name, source]: [string | undefined, SelectedContext['source']] =
    flag !== undefined ? [flag, '--context'] : fromEnv !== undefined ? [fromEnv, 'MICRO_REG_CONTEXT'] : [file?.currentContext, 'currentContext'];
  if (name === undefined) return undefined;
  const settings = file?.contexts[name];
  if (settings === undefined) {
    const known = Object.keys(file?.contexts ?? {}).sort();
    const where = source === 'currentContext' ? `the current context "${name}" of ${path}` : `context "${name}" (from ${source})`;
    throw new UsageError(
      `${where} does not exist${file === undefined ? ` (${path} does not exist)` : ''}`,
      known.length > 0 ? `known contexts: ${known.join(', ')}` : 'create one with micro-reg config set-context NAME --endpoints HOST:PORT',
    );
  }
  return { name, settings, source };
}

/** True when some context stores a password: such a file must not be readable by others. */
export function holdsPassword(file: ConfigFile): boolean {
  return Object.values(file.contexts).some((c) => c.password !== undefined && c.password !== '');
}

/** Creates the context or changes the given fields of it (kubectl set-context); `unset` fields are removed. */
export function setContext(file: ConfigFile, name: string, changes: ContextSettings, unset: readonly ContextField[] = []): { file: ConfigFile; created: boolean } {
  checkContextName(name);
  const existing = file.contexts[name];
  const next: ContextSettings = { ...(existing ?? {}) };
  for (const field of unset) delete next[field];
  for (const field of contextFields) {
    const value = changes[field];
    if (value !== undefined) (next as Record<string, unknown>)[field] = value;
  }
  return { file: { ...file, contexts: { ...file.contexts, [name]: next } }, created: existing === undefined };
}

export function useContext(file: ConfigFile, name: string): ConfigFile {
  if (file.contexts[name] === undefined) throw unknownContext(file, name);
  return { ...file, currentContext: name };
}

/** Removes a context; deleting the current one also clears currentContext (kubectl warns about it). */
export function deleteContext(file: ConfigFile, name: string): { file: ConfigFile; wasCurrent: boolean } {
  if (file.contexts[name] === undefined) throw unknownContext(file, name);
  const contexts = { ...file.contexts };
  delete contexts[name];
  const wasCurrent = file.currentContext === name;
  const next: ConfigFile = { contexts };
  if (!wasCurrent && file.currentContext !== undefined) next.currentContext = file.currentContext;
  return { file: next, wasCurrent };
}

export function unknownContext(file: ConfigFile, name: string): NotFoundError {
  const known = Object.keys(file.contexts).sort();
  return new NotFoundError(`no context named "${name}"`, known.length > 0 ? `known contexts: ${known.join(', ')}` : 'create one with micro-reg config set-context NAME --endpoints HOST:PORT');
}

/** A context as shown by get-contexts: every field, the password masked. */
export type ContextView = Omit<ContextSettings, 'endpoints'> & { name: string; current: boolean; endpoints: string[] };

export const maskedPassword = '********';

export function contextViews(file: ConfigFile): ContextView[] {
  return Object.keys(file.contexts)
    .sort()
    .map((name) => {
      const ctx = file.contexts[name]!;
      const view: ContextView = { name, current: file.currentContext === name, endpoints: ctx.endpoints ?? [] };
      for (const field of contextFields) {
        if (field === 'endpoints' || ctx[field] === undefined) continue;
        (view as unknown as Record<string, unknown>)[field] = field === 'password' ? maskedPassword : ctx[field];
      }
      return view;
    });
}

/** The variables that set what a context field sets, in the order config.ts reads them. */
const overridingVariables: Partial<Record<ContextField, readonly string[]>> = {
  endpoints: ['MICRO_REGISTRY_ADDRESS', 'ETCDCTL_ENDPOINTS'],
  user: ['ETCDCTL_USER', 'ETCD_USERNAME'],
  password: ['ETCD_PASSWORD', 'ETCDCTL_PASSWORD'],
  cacert: ['ETCDCTL_CACERT'],
  cert: ['ETCDCTL_CERT'],
  key: ['ETCDCTL_KEY'],
  insecureSkipTlsVerify: ['ETCDCTL_INSECURE_SKIP_TLS_VERIFY'],
  timeout: ['MICRO_REG_TIMEOUT'],
  layout: ['MICRO_REG_LAYOUT'],
  domain: ['MICRO_NAMESPACE'],
};

/**
 * The environment as the selected context meets it. Named with `--context`, the context wins over the
 * environment for every setting it defines (its variables are set aside). Chosen otherwise (its file's
 * current context, MICRO_REG_CONTEXT), the environment wins, as it always has, and `warning` says which
 * variable overrode what, so a half-overridden context (endpoints from go-micro's MICRO_REGISTRY_ADDRESS,
 * CA from the context) does not fail in silence. Flags win over both and are not mentioned.
 */
export function environmentForContext(env: Env, selected: SelectedContext | undefined, flags: Readonly<Record<string, unknown>>): { env: Env; warning?: string } {
  if (selected === undefined) return { env };
  const given = (v: string | undefined): boolean => v !== undefined && v.trim() !== '';
  const out: Env = { ...env };
  const overrides: string[] = [];
  for (const field of contextFields) {
    const defined = selected.settings[field];
    if (defined === undefined || (Array.isArray(defined) && defined.length === 0) || defined === '') continue;
    // A flag (named as the field) wins over both: nothing to say.
    if (flags[field] !== undefined) continue;
    const variables = (overridingVariables[field] ?? []).filter((v) => given(env[v]));
    if (variables.length === 0) continue;
    if (selected.source === '--context') {
      for (const v of variables) delete out[v];
    } else {
      overrides.push(`${variables[0]} (${field})`);
    }
  }
  if (overrides.length === 0) return { env: out };
  return {
    env: out,
    warning: `the environment overrides context "${selected.name}": ${overrides.join(', ')}; pass --context ${selected.name} to use the context's settings`,
  };
}
