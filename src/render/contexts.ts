// Pure renderers for `config get-contexts`: a kubectl-style table (a `*` marks the current context).
// Passwords never reach here unmasked: contextViews (src/settings/contexts.ts) masks them.
import type { ContextView } from '../settings/contexts.js';
import { safeText, sanitize } from './sanitize.js';
import { type Style, renderTable } from './table.js';

export function renderContexts(views: readonly ContextView[], style: Style): string {
  const head = ['CURRENT', 'NAME', 'ENDPOINTS', 'USER', 'LAYOUT', 'PREFIX', 'DOMAIN'];
  if (style.wide) head.push('TLS', 'TIMEOUT');
  // The config file is the user's, but may have been copied from anywhere: shown through the sanitiser too.
  const t = (text: string): string => safeText(text, style);
  const rows = views.map((v) => {
    const row = [v.current ? '*' : '', style.paint.cyan(t(v.name)), t(v.endpoints.join(',')) || '-', t(v.user ?? '-'), t(v.layout ?? '-'), t(v.prefix ?? '-'), t(v.domain ?? '-')];
    if (style.wide) row.push(t(tlsSummary(v)), t(v.timeout ?? '-'));
    return row;
  });
  return renderTable(head, rows, style);
}

function tlsSummary(v: ContextView): string {
  const parts: string[] = [];
  if (v.cacert !== undefined) parts.push(`cacert=${v.cacert}`);
  if (v.cert !== undefined) parts.push(`cert=${v.cert}`);
  if (v.key !== undefined) parts.push(`key=${v.key}`);
  if (v.insecureSkipTlsVerify) parts.push('insecure-skip-tls-verify');
  return parts.join(',') || '-';
}

export function renderContextNames(views: readonly ContextView[]): string {
  return views.map((v) => `${sanitize(v.name)}\n`).join('');
}
