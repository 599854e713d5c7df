import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { type CheckedNode, checkJson, checkSummary, renderCheckTable } from '../../src/render/check.js';

const up: CheckedNode = { service: 'greeter', version: '1.0', layout: 'micro', id: 'g-1', address: '10.0.0.1:80', key: '/micro/registry/greeter/g-1', result: { reachable: true, latencyMs: 1.5 } };
const down: CheckedNode = { ...up, id: 'g-2', address: '10.0.0.2:80', key: '/micro/registry/greeter/g-2', domain: 'prod', result: { reachable: false, reason: 'connection refused' }, pruned: 'kept' };

describe('check renderers', () => {
  it('JSON: latency for a reachable node, the error and what --prune did for an unreachable one', () => {
    expect(checkJson(up)).toEqual({ service: 'greeter', version: '1.0', id: 'g-1', address: '10.0.0.1:80', metadata: null, key: up.key, layout: 'micro', reachable: true, latencyMs: 1.5 });
    expect(checkJson(down)).toEqual({ service: 'greeter', version: '1.0', domain: 'prod', id: 'g-2', address: '10.0.0.2:80', metadata: null, key: down.key, layout: 'micro', reachable: false, error: 'connection refused', pruned: 'kept' });
  });

  it('tables: tab-separated when piped, with the key in wide; a summary line', () => {
    const style = { tty: false, paint: new Chalk({ level: 0 }), width: 80, wide: true };
    expect(renderCheckTable([up, down], style)).toBe(
      'SERVICE\tVERSION\tNODE\tADDRESS\tSTATUS\tLATENCY/ERROR\tKEY\n' +
        `greeter\t1.0\tg-1\t10.0.0.1:80\treachable\t1.5ms\t${up.key}\n` +
        `greeter\t1.0\tg-2\t10.0.0.2:80\tunreachable\tconnection refused\t${down.key}\n`,
    );
    expect(checkSummary([up, down])).toBe('2 nodes: 1 reachable, 1 unreachable');
  });
});
