// Output for scripts: kubectl's jsonpath templates, custom columns, --sort-by, --no-headers, the one
// document pipeline (json / yaml / jsonpath from one value), colour for people, the one node shape.
import { readFileSync } from 'node:fs';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { probeAll } from '../../src/probe.js';
import { decodeRecord, groupServices } from '../../src/registry/codec.js';
import { encodeRecords, serviceFromInput } from '../../src/registry/records.js';
import { keySpace } from '../../src/registry/keys.js';
import type { NodeRecord } from '../../src/registry/model.js';
import { checkJson } from '../../src/render/check.js';
import { CustomColumnsError, customCell, parseCustomColumns, parseCustomColumnsFile, renderCustomColumns } from '../../src/render/custom-columns.js';
import { colourJson, colourYaml, renderDocument } from '../../src/render/document.js';
import { eventJson } from '../../src/render/events.js';
import { serviceJson } from '../../src/render/json.js';
import { JsonPathError, parsePath, parseTemplate, renderJsonPath } from '../../src/render/jsonpath.js';
import { recordNodeJson } from '../../src/render/node.js';
import { registrationJson, removalJson } from '../../src/render/registration.js';
import { compareAddresses, parseSortBy, SortByError, sortByPath } from '../../src/render/sort-by.js';
import { cellWidth, renderServiceList, renderTable, renderTotals, type Style } from '../../src/render/table.js';
import { parseYaml } from '../../src/render/yaml.js';
import { loadFixtures } from '../helpers/fixtures.js';

// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[[0-9;]*m/g;
const plain = new Chalk({ level: 0 });
const colour = new Chalk({ level: 1 });
const piped: Style = { tty: false, paint: plain, width: 80, wide: false };
const terminal = (width: number): Style => ({ tty: true, paint: plain, width, wide: false });

const fixtures = loadFixtures();
/** Every fixture family, read as micro-reg reads it. */
const records: NodeRecord[] = fixtures.map((f) => {
  const r = decodeRecord(keySpace(f.family), { key: f.key, value: f.bytes, modRevision: '7' });
  if (r.kind !== 'record') throw new Error(`${f.file} does not decode`);
  return r.record;
});

// The document of kubectl's JSONPath reference page (https://kubernetes.io/docs/reference/kubectl/jsonpath/).
const kubeDoc = {
  kind: 'List',
  items: [
    { kind: 'None', metadata: { name: '127.0.0.1', labels: { 'kubernetes.io/hostname': '127.0.0.1' } }, status: { capacity: { cpu: '4' }, addresses: [{ type: 'LegacyHostIP', address: '127.0.0.1' }] } },
    { kind: 'None', metadata: { name: '127.0.0.2' }, status: { capacity: { cpu: '8' }, addresses: [{ type: 'LegacyHostIP', address: '127.0.0.2' }, { type: 'another', address: '127.0.0.3' }] } },
  ],
  users: [
    { name: 'myself', user: {} },
    { name: 'e2e', user: { username: 'admin', password: 'secret' } },
  ],
};

describe('jsonpath: kubectl template syntax', () => {
  const run = (template: string, doc: unknown = kubeDoc): string => renderJsonPath(parseTemplate(template), doc);

  it.each([
    // kubectl's reference table
    ['{.kind}', 'List'],
    ["{['kind']}", 'List'],
    ['{$.kind}', 'List'],
    ['{.items[*].metadata.name}', '127.0.0.1 127.0.0.2'],
    ['{..name}', '127.0.0.1 127.0.0.2 myself e2e'],
    ['{.items[0].metadata.name}', '127.0.0.1'],
    ['{.items[-1].metadata.name}', '127.0.0.2'],
    ['{.items[0:1].metadata.name}', '127.0.0.1'],
    ['{.items[::-1].metadata.name}', '127.0.0.2 127.0.0.1'],
    ['{.users[?(@.name=="e2e")].user.password}', 'secret'],
    ['{.items[*].status.addresses[?(@.type=="LegacyHostIP")].address}', '127.0.0.1 127.0.0.2'],
    ["{.items[0].metadata.labels['kubernetes\\.io/hostname']}", '127.0.0.1'],
    ['{range .items[*]}[{.metadata.name}, {.status.capacity.cpu}] {end}', '[127.0.0.1, 4] [127.0.0.2, 8] '],
    ['{range .items[*]}{.metadata.name}{"\\t"}{.status.capacity.cpu}{"\\n"}{end}', '127.0.0.1\t4\n127.0.0.2\t8\n'],
    ['{.items[0].status.capacity}', '{"cpu":"4"}'],
    ['{.users[*].user.username}', 'admin'],
    // a missing key prints nothing, as kubectl's -o jsonpath (allowMissingKeys)
    ['{.nope}', ''],
    ['{.items[5].metadata.name}', ''],
    ['name={.kind}!', 'name=List!'],
    ['{.users[?(@.user.username)].name}', 'e2e'],
    ["{.users[?(@.name!='e2e')].name}", 'myself'],
    ['{.items.length}', '2'],
    ['{.users[0,1].name}', 'myself e2e'],
    ["{.users[0]['name','user']}", 'myself {}'],
  ])('%s', (template, expected) => {
    expect(run(template)).toBe(expected);
  });

  it('numbers compare in filters; strings print raw, other values as JSON', () => {
    const doc = [
      { n: 1, s: 'a', ok: true },
      { n: 5, s: 'b', ok: false },
    ];
    expect(run('{.[?(@.n>2)].s}', doc)).toBe('b');
    expect(run('{.[?(@.n<=1)].s}', doc)).toBe('a');
    expect(run('{.[?(@.ok==true)].s}', doc)).toBe('a');
    expect(run('{.[*].n}', doc)).toBe('1 5');
    expect(run('{.}', [1, 'x'])).toBe('[1,"x"]');
  });

  it.each([
    ['{.items[', /unclosed action/],
    ['{.items[}', /empty brackets at column 9/],
    ['{.items[0}', /expected "\]" to close "\[" at column 8 at column 10/],
    ['{range .items[*]}{.kind}', /\{range\} without \{end\} at column 1/],
    ['{.kind}{end}', /\{end\} without \{range\} at column 8/],
    ['{.kind', /unclosed action.* at column 1/],
    ['{.kind}}', /unmatched "\}" at column 8/],
    ['{}', /empty action/],
    ['{.items[?(name)]}', /a filter starts with @ at column 11/],
    ['{.a[1:2:0]}', /step cannot be 0/],
    ['{"open"x}', /unterminated quoted string at column 2/],
    ['{.a..}', /field name is missing/],
    ['{.a b}', /unexpected " " at column 4/],
  ])('rejects %s naming the position', (template, message) => {
    expect(() => parseTemplate(template)).toThrow(JsonPathError);
    expect(() => parseTemplate(template)).toThrow(message);
  });

  it('over every fixture family: the list document, as kubectl users write it', () => {
    const doc = groupServices(records).map(serviceJson);
    const names = [...new Set(records.map((r) => r.service.name))].sort();
    expect(run('{.[*].name}', doc).split(' ')).toEqual(expect.arrayContaining(names));
    const lines = run('{range .[*]}{.name}{"\\t"}{.version}{"\\t"}{.nodes.length}{"\\n"}{end}', doc).trimEnd().split('\n');
    expect(lines).toHaveLength(doc.length);
    for (const [i, line] of lines.entries()) expect(line).toBe(`${doc[i]!.name}\t${doc[i]!.version}\t${doc[i]!.nodes.length}`);
    expect(run('{.[*].nodes[*].address}', doc)).toBe(doc.flatMap((s) => s.nodes.map((n) => n.address)).join(' '));
  });

  it('data reaches the terminal sanitised: a control character in a value is shown escaped', () => {
    expect(run('{.name}', { name: 'evil\x1b]0;title\x07' })).toBe('evil\\x1b]0;title\\x07');
    expect(run('{.meta}', { meta: { k: 'a\u202eb' } })).toBe('{"k":"a\\u202eb"}');
  });
});

describe('custom-columns', () => {
  const doc = groupServices(records).map(serviceJson);

  it('parses NAME:.path,… and kubectl’s {.path}; a bad spec is one clear error', () => {
    const cols = parseCustomColumns('NAME:.name,NODES:{.nodes.length}');
    expect(cols.map((c) => c.head)).toEqual(['NAME', 'NODES']);
    expect(customCell(cols[1]!, doc[0])).toBe(String(doc[0]!.nodes.length));
    expect(() => parseCustomColumns('NAME')).toThrow(CustomColumnsError);
    expect(() => parseCustomColumns('NAME:')).toThrow(/expected HEADING:.path/);
    expect(() => parseCustomColumns('')).toThrow(/no columns/);
    expect(() => parseCustomColumns('A:.x[')).toThrow(/column "A:.x\[".*column 4/);
  });

  it('reads a custom-columns file: headings, then paths', () => {
    expect(parseCustomColumnsFile('NAME   VERSION\n.name  .version\n').map((c) => c.head)).toEqual(['NAME', 'VERSION']);
    expect(() => parseCustomColumnsFile('NAME VERSION\n.name\n')).toThrow(/2 headings but 1 paths/);
    expect(() => parseCustomColumnsFile('NAME\n')).toThrow(/expected 2 lines/);
  });

  it('piped: tab-separated, several values joined by ",", <none> for nothing; --no-headers drops the heading', () => {
    const cols = parseCustomColumns('NAME:.name,ADDR:.nodes[*].address,MISSING:.nope');
    const out = renderCustomColumns(cols, doc, piped);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toBe('NAME\tADDR\tMISSING');
    expect(lines).toHaveLength(doc.length + 1);
    expect(lines[1]).toBe(`${doc[0]!.name}\t${doc[0]!.nodes.map((n) => n.address).join(',')}\t<none>`);
    expect(renderCustomColumns(cols, doc, { ...piped, noHeaders: true })).toBe(`${lines.slice(1).join('\n')}\n`);
  });

  it.each([30, 50, 80, 160])('on a terminal of %i columns every line fits, and the first column stays', (width) => {
    const cols = parseCustomColumns('NAME:.name,VERSION:.version,KEYS:.nodes[*].key,ADDRESSES:.nodes[*].address');
    const out = renderCustomColumns(cols, doc, terminal(width));
    const lines = out.trimEnd().split('\n');
    for (const line of lines) expect(cellWidth(line.replace(ansi, ''))).toBeLessThanOrEqual(width);
    expect(lines[0]).toMatch(/^NAME/);
    if (width >= 80) expect(lines[0]!.split(/\s+/)).toEqual(['NAME', 'VERSION', 'KEYS', 'ADDRESSES']);
    expect(lines).toHaveLength(doc.length + 1);
  });
});

describe('--sort-by', () => {
  const svc = (name: string, version: string, nodes: number, address = '') => ({ name, version, nodes: Array.from({ length: nodes }, () => ({ address })) });

  it('versions in version order, counts as numbers, stable, items without the value last', () => {
    const items = [svc('a', '1.10.0', 3), svc('b', '1.9.0', 1), svc('c', 'v2.0.0', 2), { name: 'd' }, svc('e', '1.9.0', 10)];
    expect(sortByPath(items, (x) => x, parseSortBy('.version')).map((x) => x.name)).toEqual(['b', 'e', 'a', 'c', 'd']);
    expect(sortByPath(items, (x) => x, parseSortBy('{.nodes.length}')).map((x) => x.name)).toEqual(['b', 'c', 'a', 'e', 'd']);
    expect(sortByPath(items, (x) => x, parseSortBy('.name')).map((x) => x.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('addresses by host (IPv4 numerically) then port', () => {
    const addrs = ['10.0.0.10:80', '10.0.0.9:8080', '10.0.0.9:443', 'b.example:1', 'a.example:2', '2.0.0.1:1'];
    expect([...addrs].sort(compareAddresses)).toEqual(['2.0.0.1:1', '10.0.0.9:443', '10.0.0.9:8080', '10.0.0.10:80', 'a.example:2', 'b.example:1']);
    const nodes = addrs.map((address) => ({ address }));
    expect(sortByPath(nodes, (x) => x, parseSortBy('.address')).map((n) => n.address)).toEqual([...addrs].sort(compareAddresses));
  });

  it('a bad path is an error naming it', () => {
    expect(() => parseSortBy('.a[')).toThrow(SortByError);
    expect(() => parseSortBy('')).toThrow(/needs a JSONPath/);
  });

  it('sorts the fixture families as list shows them, at several widths', () => {
    const services = groupServices(records);
    const sorted = sortByPath(services, serviceJson, parseSortBy('.nodes.length'));
    const counts = sorted.map((s) => s.nodes.length);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    for (const width of [40, 80, 120]) {
      const lines = renderServiceList(sorted, terminal(width)).trimEnd().split('\n');
      expect(lines.slice(1).map((l) => l.split(/\s+/)[0]!.replace(/…/, ''))).toHaveLength(sorted.length);
      for (const line of lines) expect(cellWidth(line)).toBeLessThanOrEqual(width);
    }
  });
});

describe('tables: --no-headers, list totals, -o wide addresses', () => {
  it('--no-headers drops the heading line on a terminal and piped, nothing else', () => {
    const rows = [['a', '1'], ['b', '2']];
    expect(renderTable(['NAME', 'N'], rows, piped)).toBe('NAME\tN\na\t1\nb\t2\n');
    expect(renderTable(['NAME', 'N'], rows, { ...piped, noHeaders: true })).toBe('a\t1\nb\t2\n');
    const withHead = renderTable(['NAME', 'N'], rows, terminal(80)).split('\n');
    expect(renderTable(['NAME', 'N'], rows, { ...terminal(80), noHeaders: true })).toBe(withHead.slice(1).join('\n'));
    expect(renderTable(['NAME'], [], { ...piped, noHeaders: true })).toBe('');
  });

  it('totals: services by name, every node; dim when painted', () => {
    const services = groupServices(records);
    const names = new Set(records.map((r) => r.service.name)).size;
    expect(renderTotals(services, { paint: plain })).toBe(`${names} service${names === 1 ? '' : 's'}, ${records.length} nodes\n`);
    expect(renderTotals(services, { paint: colour })).toBe(`${colour.dim(`${names} service${names === 1 ? '' : 's'}, ${records.length} nodes`)}\n`);
  });

  it('-o wide lists a service’s addresses by address, not by node id', () => {
    const service = serviceFromInput({ name: 's', address: '10.0.0.10:80', id: 'a' }, 'micro');
    const recs = ['10.0.0.10:80', '10.0.0.9:80', '10.0.0.2:81'].map((address, i): NodeRecord => ({
      key: `/micro/registry/s/${String.fromCharCode(97 + i)}`,
      layout: 'micro',
      service: { ...service, nodes: [{ id: String.fromCharCode(97 + i), address, metadata: null }] },
    }));
    const out = renderServiceList(groupServices(recs), { ...piped, wide: true });
    expect(out.split('\n')[1]).toContain('10.0.0.2:81,10.0.0.9:80,10.0.0.10:80');
  });
});

describe('one document, every format', () => {
  const doc = groupServices(records).map(serviceJson);

  it('json, yaml and jsonpath render the same value, for every fixture family', async () => {
    const json = JSON.parse(await renderDocument(doc, { kind: 'json' }, { pretty: false }));
    expect(json).toEqual(JSON.parse(JSON.stringify(doc)));
    expect(await parseYaml(await renderDocument(doc, { kind: 'yaml' }, { pretty: true }))).toEqual(json);
    expect(await renderDocument(doc, { kind: 'jsonpath', template: parseTemplate('{.[*].name}') }, { pretty: false })).toBe(json.map((s: { name: string }) => s.name).join(' '));
  });

  it('colour only when asked: the text without its colour is the plain text', async () => {
    const plainJson = await renderDocument(doc, { kind: 'json' }, { pretty: true });
    const coloured = await renderDocument(doc, { kind: 'json' }, { pretty: true, colour });
    expect(coloured).not.toBe(plainJson);
    expect(coloured.replace(ansi, '')).toBe(plainJson);
    // compact (piped) JSON is never coloured
    expect(await renderDocument(doc, { kind: 'json' }, { pretty: false, colour })).toBe(await renderDocument(doc, { kind: 'json' }, { pretty: false }));
    const plainYaml = await renderDocument(doc, { kind: 'yaml' }, { pretty: true });
    const colouredYaml = await renderDocument(doc, { kind: 'yaml' }, { pretty: true, colour });
    expect(colouredYaml).not.toBe(plainYaml);
    expect(colouredYaml.replace(ansi, '')).toBe(plainYaml);
  });

  it('colours keys, strings, numbers and literals apart', () => {
    expect(colourJson('{\n  "a": "x",\n  "n": 1,\n  "t": null\n}', colour)).toBe(`{\n  ${colour.blue('"a"')}: ${colour.green('"x"')},\n  ${colour.blue('"n"')}: ${colour.yellow('1')},\n  ${colour.blue('"t"')}: ${colour.magenta('null')}\n}`);
    expect(colourYaml('a: x\nn: 1\nl:\n  - true\n', colour)).toBe(`${colour.blue('a')}: ${colour.green('x')}\n${colour.blue('n')}: ${colour.yellow('1')}\n${colour.blue('l')}:\n  - ${colour.magenta('true')}\n`);
    // a key-like string inside a value is not a key
    expect(colourJson('"a: b"', colour)).toBe(colour.green('"a: b"'));
  });
});

describe('one node shape, described by docs/node.schema.json', async () => {
  const { Ajv2020 } = await import('ajv/dist/2020.js');
  const schema = JSON.parse(readFileSync(new URL('../../docs/node.schema.json', import.meta.url), 'utf8'));
  const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
  const valid = (node: unknown): boolean => {
    const ok = validate(JSON.parse(JSON.stringify(node)));
    if (!ok) throw new Error(`${JSON.stringify(node)}: ${JSON.stringify(validate.errors)}`);
    return ok;
  };

  it('every command’s node, for every fixture family, validates', async () => {
    const leased = records.map((r, i) => (i === 0 ? { ...r, lease: '7587' } : r));
    const [probe] = await probeAll(['127.0.0.1:1'], { concurrency: 1, timeoutMs: 500 });
    for (const r of leased) {
      const n = r.service.nodes[0]!;
      // check
      expect(valid(checkJson({ service: r.service.name, version: r.service.version, layout: r.layout, id: n.id, address: n.address, key: r.key, metadata: n.metadata, ...(r.domain !== undefined && { domain: r.domain }), ...(r.lease !== undefined && { lease: r.lease }), result: probe!, pruned: 'kept' }))).toBe(true);
      // watch: the event's subject
      expect(valid(eventJson({ action: 'delete', record: r, revision: '9', time: new Date(0), reason: 'expired' }).node)).toBe(true);
      expect(valid(recordNodeJson(r, 30))).toBe(true);
      expect(valid(recordNodeJson(r, null))).toBe(true);
    }
    // deregister
    const removal = removalJson([{ record: leased[0]!, removed: true }, ...leased.slice(1).map((record) => ({ record, removed: false, reason: 'changed' as const }))], false);
    for (const node of [...removal.removed, ...removal.kept]) expect(valid(node)).toBe(true);
    // register, in every layout
    for (const layout of ['micro', 'domain', 'legacy', 'v2'] as const) {
      const space = keySpace(layout, undefined, layout === 'domain' ? 'prod' : undefined);
      for (const node of registrationJson(encodeRecords(space, serviceFromInput({ name: 's', address: 'h:1', id: 'n' }, layout)), 60, layout === 'v2' ? undefined : '1311768467294899695', space)) expect(valid(node)).toBe(true);
    }
  });

  it('the same node has the same fields in check, deregister, register and watch', () => {
    const r = records[0]!;
    const fromWatch = eventJson({ action: 'create', record: r, revision: '9', time: new Date(0) }).node as Record<string, unknown>;
    const fromDeregister = removalJson([{ record: r, removed: true }], false).removed[0]!;
    expect(fromDeregister).toEqual(fromWatch);
    expect(Object.keys(fromWatch).slice(0, 7)).toEqual(['service', 'version', 'id', 'address', 'metadata', 'key', 'layout']);
  });

  it('rejects the old shapes (deregister’s `name`, watch’s `service` object)', () => {
    expect(validate({ name: 's', version: '1', id: 'a', address: 'h:1', metadata: null, key: '/k', layout: 'micro' })).toBe(false);
    expect(validate({ service: { name: 's' }, version: '1', id: 'a', address: 'h:1', metadata: null, key: '/k', layout: 'micro' })).toBe(false);
  });
});

describe('jsonpath parsePath', () => {
  it('takes kubectl’s path without its leading dot', () => {
    expect(parsePath('metadata.name').segments).toEqual([
      { kind: 'field', names: ['metadata'] },
      { kind: 'field', names: ['name'] },
    ]);
  });
});
