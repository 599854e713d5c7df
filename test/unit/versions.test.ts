import { describe, expect, it } from 'vitest';
import { decodeRecord, groupServices } from '../../src/registry/codec.js';
import { keySpace } from '../../src/registry/keys.js';
import type { NodeRecord } from '../../src/registry/model.js';
import { renderServicesJson } from '../../src/render/json.js';
import { compareVersions } from '../../src/registry/versions.js';
import { fixture } from '../helpers/fixtures.js';

describe('version order', () => {
  it('semantic versions by precedence (with or without v), then the others by text', () => {
    const versions = ['latest', '1.10.0', 'v2.0.0', '1.9.0', '1.2.0', '', '2024.11.05-build.1734', '2.0.0-rc.1', '1.2.0+build.5', 'v1.2.0', 'dev'];
    expect([...versions].sort(compareVersions)).toEqual(['1.2.0', '1.2.0+build.5', 'v1.2.0', '1.9.0', '1.10.0', '2.0.0-rc.1', 'v2.0.0', '', '2024.11.05-build.1734', 'dev', 'latest']);
  });

  it('is a total order: antisymmetric and consistent', () => {
    const vs = ['1.0.0', 'v1.0.0', '1.0.0+a', 'x', '', '0.0.1-alpha'];
    for (const a of vs) for (const b of vs) expect(Math.sign(compareVersions(a, b)) + Math.sign(compareVersions(b, a)), `${a} ${b}`).toBe(0);
    expect(compareVersions('v1.0.0', '1.0.0')).not.toBe(0);
  });

  it('groups services (and so list, get and JSON) in version order', () => {
    const f = fixture('micro-v6-greeter');
    const records: NodeRecord[] = ['1.10.0', 'latest', 'v2.0.0', '1.9.0', '1.2.0'].map((version, i) => {
      const value = JSON.parse(f.bytes) as { version: string; nodes: { id: string }[] };
      value.version = version;
      value.nodes[0]!.id += `-${i}`;
      const r = decodeRecord(keySpace('micro'), { key: `${f.key}-${i}`, value: Buffer.from(JSON.stringify(value)), lease: '0' });
      if (r.kind !== 'record') throw new Error('fixture did not decode');
      return r.record;
    });
    const json = JSON.parse(renderServicesJson(groupServices(records), false)) as { version: string }[];
    expect(json.map((s) => s.version)).toEqual(['1.2.0', '1.9.0', '1.10.0', 'v2.0.0', 'latest']);
  });
});
