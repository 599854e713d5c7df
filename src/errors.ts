// Every failure micro-reg reports is a CliError carrying its exit code; src/cli.ts is the one place
// that turns them into an exit status and an `error:` line.

export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  notFound: 3,
  unavailable: 4,
  auth: 5,
  malformed: 6,
  waitTimeout: 7,
  unreachableNodes: 8,
  differences: 9,
  output: 10,
  conflict: 11,
  cancelled: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Stable names for `-o json` errors, one per exit code. */
const codeNames: Record<number, string> = {
  1: 'internal',
  2: 'usage',
  3: 'not_found',
  4: 'unavailable',
  5: 'permission_denied',
  6: 'malformed_record',
  7: 'timeout',
  8: 'unreachable_nodes',
  9: 'differences',
  10: 'output_failed',
  11: 'conflict',
  130: 'cancelled',
};

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    readonly hint?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  get codeName(): string {
    return codeNames[this.exitCode] ?? 'internal';
  }
}

export class UsageError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.usage, hint);
  }
}

export class NotFoundError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.notFound, hint);
  }
}

/** A named service that has no records (not a revision or version that is missing). */
export class ServiceNotFoundError extends NotFoundError {
  constructor(
    readonly service: string,
    hint?: string,
  ) {
    super(`service ${service} not found`, hint);
  }
}

export class UnavailableError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.unavailable, hint);
  }
}

export class AuthError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.auth, hint);
  }
}

export class MalformedRecordError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.malformed, hint);
  }
}

export class WaitTimeoutError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.waitTimeout, hint);
  }
}

export class UnreachableNodesError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.unreachableNodes, hint);
  }
}

export class CancelledError extends CliError {
  constructor(message = 'cancelled') {
    super(message, ExitCode.cancelled);
  }
}

/** etcd is out of space (its quota alarm): an answer, not an outage; exit 4 all the same, with a hint. */
export class QuotaExceededError extends UnavailableError {}

/** Standard output could not be written (ENOSPC, EIO; a reader going away, EPIPE, is not an error). */
export class OutputError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.output, hint);
  }
}

/** What was to be written is held by another writer (a node id on another live lease). */
export class ConflictError extends CliError {
  constructor(message: string, hint?: string) {
    super(message, ExitCode.conflict, hint);
  }
}

/**
 * A file that could not be read, in words: `no such file: nosuch.json`, not `ENOENT`. `what` names the
 * option it came from (`--cacert`) when that helps.
 */
export function fileError(path: string, err: unknown, what?: string): UsageError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const from = what === undefined ? '' : ` (${what})`;
  if (code === 'ENOENT') return new UsageError(`no such file: ${path}${from}`, 'check the path; it is relative to the current directory');
  if (code === 'EACCES' || code === 'EPERM') return new UsageError(`permission denied reading ${path}${from}`);
  if (code === 'EISDIR') return new UsageError(`${path}${from} is a directory, not a file`);
  return new UsageError(`cannot read ${path}${from}: ${err instanceof Error ? err.message : String(err)}`);
}

/** Where a request went and how long it could take, for the words of connection failures. */
export interface ConnectionTarget {
  /** The endpoints as given, comma-separated. */
  where: string;
  timeoutMs: number;
  tls: boolean;
}

const formatTimeoutMs = (ms: number): string =>
  ms % 1000 === 0 ? `${ms / 1000 >= 60 && (ms / 1000) % 60 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`}` : ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;

/**
 * What a failed connection means, in the user's words, from the transport's message (gRPC's or Node's):
 * a name that does not resolve, a refused port, a silent server, a server that is not etcd. Undefined
 * when the message is none of these. gRPC's own wording (timing breakdowns, status codes) stays out of
 * the line; it is the error's cause, shown with --debug.
 */
export function connectionFailure(message: string, target: ConnectionTarget): UnavailableError | undefined {
  const { where } = target;
  const endpointsHint = 'check --endpoints (or MICRO_REGISTRY_ADDRESS)';
  const http = /Received HTTP status code (\d+)/.exec(message);
  if (http) {
    return new UnavailableError(`${where} answered, but not as etcd (HTTP ${http[1]} to an etcd request)`, `${endpointsHint}: etcd's client port is usually 2379`);
  }
  if (/Protocol error|HPE_|parse error|Parse Error/i.test(message)) {
    return new UnavailableError(
      `${where} answered, but not as etcd (not HTTP/2 gRPC: another kind of server, or etcd serving TLS)`,
      `${endpointsHint}; if etcd serves TLS there, use https:// endpoints (and --cacert)`,
    );
  }
  const dns = /Name resolution failed for target dns:(\S+?)(?::\d+)?(?:\s|$)|(?:ENOTFOUND|EAI_AGAIN|EAI_NONAME) (?!getaddrinfo)(\S+)/.exec(message);
  if (dns) {
    const host = (dns[1] ?? dns[2] ?? where).replace(/^\[|\]$/g, '');
    return new UnavailableError(`cannot resolve host ${host}`, `check the host name in --endpoints (or MICRO_REGISTRY_ADDRESS)`);
  }
  if (/ECONNREFUSED/.test(message)) {
    return new UnavailableError(`cannot reach etcd at ${where}: connection refused`, `is etcd running there? ${endpointsHint}`);
  }
  if (/Deadline exceeded|did not answer within|ETIMEDOUT|Waiting for LB pick/i.test(message)) {
    return new UnavailableError(`etcd at ${where} did not answer within ${formatTimeoutMs(target.timeoutMs)}`, 'check that etcd is running and reachable there, or raise --timeout');
  }
  if (/EHOSTUNREACH|ENETUNREACH/.test(message)) {
    return new UnavailableError(`cannot reach etcd at ${where}: no route to the host`, endpointsHint);
  }
  return undefined;
}

/**
 * A read at --revision that etcd refuses: compacted (exit 3; the caller adds the oldest readable
 * revision) or not reached yet (exit 3 as well: there is no such revision).
 */
export class RevisionUnavailableError extends NotFoundError {
  constructor(
    readonly revision: string,
    readonly reason: 'compacted' | 'future',
  ) {
    super(reason === 'compacted' ? `revision ${revision} has been compacted: etcd no longer keeps the registry as it was then` : `revision ${revision} is in the future: etcd has not reached it yet`);
  }
}

/**
 * `diff` found differences (exit 9). Not a failure to report: the diff itself is the output, so no
 * `error:` line is printed (`quiet`).
 */
export class DifferencesFoundError extends CliError {
  readonly quiet = true;
  constructor(message: string) {
    super(message, ExitCode.differences);
  }
}
