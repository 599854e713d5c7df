import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { decodeRecord, groupServices } from '../../src/registry/codec.js';
import { keySpace } from '../../src/registry/keys.js';
import type { NodeRecord, ServiceView } from '../../src/registry/model.js';
import { renderServicesJson } from '../../src/render/json.js';
import { type Style, formatValue, renderNames, renderServiceDetail, renderServiceList } from '../../src/render/table.js';
import { loadFixtures } from '../helpers/fixtures.js';

const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

function services(): ServiceView[] {
  const records: NodeRecord[] = [];
  for (const f of loadFixtures()) {
    const space = f.family === 'domain' ? keySpace('domain', undefined, '*') : keySpace(f.family);
    const r = decodeRecord(space, { key: f.key, value: f.bytes, lease: f.family === 'micro' ? '694' : '0' });
    if (r.kind === 'record') records.push(r.record);
  }
  return groupServices(records, new Map([['694', 37]]));
}

const terminal = (width = 200, wide = false): Style => ({ tty: true, paint: new Chalk({ level: 1 }), width, wide });
const piped = (wide = false): Style => ({ tty: false, paint: new Chalk({ level: 0 }), width: 80, wide });

describe('list renderer', () => {
  it('on a terminal: aligned columns, colour, a layout column when layouts mix', () => {
    const out = renderServiceList(services(), terminal());
    expect(out).toContain('\x1b[');
    const lines = stripAnsi(out).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+VERSION\s+DOMAIN\s+NODES\s+ENDPOINTS\s+LAYOUT$/);
    expect(lines).toHaveLength(5);
    expect(lines.find((l) => l.includes('legacy'))).toMatch(/go\.micro\.srv\.greeter\s+latest\s+-\s+1\s+2\s+legacy/);
  });

  it('piped: the same columns, tab-separated, no colour', () => {
    const out = renderServiceList(services(), piped());
    expect(out).not.toContain('\x1b[');
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('NAME\tVERSION\tDOMAIN\tNODES\tENDPOINTS\tLAYOUT');
    expect(lines.every((l) => l.split('\t').length === 6)).toBe(true);
  });

  it('wide adds addresses and metadata', () => {
    const out = renderServiceList(services(), piped(true));
    expect(out.split('\n')[0]).toBe('NAME\tVERSION\tDOMAIN\tNODES\tENDPOINTS\tLAYOUT\tADDRESSES\tMETADATA');
    expect(out).toContain('domain=micro');
    expect(out).toContain('10.0.0.5:54321');
  });

  it('names: each name once', () => {
    expect(renderNames(services())).toBe('go.micro.srv.greeter\n');
  });
});

describe('get renderer', () => {
  it('shows nodes with TTL, endpoints with compact type trees and no protobuf internals', () => {
    const out = stripAnsi(renderServiceDetail(services(), terminal()));
    expect(out).toContain('37s');
    expect(out).toContain('no lease');
    expect(out).toContain('Request{name string}');
    expect(out).not.toMatch(/XXX|MessageState|uint8/);
    expect(out).toContain('subscriber=true');
  });

  it('fits a narrow terminal by cutting metadata first, ids only (in the middle) when that is not enough', () => {
    const wide = stripAnsi(renderServiceDetail(services(), terminal(110)));
    for (const line of wide.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(110);
    expect(wide).toContain('go.micro.srv.greeter-d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12');
    expect(wide).toContain('…');
    const narrow = stripAnsi(renderServiceDetail(services(), terminal(80)));
    for (const line of narrow.split('\n')) expect([...line].length, line).toBeLessThanOrEqual(80);
    expect(narrow).toMatch(/go\.micro\.srv\.\S*…\S*6b7c8a9e0f12/);
  });

  it('wide adds lease and key', () => {
    const out = renderServiceDetail(services(), piped(true));
    expect(out).toContain('NODE\tADDRESS\tTTL\tMETADATA\tLEASE\tKEY');
    expect(out).toContain('2b6\t/micro/registry/go.micro.srv.greeter/');
  });

  it('formats nested type trees two levels deep', () => {
    const v = { name: 'Req', type: 'Req', values: [{ name: 'user', type: 'User', values: [{ name: 'id', type: 'string', values: null }] }, { name: 'tags', type: '[]string', values: null }] };
    expect(formatValue(v)).toBe('Req{user User{id string}, tags []string}');
    expect(formatValue(null)).toBe('-');
  });
});

describe('JSON renderer', () => {
  it("is go-micro's registry.Service with node key, lease and ttl; internals kept", () => {
    const parsed = JSON.parse(renderServicesJson(services(), false));
    expect(parsed).toHaveLength(4);
    const micro = parsed.find((s: { nodes: { layout: string }[] }) => s.nodes[0]!.layout === 'micro');
    expect(Object.keys(micro)).toEqual(['name', 'version', 'metadata', 'endpoints', 'nodes']);
    expect(micro.nodes[0]).toMatchObject({ id: expect.any(String), address: '10.0.0.5:54321', lease: '2b6', ttl: 37 });
    const legacy = parsed.find((s: { nodes: { layout: string }[] }) => s.nodes[0]!.layout === 'legacy');
    expect(legacy.nodes[0].address).toBe('10.0.0.5:54321');
    expect(JSON.stringify(legacy.endpoints)).toContain('"name":"-"');
    expect(parsed.find((s: { domain?: string }) => s.domain === 'micro')).toBeDefined();
  });

  it('is pretty on a terminal and compact when piped', () => {
    expect(renderServicesJson(services(), true)).toContain('\n  {');
    expect(renderServicesJson(services(), false).trimEnd()).not.toContain('\n');
  });
});

describe('untrusted text in tables', () => {
  const hostile = (): ServiceView[] => {
    const [first] = services();
    const s = structuredClone(first!);
    s.name = `evil\x1b]0;title\x07`;
    s.nodes[0]!.metadata = { 'k\x1b[2J': `${'v'.repeat(60)}\u009b31m${'w'.repeat(60)}` };
    return [s];
  };
  // Every ESC must start one of micro-reg's own colour sequences, whole.
  const brokenOrForeignEscape = /\x1b(?!\[[0-9;]*m)/;

  it('escapes data before painting: dim escapes on a terminal, plain text piped, never a raw control character', () => {
    const tty = renderServiceDetail(hostile(), terminal());
    expect(tty).toContain('evil\x1b[2m\\x1b');
    expect(tty).not.toMatch(brokenOrForeignEscape);
    expect(tty).not.toMatch(/[\u0007\u009b]/);
    const plain = renderServiceDetail(hostile(), piped(true));
    expect(plain).toContain('evil\\x1b]0;title\\x07');
    expect(plain).toContain('k\\x1b[2J=');
    expect(plain).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });

  it('cuts a painted cell to the width without cutting inside a colour sequence', () => {
    const narrow = renderServiceDetail(hostile(), terminal(60));
    expect(narrow).toContain('…');
    expect(narrow).not.toMatch(brokenOrForeignEscape);
  });

  it('prints a name holding a newline as one line in names output', () => {
    const [s] = services();
    expect(renderNames([{ ...s!, name: 'forged\nline' }])).toBe('forged\\nline\n');
  });
});
