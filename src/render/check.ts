// Pure renderers for `check`: one row (or one JSON object) per node, reachable with its latency or
// unreachable with the reason, and what --prune did with it.
import type { ProbeResult } from '../probe.js';
import type { Layout } from '../registry/model.js';
import { type NodeJson, nodeJson } from './node.js';
import { safeText } from './sanitize.js';
import { type Style, renderTable } from './table.js';

export type PruneOutcome = 'removed' | 'kept' | 'gone';

export interface CheckedNode {
  service: string;
  version: string;
  domain?: string;
  layout: Layout;
  id: string;
  address: string;
  key: string;
  metadata?: Record<string, string> | null;
  /** Decimal, as etcd gives it. */
  lease?: string;
  result: ProbeResult;
  pruned?: PruneOutcome;
}

/** `check -o json`: the one node shape (node.ts), and what the check found. */
export interface CheckJson extends NodeJson {
  reachable: boolean;
  latencyMs?: number;
  error?: string;
  pruned?: PruneOutcome;
}

export function checkJson(n: CheckedNode): CheckJson {
  const out: CheckJson = { ...nodeJson(n), reachable: n.result.reachable };
  if (n.result.reachable) out.latencyMs = n.result.latencyMs;
  else out.error = n.result.reason;
  if (n.pruned !== undefined) out.pruned = n.pruned;
  return out;
}

export function renderCheckTable(nodes: readonly CheckedNode[], style: Style): string {
  const head = ['SERVICE', 'VERSION', 'NODE', 'ADDRESS', 'STATUS', 'LATENCY/ERROR'];
  if (style.wide) head.push('KEY');
  const t = (text: string): string => safeText(text, style);
  const rows = nodes.map((n) => {
    const row = [
      style.paint.cyan(t(n.service)),
      t(n.version) || '-',
      t(n.id),
      t(n.address) || '-',
      n.result.reachable ? style.paint.green('reachable') : style.paint.red('unreachable'),
      n.result.reachable ? `${n.result.latencyMs}ms` : t(n.result.reason),
    ];
    if (style.wide) row.push(t(n.key));
    return row;
  });
  return renderTable(head, rows, style);
}

/** "5 nodes: 4 reachable, 1 unreachable" */
export function checkSummary(nodes: readonly CheckedNode[]): string {
  const down = nodes.filter((n) => !n.result.reachable).length;
  return `${nodes.length} node${nodes.length === 1 ? '' : 's'}: ${nodes.length - down} reachable, ${down} unreachable`;
}
