// Width-aware tables: every line of `list`, `get` and the --live screen fits the terminal at 40, 80,
// 120 and 200 columns, counted in display cells (CJK and emoji take two), with long names and ids
// shortened in the middle; piped output is never cut.
import { Chalk } from 'chalk';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { decodeRecord, groupServices } from '../../src/registry/codec.js';
import { keySpace } from '../../src/registry/keys.js';
import type { NodeRecord, ServiceView } from '../../src/registry/model.js';
import { renderLiveScreen } from '../../src/render/events.js';
import {
  type Column,
  type Style,
  fitColumns,
  formatDuration,
  formatMetadata,
  renderServiceDetail,
  renderServiceList,
  renderTable,
  truncateEnd,
  truncateMiddle,
} from '../../src/render/table.js';
import { fixture } from '../helpers/fixtures.js';

const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');
const terminal = (width: number, wide = false): Style => ({ tty: true, paint: new Chalk({ level: 1 }), width, wide });
const piped = (): Style => ({ tty: false, paint: new Chalk({ level: 0 }), width: 80, wide: false });
const lines = (out: string): string[] => stripAnsi(out).replace(/\n$/, '').split('\n');

const longName = 'go.micro.srv.notifications.email-delivery-worker';
const cjkName = '通知サービス.メール配信ワーカー.本番環境';
const emojiName = 'go.micro.srv.🚀launch-🛰️-orbit-👩‍💻-control';

/** Records made from the real go-micro v6 fixture, renamed: long names, CJK, emoji, many versions. */
function records(): NodeRecord[] {
  const f = fixture('micro-v6-greeter');
  const space = keySpace('micro');
  const out: NodeRecord[] = [];
  const names = [longName, cjkName, emojiName, 'go.micro.srv.greeter'];
  const versions = ['2024.11.05-build.1734', '1.10.0', 'v2.0.0', 'latest'];
  let n = 0;
  for (const name of names) {
    for (const version of versions) {
      const id = `${name}-d3e0d7a4-8c1b-4a5e-9f2d-${String(n++).padStart(12, '0')}`;
      const value = JSON.parse(f.bytes) as { name: string; version: string; nodes: { id: string; metadata: Record<string, string> }[] };
      value.name = name;
      value.version = version;
      value.nodes[0]!.id = id;
      value.nodes[0]!.metadata = { ...value.nodes[0]!.metadata, zone: 'eu-west-1a', 'k8s.pod': `${name.slice(0, 20)}-7d9f8c6b5-x2x9q`, team: '配信チーム' };
      const key = `/micro/registry/${name}/${id}`;
      const r = decodeRecord(space, { key, value: Buffer.from(JSON.stringify(value)), lease: '1000' });
      if (r.kind === 'record') out.push(r.record);
    }
  }
  return out;
}
const services = (): ServiceView[] => groupServices(records(), new Map([['1000', 3579]]));

describe.each([40, 80, 120, 200])('at %i columns', (width) => {
  it('list: every line fits, in display cells', () => {
    const out = lines(renderServiceList(services(), terminal(width)));
    for (const line of out) expect(stringWidth(line), line).toBeLessThanOrEqual(width);
    expect(out[0]).toMatch(/^NAME\s+VERSION\s+NODES/);
    expect(out).toHaveLength(17);
  });

  it('get: every line fits, in display cells', () => {
    const out = lines(renderServiceDetail(services(), terminal(width)));
    for (const line of out) expect(stringWidth(line), line).toBeLessThanOrEqual(width);
    expect(out.some((l) => /^NODE\s+ADDRESS\s+TTL/.test(l))).toBe(true);
  });

  it('watch --live: every screen line fits', () => {
    const rows = records().map((record) => ({ record }));
    const screen = renderLiveScreen({ title: 'micro-reg watch all services', status: 'connected', rows, recent: [], ttls: new Map([['1000', 45]]) }, terminal(width), 100);
    for (const line of lines(screen.replace(/\x1b\[(?:H|K|J|\?[0-9]+[hl])/g, ''))) expect(stringWidth(line), line).toBeLessThanOrEqual(width);
  });
});

describe('fitting', () => {
  it('at 80 columns a long name is shortened in the middle, both ends kept, and nothing wraps', () => {
    const out = lines(renderServiceList(services(), terminal(80)));
    const row = out.find((l) => l.includes('worker'));
    expect(row).toBeDefined();
    expect(row).toMatch(/^go\.micro\.srv\.\S*…\S*delivery-worker\s/);
  });

  it('at 200 columns nothing is cut', () => {
    const out = stripAnsi(renderServiceList(services(), terminal(200)));
    expect(out).not.toContain('…');
    expect(out).toContain(longName);
    expect(out).toContain(cjkName);
    expect(out).toContain(emojiName);
  });

  it('CJK and emoji columns line up: the column after them starts at the same cell on every row', () => {
    const out = lines(renderServiceList(services(), terminal(200)));
    const starts = out.slice(1).map((l) => stringWidth(l.slice(0, l.search(/ (?:2024|1\.10|v2|latest)/) + 1)));
    expect(new Set(starts).size).toBe(1);
  });

  it('piped output is never cut, whatever the width', () => {
    const out = renderServiceList(services(), { ...piped(), width: 20 });
    expect(out).toContain(`${longName}\t`);
    expect(out).not.toContain('…');
  });

  it('-o wide on a terminal shows every column uncut', () => {
    const out = stripAnsi(renderServiceDetail(services(), terminal(80, true)));
    expect(out).toContain(`${longName}-d3e0d7a4-8c1b-4a5e-9f2d-000000000000`);
    expect(out).toMatch(/team=配信チーム,zone=eu-west-1a,broker=http,protocol=mucp,registry=etcd,server=mucp,transport=http/);
  });

  it("get at 80 columns keeps the metadata people set and cuts go-micro's standard keys first", () => {
    const out = lines(renderServiceDetail(services(), terminal(80)));
    const row = out.find((l) => l.includes('10.0.0.5:54321'))!;
    expect(row).toMatch(/k8s\.pod=/);
    expect(row).not.toMatch(/^.*broker=http.*k8s\.pod/);
  });

  it('the least important columns go first: metadata before ids, optional columns dropped only when shrinking is not enough', () => {
    const cols: Column[] = [
      { head: 'ID', priority: 5, shrink: 'middle', min: 10 },
      { head: 'TTL', priority: 9 },
      { head: 'META', priority: 0, shrink: 'end', min: 8, optional: true },
    ];
    const rows = [['a'.repeat(30), '59m39s', 'x'.repeat(30)]];
    // 30+6+30+6 = 72: fits 80 whole.
    expect(fitColumns(cols, rows, 80)).toEqual({ keep: [0, 1, 2], widths: [30, 6, 30] });
    // At 60, META gives up 12 cells; the id stays whole.
    expect(fitColumns(cols, rows, 60)).toEqual({ keep: [0, 1, 2], widths: [30, 6, 18] });
    // At 40: META at its minimum is not enough, so it goes, and the id (30) fits with what was freed.
    expect(fitColumns(cols, rows, 40)).toEqual({ keep: [0, 1], widths: [30, 6, 8] });
    // At 25: the id shrinks to what is left.
    expect(fitColumns(cols, rows, 25).widths[0]).toBe(16);
  });

  it('truncation counts cells and cuts whole characters', () => {
    expect(truncateMiddle('go.micro.srv.notifications.email-delivery-worker', 21)).toBe('go.micro.s…ery-worker');
    expect(stringWidth(truncateMiddle(cjkName, 11))).toBeLessThanOrEqual(11);
    expect(truncateMiddle('日本語のサービス', 9)).toBe('日本…ビス');
    expect(truncateEnd('👩‍💻👩‍💻👩‍💻', 5)).toBe('👩‍💻👩‍💻…');
    expect(truncateEnd('short', 10)).toBe('short');
  });

  it('old-style calls (plain headings, coloured strings) still render', () => {
    const out = renderTable(['A', 'B'], [['\x1b[36mx\x1b[39m', 'y']], terminal(80));
    expect(out).toContain('\x1b[36mx\x1b[39m');
  });
});

describe('metadata and durations', () => {
  it("puts go-micro's standard keys after the others", () => {
    expect(formatMetadata({ broker: 'http', zone: 'a', protocol: 'mucp', 'k8s.pod': 'p', server: 'grpc', registry: 'etcd', transport: 'grpc', team: 't' })).toBe(
      'k8s.pod=p,team=t,zone=a,broker=http,protocol=mucp,registry=etcd,server=grpc,transport=grpc',
    );
  });

  it('durations read at a glance', () => {
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(3579)).toBe('59m39s');
    expect(formatDuration(7200)).toBe('2h0m');
    expect(formatDuration(93784)).toBe('1d2h');
    expect(formatDuration(0)).toBe('0s');
  });

  it('the TTL column shows them', () => {
    expect(stripAnsi(renderServiceDetail(services(), terminal(200)))).toMatch(/10\.0\.0\.5:54321\s+59m39s/);
  });
});

describe('tables of plain headings (check, register, deregister, contexts) fit too', () => {
  it('cuts node ids in the middle and keys first', () => {
    const id = `${longName}-d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12`;
    const rows = [[longName, '2024.11.05-build.1734', id, '10.0.0.5:54321', 'unreachable', 'connect ECONNREFUSED 10.0.0.5:54321', `/micro/registry/${longName}/${id}`]];
    for (const width of [80, 120, 200]) {
      const out = lines(renderTable(['SERVICE', 'VERSION', 'NODE', 'ADDRESS', 'STATUS', 'LATENCY/ERROR', 'KEY'], rows, terminal(width)));
      for (const line of out) expect(stringWidth(line), `${width}: ${line}`).toBeLessThanOrEqual(width);
    }
    const at80 = lines(renderTable(['SERVICE', 'VERSION', 'NODE', 'ADDRESS', 'STATUS', 'LATENCY/ERROR', 'KEY'], rows, terminal(80)));
    expect(at80[0]).not.toMatch(/KEY/);
    expect(at80[1]).toMatch(/10\.0\.0\.5:54321/);
  });
});
