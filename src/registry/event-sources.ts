// Builds the event sources the watch pipeline is handed (src/registry/watch/pipeline.ts knows no etcd
// API): v3 sources from src/registry/v3/watch-source.ts, the v2 one from src/registry/v2/watch-source.ts.
import { UsageError } from '../errors.js';
import { autoV3Spaces, groupByPrefix, keySpace, readPrefix } from './keys.js';
import type { Registry } from './registry.js';
import { EtcdEventSource } from './v3/watch-source.js';
import type { EventSource } from './watch/pipeline.js';

/**
 * The event sources for a registry: one per distinct prefix of the layouts watched. `auto` watches
 * every layout (micro, domain in every domain, legacy, and v2 when the server serves it), since a watch
 * must see services that do not exist yet.
 */
export async function eventSources(registry: Registry, opts: { sinceRevision?: string } = {}): Promise<EventSource[]> {
  const { layout, prefix, domain } = registry.config;
  if (opts.sinceRevision !== undefined && (layout === 'v2' || layout === 'auto')) {
    throw new UsageError(
      `--since-revision replays etcd v3 history: ${layout === 'v2' ? 'the v2 layout has no revisions' : '--layout auto also follows the v2 store, which has none'}`,
      'name a v3 layout: --layout micro, domain or legacy',
    );
  }
  // Loaded when used: the v2 source brings Node's http/https, which other commands' start-up need not pay for.
  const v2Source = layout === 'v2' || layout === 'auto' ? (await import('./v2/watch-source.js')).V2EventSource : undefined;
  if (layout === 'v2') return [new v2Source!(registry.v2, keySpace('v2', prefix), { alongsideV3: false })];
  // Every layout auto covers is watched, not only those holding keys now: nodes may appear in any.
  const spaces = layout === 'auto' ? autoV3Spaces(domain) : [keySpace(layout, prefix, domain)];
  const byPrefix = groupByPrefix(spaces, readPrefix);
  const sources: EventSource[] = [...byPrefix].map(([p, group]) => new EtcdEventSource(registry.client, p, group, opts.sinceRevision));
  if (v2Source) sources.push(new v2Source(registry.v2, keySpace('v2'), { alongsideV3: true }));
  return sources;
}
