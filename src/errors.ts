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
