import { describe, expect, it } from 'vitest';
import { keySpace } from '../../src/registry/keys.js';
import { addressProblem, encodeRecords, parseMeta, serviceFromFile, serviceFromInput } from '../../src/registry/records.js';
import { renderDryRun, registrationJson, renderRemovalJson } from '../../src/render/registration.js';
import { fixture } from '../helpers/fixtures.js';

describe('register records (pure)', () => {
  for (const name of ['micro-v6-greeter', 'domain-micro-greeter', 'legacy-greeter']) {
    it(`re-encodes the ${name} fixture to its exact key and bytes`, () => {
      const f = fixture(name);
      const service = serviceFromFile(f.bytes, f.file);
      const [record, ...more] = encodeRecords(keySpace(f.family), service);
      expect(more).toHaveLength(0);
      expect(record!.key).toBe(f.key);
      expect(record!.value).toBe(f.bytes);
    });
  }

  it('writes a hand-made node in each layout as that go-micro does', () => {
    const input = { name: 'svc', address: '10.0.0.1:80', id: 'svc-1', meta: { b: '2', a: '1' }, endpoints: ['Say.Hello'] };
    const micro = encodeRecords(keySpace('micro'), serviceFromInput(input, 'micro'))[0]!;
    expect(micro.key).toBe('/micro/registry/svc/svc-1');
    expect(micro.value).toBe(
      '{"name":"svc","version":"latest","metadata":null,"endpoints":[{"request":null,"response":null,"metadata":{},"name":"Say.Hello"}],"nodes":[{"metadata":{"a":"1","b":"2"},"id":"svc-1","address":"10.0.0.1:80"}]}',
    );
    const domain = encodeRecords(keySpace('domain', undefined, 'staging'), serviceFromInput(input, 'domain'))[0]!;
    expect(domain.key).toBe('/micro/registry/staging/svc/svc-1');
    expect(domain.value).toBe(
      '{"name":"svc","version":"latest","metadata":{"domain":"staging"},"endpoints":[{"name":"Say.Hello","request":null,"response":null,"metadata":null}],"nodes":[{"id":"svc-1","address":"10.0.0.1:80","metadata":{"a":"1","b":"2","domain":"staging"}}]}',
    );
    const legacy = encodeRecords(keySpace('legacy'), serviceFromInput({ ...input, endpoints: [], address: '[::1]:8080' }, 'legacy'))[0]!;
    expect(legacy.key).toBe('/micro-registry/svc/svc-1');
    expect(legacy.value).toBe('{"name":"svc","version":"latest","metadata":null,"endpoints":null,"nodes":[{"id":"svc-1","address":"::1","port":8080,"metadata":{"a":"1","b":"2"}}]}');
  });

  it('defaults the version to latest and the id to <name>-<uuid>', () => {
    const s = serviceFromInput({ name: 'a/b', address: 'h:1' }, 'micro');
    expect(s.version).toBe('latest');
    expect(s.nodes[0]!.id).toMatch(/^a\/b-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(encodeRecords(keySpace('micro'), s)[0]!.key).toMatch(/^\/micro\/registry\/a-b\/a-b-/);
  });

  it('refuses bad input', () => {
    for (const a of ['h', 'h:0', 'h:65536', ':80', 'h:8o', '1.2.3.4', '::1:80', 'h h:1']) expect(addressProblem(a), a).toBeDefined();
    for (const a of ['h:1', '10.0.0.1:65535', '[::1]:80']) expect(addressProblem(a), a).toBeUndefined();
    expect(() => serviceFromInput({ name: '  ', address: 'h:1' }, 'micro')).toThrow(/--name/);
    expect(() => serviceFromInput({ name: '..', address: 'h:1' }, 'micro')).toThrow(/--name/);
    expect(() => serviceFromInput({ name: 'x', address: 'h:1', id: '..' }, 'micro')).toThrow(/node id/);
    expect(() => parseMeta(['novalue'])).toThrow(/expected key=value/);
    expect(() => parseMeta(['=v'])).toThrow(/expected key=value/);
    expect(parseMeta(['k=', 'a=b=c'])).toEqual({ k: '', a: 'b=c' });
    expect(() => serviceFromFile('[1]', 'f.json')).toThrow(/not a go-micro Service/);
    expect(() => serviceFromFile('{"name":"x","nodes":[]}', 'f.json')).toThrow(/no node/);
    expect(() => serviceFromFile('{"name":"x","nodes":[{"id":"a","address":"nope"}]}', 'f.json')).toThrow(/invalid address/);
    expect(() => serviceFromFile('{"name":"x","nodes":[{"id":"a","address":"h:1"},{"id":"a","address":"h:2"}]}', 'f.json')).toThrow(/twice/);
    expect(() => encodeRecords(keySpace('domain', undefined, '*'), serviceFromInput({ name: 'x', address: 'h:1' }, 'domain'))).toThrow(/"\*"/);
  });

  it('renders register JSON and dry runs', () => {
    const records = encodeRecords(keySpace('micro'), serviceFromInput({ name: 's', address: 'h:1', id: 'n' }, 'micro'));
    const [node] = registrationJson(records, 60, '1311768467294899695', { layout: 'micro' });
    // The one node shape (docs/node.schema.json), fields in its order.
    expect(Object.keys(node!)).toEqual(['service', 'version', 'id', 'address', 'metadata', 'key', 'layout', 'lease', 'ttl']);
    expect(node).toMatchObject({ service: 's', id: 'n', address: 'h:1', key: '/micro/registry/s/n', layout: 'micro', lease: '1234567890abcdef', ttl: 60 });
    // A dry run has no lease: the field is absent.
    expect(registrationJson(records, 0, undefined, { layout: 'micro' })[0]).not.toHaveProperty('lease');
    const domain = encodeRecords(keySpace('domain', undefined, 'prod'), serviceFromInput({ name: 's', address: 'h:1', id: 'n' }, 'domain'));
    expect(registrationJson(domain, 60, undefined, { layout: 'domain', domain: 'prod' })[0]).toMatchObject({ layout: 'domain', domain: 'prod' });
    expect(renderDryRun(records)).toBe(`/micro/registry/s/n\n${records[0]!.value}\n`);
  });

  it('renders deregister JSON with removed and kept nodes', () => {
    const record = (id: string) => ({ key: `/micro/registry/s/${id}`, layout: 'micro' as const, service: serviceFromInput({ name: 's', address: 'h:1', id }, 'micro'), modRevision: '5' });
    const out = JSON.parse(renderRemovalJson([{ record: record('a'), removed: true }, { record: record('b'), removed: false, reason: 'changed' }], false, false));
    expect(out).toEqual({
      dryRun: false,
      removed: [{ service: 's', version: 'latest', id: 'a', address: 'h:1', metadata: {}, key: '/micro/registry/s/a', layout: 'micro' }],
      kept: [{ service: 's', version: 'latest', id: 'b', address: 'h:1', metadata: {}, key: '/micro/registry/s/b', layout: 'micro', reason: 'changed' }],
    });
  });
});
