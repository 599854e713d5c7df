// Following `watch -o json` run as the built binary: its events as parsed JSON lines.
import { type CliProcess, spawnCli } from './process.js';

export interface JsonEvent {
  action: string;
  service: { name: string; version: string; nodes: { id: string; address: string; metadata: Record<string, string> | null; layout?: string; ttl?: number }[]; domain?: string };
  key: string;
  revision: number;
  time: string;
  reason?: string;
  resync?: boolean;
}

export const events = (p: CliProcess): JsonEvent[] => p.lines().map((l) => JSON.parse(l) as JsonEvent);

/** "action node-id [reason] [resync]" per event: compact to compare. */
export const summary = (list: JsonEvent[]): string[] => list.map((e) => `${e.action} ${e.service.nodes[0]!.id}${e.reason ? ` ${e.reason}` : ''}${e.resync ? ' resync' : ''}`);

export async function waitForEvents(p: CliProcess, n: number, timeoutMs = 10_000): Promise<JsonEvent[]> {
  await p.waitForLines(n, timeoutMs);
  return events(p);
}

/** Starts `watch -o json` and waits for its start line, so that later writes are seen as changes. */
export async function watchJson(args: string[]): Promise<CliProcess> {
  const p = spawnCli(['watch', '-o', 'json', ...args]);
  await p.waitForStderr(/^watching .* at revision \d+/m);
  return p;
}
