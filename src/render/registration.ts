// Pure renderers of register and deregister results: data in, strings out.
import { leaseHex } from '../registry/codec.js';
import type { Layout, NodeRecord } from '../registry/model.js';
import { type NodeJson, nodeJson, recordNodeJson } from './node.js';
import type { EncodedRecord, RemovalOutcome, Written } from '../registry/store.js';
import { renderJson } from './json.js';
import { safeJson, safeText, sanitize } from './sanitize.js';
import { type Style, formatDuration, renderTable } from './table.js';

/**
 * `register -o json`: one node (the one node shape, node.ts) per record written, with the lease it is on
 * (none in a dry run) and the TTL granted.
 */
export function registrationJson(records: readonly EncodedRecord[], ttl: number, lease: string | undefined, space: { layout: Layout; domain?: string | undefined }): NodeJson[] {
  return records.map((r) => {
    const node = r.service.nodes[0]!;
    return nodeJson({
      service: r.service.name,
      version: r.service.version,
      id: node.id,
      address: node.address,
      metadata: node.metadata,
      key: r.key,
      layout: space.layout,
      lease,
      ttl,
      domain: space.layout === 'domain' ? space.domain : undefined,
    });
  });
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

/** A node in deregister output: the one node shape, and why it was kept (`changed`: re-registered since it was read; `gone`). */
export interface RemovedNodeJson extends NodeJson {
  reason?: string;
}

function removedJson(record: NodeRecord, reason?: string): RemovedNodeJson {
  const out: RemovedNodeJson = recordNodeJson(record);
  if (reason !== undefined) out.reason = reason;
  return out;
}

/** `deregister -o json`: `{"dryRun","removed":[…],"kept":[…]}`; in a dry run `removed` is what would go. */
export function removalJson(outcomes: readonly RemovalOutcome[], dryRun: boolean): { dryRun: boolean; removed: RemovedNodeJson[]; kept: RemovedNodeJson[] } {
  return {
    dryRun,
    removed: outcomes.filter((o) => o.removed).map((o) => removedJson(o.record)),
    kept: outcomes.filter((o) => !o.removed).map((o) => removedJson(o.record, o.reason)),
  };
}

export function renderRemovalJson(outcomes: readonly RemovalOutcome[], dryRun: boolean, pretty: boolean): string {
  return renderJson(removalJson(outcomes, dryRun), pretty);
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
