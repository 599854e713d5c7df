// Pure renderers of register and deregister results: data in, strings out.
import { leaseHex } from '../registry/codec.js';
import type { NodeRecord } from '../registry/model.js';
import type { EncodedRecord, RemovalOutcome, Written } from '../registry/store.js';
import { renderJson } from './json.js';
import { safeJson, safeText, sanitize } from './sanitize.js';
import { type Style, formatDuration, renderTable } from './table.js';

/** `register -o json`: one `{"key","lease","ttl","service"}` per record; the service as stored (Go's field order). */
export interface RegistrationJson {
  key: string;
  /** Lease id in hex, as etcdctl prints it; null without a lease (and in a dry run). */
  lease: string | null;
  ttl: number;
  service: unknown;
}

export function registrationJson(records: readonly EncodedRecord[], ttl: number, lease: string | undefined): RegistrationJson[] {
  return records.map((r) => ({ key: r.key, lease: lease === undefined ? null : leaseHex(lease), ttl, service: JSON.parse(r.value) as unknown }));
}

/** One JSON document per record: an object a line when piped (JSON lines), pretty on a terminal. */
export function renderRegistrationJson(records: readonly EncodedRecord[], ttl: number, lease: string | undefined, pretty: boolean): string {
  return registrationJson(records, ttl, lease)
    .map((o) => renderJson(o, pretty))
    .join('');
}

export function renderRegistered(written: Written, style: Style): string {
  const head = ['SERVICE', 'VERSION', 'NODE', 'ADDRESS', 'TTL', 'LEASE'];
  if (style.wide) head.push('KEY');
  const t = (text: string): string => safeText(text, style);
  const rows = written.records.map((r) => {
    const s = r.service;
    const node = s.nodes[0]!;
    const row = [style.paint.cyan(t(s.name)), t(s.version), t(node.id), t(node.address), written.ttl > 0 ? formatDuration(written.ttl) : style.paint.yellow('never expires'), written.lease === undefined ? '-' : leaseHex(written.lease)];
    if (style.wide) row.push(t(r.key));
    return row;
  });
  return renderTable(head, rows, style);
}

/** `register --dry-run`: the key, then the exact value, per record. */
export function renderDryRun(records: readonly EncodedRecord[]): string {
  return records.map((r) => `${sanitize(r.key)}\n${safeJson(r.value)}\n`).join('');
}

/** A node in deregister output. */
export interface RemovedNodeJson {
  name: string;
  version: string;
  id: string;
  address: string;
  key: string;
  layout: string;
  domain?: string;
  lease?: string;
  /** Why it was kept: `changed` (re-registered since it was read) or `gone`. */
  reason?: string;
}

function nodeJson(record: NodeRecord, reason?: string): RemovedNodeJson {
  const node = record.service.nodes[0]!;
  const out: RemovedNodeJson = { name: record.service.name, version: record.service.version, id: node.id, address: node.address, key: record.key, layout: record.layout };
  if (record.domain !== undefined) out.domain = record.domain;
  if (record.lease !== undefined) out.lease = leaseHex(record.lease);
  if (reason !== undefined) out.reason = reason;
  return out;
}

/** `deregister -o json`: `{"dryRun","removed":[…],"kept":[…]}`; in a dry run `removed` is what would go. */
export function renderRemovalJson(outcomes: readonly RemovalOutcome[], dryRun: boolean, pretty: boolean): string {
  return renderJson(
    {
      dryRun,
      removed: outcomes.filter((o) => o.removed).map((o) => nodeJson(o.record)),
      kept: outcomes.filter((o) => !o.removed).map((o) => nodeJson(o.record, o.reason)),
    },
    pretty,
  );
}

/** The nodes a deregister shows (to choose, to confirm, in a dry run, as removed). */
export function renderNodeRecords(records: readonly NodeRecord[], style: Style): string {
  const head = ['SERVICE', 'VERSION', 'NODE', 'ADDRESS'];
  if (records.some((r) => r.domain !== undefined)) head.push('DOMAIN');
  head.push('KEY');
  const withDomain = head.includes('DOMAIN');
  const t = (text: string): string => safeText(text, style);
  const rows = records.map((r) => {
    const n = r.service.nodes[0]!;
    const row = [style.paint.cyan(t(r.service.name)), t(r.service.version), t(n.id), t(n.address)];
    if (withDomain) row.push(t(r.domain ?? '-'));
    row.push(t(r.key));
    return row;
  });
  return renderTable(head, rows, style);
}

/** One line for a checkbox choice (plain text: the prompt sanitises it, see src/prompts.ts). */
export function nodeChoiceLabel(record: NodeRecord): string {
  const n = record.service.nodes[0]!;
  return `${n.id}  ${n.address}  version ${record.service.version || '-'}${record.domain !== undefined ? `  domain ${record.domain}` : ''}  ${record.key}`;
}
