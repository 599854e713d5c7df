// etcd3's errors as micro-reg's: the one mapping to exit codes (refused credentials 5, no answer 4, the
// ordinary refusals of a working etcd each with their own line), used by src/registry/v3/client.ts.
import type { ConnectionConfig } from '../../settings/config.js';
import { AuthError, CliError, QuotaExceededError, RevisionUnavailableError, UnavailableError, UsageError, connectionFailure } from '../../errors.js';
import { etcd3 } from './etcd3-loader.js';

/** Which etcd endpoints we talk to, for messages. */
export function describeEndpoints(config: ConnectionConfig): string {
  return config.endpoints.join(',');
}

/**
 * The one mapping from etcd3's errors to micro-reg's exit codes: refused credentials and permissions are
 * 5, anything that means "etcd did not answer" is 4. Errors that are already CliErrors pass through.
 */
export function mapEtcdError(err: unknown, config: ConnectionConfig): unknown {
  if (err instanceof CliError) return err;
  const where = describeEndpoints(config);
  const message = err instanceof Error ? err.message : String(err);
  const condition = mapEtcdCondition(message, where);
  if (condition) return condition;
  if (err instanceof etcd3.EtcdAuthenticationFailedError || err instanceof etcd3.EtcdUserNotFoundError) {
    return new AuthError(`etcd at ${where} refused the user name or password`, 'check --user / --password (or ETCD_USERNAME / ETCD_PASSWORD)');
  }
  if (err instanceof etcd3.EtcdPermissionDeniedError || err instanceof etcd3.EtcdRoleNotGrantedError) {
    return new AuthError(`etcd at ${where} denied permission for this operation`, 'the user needs a role that grants access to the registry prefix');
  }
  if (err instanceof etcd3.GRPCUnauthenticatedError || err instanceof etcd3.EtcdInvalidAuthTokenError || /user name is empty|authentication is not enabled|invalid auth token/i.test(message)) {
    const hint = /authentication is not enabled/i.test(message) ? 'this etcd has authentication disabled: drop --user' : 'pass --user user:password';
    return new AuthError(`etcd at ${where} refused the request: ${message.replace(/^\d+ [A-Z_]+: /, '')}`, hint);
  }
  if (
    err instanceof etcd3.GRPCUnavailableError ||
    err instanceof etcd3.GRPCDeadlineExceededError ||
    err instanceof etcd3.GRPCCancelledError ||
    err instanceof etcd3.ClientClosedError ||
    /ECONNREFUSED|No connection established|failed to connect|Deadline exceeded|handshake|certificate|Connection dropped/i.test(message)
  ) {
    const tlsHint = config.tls
      ? 'check that etcd serves TLS there and that --cacert / --cert / --key are right'
      : 'check --endpoints (or MICRO_REGISTRY_ADDRESS) and that etcd is running; for TLS use https://';
    const worded = connectionFailure(message, { where, timeoutMs: config.timeoutMs, tls: config.tls });
    return withCause(worded ?? new UnavailableError(`cannot reach etcd at ${where}: ${firstLine(message)}`, tlsHint), err);
  }
  // A server that answers HTTP/2 but is not etcd (UNIMPLEMENTED "Received HTTP status code 404"): etcd is not there.
  const notEtcd = /Received HTTP status code/.test(message) ? connectionFailure(message, { where, timeoutMs: config.timeoutMs, tls: config.tls }) : undefined;
  if (notEtcd) return withCause(notEtcd, err);
  return err;
}

export function revisionError(e: unknown, revision: string | undefined): unknown {
  if (revision === undefined) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (/required revision has been compacted/i.test(message)) return new RevisionUnavailableError(revision, 'compacted');
  if (/required revision is a future revision/i.test(message)) return new RevisionUnavailableError(revision, 'future');
  return e;
}

/**
 * Ordinary states of a working etcd that refuse a request: each gets its exit code and one line, never
 * "a bug in micro-reg". (Compaction between pages and the per-transaction operation limit are handled
 * where they occur, in rangePrefix and the batched transactions; these are what is left when they escape.)
 */
function mapEtcdCondition(message: string, where: string): CliError | undefined {
  if (/database space exceeded|NOSPACE/i.test(message)) {
    return new QuotaExceededError(
      `etcd at ${where} is out of space (mvcc: database space exceeded) and refuses writes`,
      'an operator must free space: etcdctl compact <revision>, etcdctl defrag, then etcdctl alarm disarm (see etcd\'s "space quota" docs)',
    );
  }
  if (/required revision has been compacted/i.test(message)) {
    return new UnavailableError(`etcd at ${where} compacted the revision being read (required revision has been compacted)`, 'etcd is compacting faster than micro-reg reads; run the command again');
  }
  if (/too many operations in txn request/i.test(message)) {
    return new UsageError(`etcd at ${where} refused a transaction: too many operations in txn request`, 'etcd\'s --max-txn-ops is lower than 1; ask the operator to raise it');
  }
  return undefined;
}

/** The transport's own error stays attached (shown with --debug). */
function withCause(mapped: CliError, cause: unknown): CliError {
  return Object.assign(mapped, { cause });
}

/** grpc-js wraps the cause ("No connection established. Last error: Error: connect ECONNREFUSED …"); keep the cause. */
function firstLine(message: string): string {
  const line = message.split('\n')[0]!.replace(/^\d+ [A-Z_]+: /, '').replace(/ Please report this error.*$/, '');
  const cause = /Last error: (?:Error: )?(.*?)\.?\s*(?:Resolution note:.*)?$/.exec(line);
  return cause?.[1] || line;
}

/** etcd's answers while a cluster has no leader (elections, lost quorum): worth asking again before the deadline. */
export function isTransientClusterError(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /leader changed|no leader|not capable|too many requests|request timed out/i.test(message);
}
