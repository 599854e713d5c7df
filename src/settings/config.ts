// Turns global flags, the environment and the selected context into connection options. Precedence:
// flags, then the environment, then the context (src/settings/contexts.ts), then defaults. Pure: callers pass
// the flags, the environment and the context in (the config file is read by the caller).
import { UsageError } from '../errors.js';
import { normalisePrefix } from '../registry/keys.js';
import type { LayoutOption } from '../registry/model.js';

export interface ConnectionConfig {
  /** host:port pairs, without scheme. */
  endpoints: string[];
  tls: boolean;
  username?: string;
  password?: string;
  cacert?: string;
  cert?: string;
  key?: string;
  insecureSkipVerify: boolean;
  /** Deadline of every request, in milliseconds. */
  timeoutMs: number;
}

export interface RegistryConfig {
  connection: ConnectionConfig;
  layout: LayoutOption;
  prefix?: string;
  domain?: string;
  strict: boolean;
}

/** The global options as commander parses them. */
export interface GlobalFlags {
  endpoints?: string;
  user?: string;
  password?: string;
  /** --password-stdin: the caller reads standard input and passes the password in `Secrets`. */
  passwordStdin?: boolean;
  cacert?: string;
  cert?: string;
  key?: string;
  insecureSkipTlsVerify?: boolean;
  timeout?: string;
  layout?: string;
  prefix?: string;
  domain?: string;
  strict?: boolean;
}

export type Env = Record<string, string | undefined>;

/** One named context of the config file: what it sets when neither a flag nor the environment does. */
export type ContextSettings = Omit<GlobalFlags, 'endpoints' | 'strict' | 'passwordStdin'> & { endpoints?: string[] };

/** Secrets read from outside the flags and the environment (config stays pure: the caller reads them). */
export interface Secrets {
  /** What --password-stdin read, one trailing newline trimmed. */
  stdinPassword?: string;
  /** What the person typed at the password prompt (a user was named, no password given, a terminal attached). */
  promptedPassword?: string;
}

/** A user was named but no password given anywhere: on a terminal micro-reg asks for it (as etcdctl does). */
export class MissingPasswordError extends UsageError {
  constructor(readonly username: string) {
    super(`no password for user "${username}"`, 'pass it on standard input with --password-stdin (printf %s "$PW" | micro-reg --user NAME --password-stdin …), or set ETCD_PASSWORD; on a terminal micro-reg asks for it');
  }
}

/** Requests longer than this are refused: Node's timers cannot wait longer than ~24.8 days, and no etcd request should. */
export const maxTimeoutMs = 24 * 3_600_000;

export const defaultEndpoint = '127.0.0.1:2379';
export const defaultTimeout = '5s';
const layoutOptions: readonly LayoutOption[] = ['micro', 'domain', 'legacy', 'v2', 'auto'];

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go-style durations ("500ms", "5s", "1m30s"); a bare number is seconds. */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * units[m[2]!]!;
    matched = re.lastIndex;
  }
  if (t === '' || matched !== t.length) {
    throw new UsageError(`invalid ${flag} "${text}": expected a duration such as 500ms, 5s or 1m30s`);
  }
  return Math.round(total);
}

/** A whole number within [min, max] (--count, --nodes, --concurrency, --ttl); `expected` words the refusal. */
export function parseWholeNumber(text: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER, expected?: string): number {
  const n = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
    throw new UsageError(`invalid ${flag} "${text}": expected ${expected ?? `a whole number, ${range}`}`);
  }
  return n;
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}

/** The endpoint as it may be shown: user and password in it replaced by "***". */
function redactEndpoint(raw: string): string {
  return raw.replace(/^((?:[a-zA-Z][a-zA-Z0-9+.-]*:\/\/)?)[^/]*@/, '$1***@');
}

function parseEndpoint(raw: string): { address: string; tls: boolean | undefined } {
  if (raw.includes('@')) {
    // Never echo it: what precedes "@" is usually user:password.
    throw new UsageError(`invalid endpoint "${redactEndpoint(raw)}": a user or password does not go in the address`, 'use --user user (with --password-stdin, --password or ETCD_PASSWORD)');
  }
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/(.*)$/.exec(raw);
  let tls: boolean | undefined;
  let rest = raw;
  if (m) {
    const scheme = m[1]!.toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') {
      throw new UsageError(`invalid endpoint "${raw}": the scheme must be http:// or https://`);
    }
    tls = scheme === 'https';
    rest = m[2]!.replace(/\/+$/, '');
  }
  // A leading "-" is no host name; it is an option that took the place of the value (`--endpoints -o json`).
  if (rest === '' || rest.includes('/') || /\s/.test(rest) || rest.startsWith('-')) throw new UsageError(`invalid endpoint "${raw}": expected host:port`);
  // go-micro adds etcd's client port to a bare host.
  const bracketed = /^\[[^\]]+\](:\d+)?$/.exec(rest);
  const hasPort = bracketed ? bracketed[1] !== undefined : /^[^:]+:\d+$/.test(rest);
  const isBareHost = bracketed ? true : !rest.includes(':');
  if (!hasPort && !isBareHost) throw new UsageError(`invalid endpoint "${raw}": expected host:port`);
  const address = hasPort ? rest : `${rest}:2379`;
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  if (!(port >= 1 && port <= 65535)) throw new UsageError(`invalid endpoint "${raw}": the port must be 1-65535`);
  return { address, tls };
}

function envBoolean(v: string | undefined): boolean | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  return ['1', 'true'].includes(v.trim().toLowerCase());
}

/** --password and --password-stdin are two ways to say one thing: refused together, before stdin is read. */
export function checkPasswordFlags(flags: GlobalFlags, env: Env): void {
  if (!flags.passwordStdin) return;
  if (flags.password !== undefined) throw new UsageError('--password and --password-stdin cannot be used together', 'pass the password one way');
  if ((nonEmpty(flags.user) ?? nonEmpty(env.ETCDCTL_USER) ?? nonEmpty(env.ETCD_USERNAME)) === undefined) throw new UsageError('--password-stdin needs --user');
}

export function resolveConnection(flags: GlobalFlags, env: Env, context: ContextSettings = {}, secrets: Secrets = {}): ConnectionConfig {
  checkPasswordFlags(flags, env);
  // An empty --endpoints is a mistake (an unset variable in a script), not a request for the default.
  if (flags.endpoints !== undefined && flags.endpoints.trim() === '') {
    throw new UsageError('--endpoints is empty', 'pass --endpoints host:port, or leave the flag out for the environment or the default');
  }
  const contextEndpoints = context.endpoints && context.endpoints.length > 0 ? context.endpoints.join(',') : undefined;
  const endpointList =
    nonEmpty(flags.endpoints) ?? nonEmpty(env.MICRO_REGISTRY_ADDRESS) ?? nonEmpty(env.ETCDCTL_ENDPOINTS) ?? contextEndpoints ?? defaultEndpoint;
  const parsed = endpointList
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '')
    .map(parseEndpoint);
  if (parsed.length === 0) throw new UsageError('no etcd endpoint given', 'pass --endpoints host:port');

  let username: string | undefined;
  let password: string | undefined;
  const userSpec = nonEmpty(flags.user) ?? nonEmpty(env.ETCDCTL_USER);
  if (userSpec !== undefined) {
    const i = userSpec.indexOf(':');
    username = i < 0 ? userSpec : userSpec.slice(0, i);
    if (i >= 0) password = userSpec.slice(i + 1);
  } else {
    username = nonEmpty(env.ETCD_USERNAME) ?? nonEmpty(context.user);
  }
  // The context's password belongs to the context's user: never send it for a user named elsewhere.
  const contextPassword = username !== undefined && username === context.user ? context.password : undefined;
  const flagPassword = flags.passwordStdin ? secrets.stdinPassword : flags.password;
  if (flags.passwordStdin && flagPassword === undefined) throw new UsageError('--password-stdin: no password was read from standard input');
  password = flagPassword ?? password ?? env.ETCD_PASSWORD ?? env.ETCDCTL_PASSWORD ?? contextPassword ?? secrets.promptedPassword;
  if (username === '') throw new UsageError('invalid --user: the user name is empty');
  if (username === undefined && flagPassword !== undefined) throw new UsageError(`${flags.passwordStdin ? '--password-stdin' : '--password'} needs --user`);
  if (username !== undefined && password === undefined) throw new MissingPasswordError(username);

  const cacert = nonEmpty(flags.cacert) ?? nonEmpty(env.ETCDCTL_CACERT) ?? nonEmpty(context.cacert);
  const cert = nonEmpty(flags.cert) ?? nonEmpty(env.ETCDCTL_CERT) ?? nonEmpty(context.cert);
  const key = nonEmpty(flags.key) ?? nonEmpty(env.ETCDCTL_KEY) ?? nonEmpty(context.key);
  const insecureSkipVerify =
    flags.insecureSkipTlsVerify ?? envBoolean(env.ETCDCTL_INSECURE_SKIP_TLS_VERIFY) ?? context.insecureSkipTlsVerify ?? false;
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--cert and --key go together: pass both or neither');

  const schemes = new Set(parsed.map((p) => p.tls).filter((t) => t !== undefined));
  if (schemes.size > 1) throw new UsageError('the endpoints mix http:// and https://: use one scheme for all');
  const tls = schemes.has(true) || cacert !== undefined || cert !== undefined || insecureSkipVerify;
  if (tls && schemes.has(false)) throw new UsageError('TLS options were given but the endpoints are http://', 'use https:// endpoints or drop the TLS options');

  // Name where a bad value came from: the flag, or the variable when no flag was given.
  const timeoutSource = flags.timeout !== undefined ? '--timeout' : nonEmpty(env.MICRO_REG_TIMEOUT) !== undefined ? 'MICRO_REG_TIMEOUT' : nonEmpty(context.timeout) !== undefined ? 'context timeout' : '--timeout';
  const timeoutText = flags.timeout ?? nonEmpty(env.MICRO_REG_TIMEOUT) ?? nonEmpty(context.timeout) ?? defaultTimeout;
  const config: ConnectionConfig = {
    endpoints: parsed.map((p) => p.address),
    tls,
    insecureSkipVerify,
    timeoutMs: parseDuration(timeoutText, timeoutSource),
  };
  if (config.timeoutMs <= 0) throw new UsageError(`invalid ${timeoutSource}: it must be more than 0`);
  if (config.timeoutMs > maxTimeoutMs) throw new UsageError(`invalid ${timeoutSource} "${timeoutText}": at most 24h`);
  if (username !== undefined) config.username = username;
  if (password !== undefined) config.password = password;
  if (cacert !== undefined) config.cacert = cacert;
  if (cert !== undefined) config.cert = cert;
  if (key !== undefined) config.key = key;
  return config;
}

export function resolveRegistryConfig(flags: GlobalFlags, env: Env, context: ContextSettings = {}, secrets: Secrets = {}): RegistryConfig {
  const layout = (flags.layout ?? nonEmpty(env.MICRO_REG_LAYOUT) ?? nonEmpty(context.layout) ?? 'micro') as LayoutOption;
  if (!layoutOptions.includes(layout)) {
    const source = flags.layout !== undefined ? '--layout' : nonEmpty(env.MICRO_REG_LAYOUT) !== undefined ? 'MICRO_REG_LAYOUT' : 'context layout';
    throw new UsageError(`invalid ${source} "${layout}": expected one of ${layoutOptions.join(', ')}`);
  }
  if (layout === 'auto' && flags.prefix !== undefined) {
    throw new UsageError('--prefix needs an explicit --layout', 'auto detection looks at the standard prefixes only');
  }
  const config: RegistryConfig = {
    connection: resolveConnection(flags, env, context, secrets),
    layout,
    strict: flags.strict ?? false,
  };
  // A context's prefix was meant for a concrete layout; `--layout auto` looks at the standard prefixes.
  const prefix = flags.prefix ?? (layout === 'auto' ? undefined : nonEmpty(context.prefix));
  // Checked here, for flags and contexts alike (set-context too), before any key is read or written.
  for (const p of [flags.prefix, nonEmpty(context.prefix)]) if (p !== undefined) normalisePrefix(p);
  if (prefix !== undefined) config.prefix = prefix;
  const domain = flags.domain ?? nonEmpty(env.MICRO_NAMESPACE) ?? nonEmpty(context.domain);
  if (domain !== undefined) config.domain = domain;
  return config;
}
