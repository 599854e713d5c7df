// What register accepts from flags, a form or a file, and the messages it refuses with
// (src/registry/records.ts): every expected value written out.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { keySpace } from '../../src/registry/keys.js';
import { addressProblem, checkAddress, checkName, encodeRecords, nameProblem, serviceFromFile, serviceFromInput } from '../../src/registry/records.js';

describe('addresses', () => {
  it('accepts host:port with a port 1-65535, trimmed', () => {
    for (const ok of ['10.0.0.5:8080', '[::1]:1', 'h:65535', 'my-host.local:80']) expect(addressProblem(ok), ok).toBeUndefined();
    expect(checkAddress(' 10.0.0.5:8080 ')).toBe('10.0.0.5:8080');
  });

  it('refuses anything else, saying why', () => {
    const hostPort = 'expected host:port, e.g. 10.0.0.5:8080 or [::1]:8080';
    const port = 'the port must be 1-65535';
    expect(addressProblem('10.0.0.5')).toBe(hostPort);
    expect(addressProblem(':8080')).toBe(hostPort);
    expect(addressProblem('a b:80')).toBe(hostPort);
    expect(addressProblem('h:0')).toBe(port);
    expect(addressProblem('h:65536')).toBe(port);
    expect(addressProblem('h:000080')).toBe(port);
    expect(() => checkAddress('h:0', '--addr')).toThrow(UsageError);
    expect(() => checkAddress('h:0', '--addr')).toThrow('invalid --addr "h:0": the port must be 1-65535');
    expect(() => checkAddress('nohost')).toThrow(`invalid --address "nohost": ${hostPort}`);
  });
});

describe('service names', () => {
  it('refuses empty, blank, "." and ".."; a "/" is fine (it becomes "-" in the key)', () => {
    expect(nameProblem('')).toBe('it must not be empty');
    expect(nameProblem('   ')).toBe('it must not be empty');
    expect(nameProblem('..')).toBe('it must not be empty, "." or ".."');
    expect(nameProblem('.')).toBe('it must not be empty, "." or ".."');
    expect(nameProblem('a/b')).toBeUndefined();
    expect(checkName('go.micro.srv.greeter')).toBe('go.micro.srv.greeter');
    expect(() => checkName('..', '--name')).toThrow('invalid --name "..": it must not be empty, "." or ".."');
  });
});

describe('a service from flags or a form', () => {
  it('trims endpoint names and drops empty ones; version "" is latest; metadata is copied', () => {
    const meta = { a: '1' };
    const s = serviceFromInput({ name: 'svc', address: ' 10.0.0.1:80 ', id: 'n1', version: '', meta, endpoints: [' Say.Hello ', '', '  '] }, 'micro');
    expect(s).toEqual({
      name: 'svc',
      version: 'latest',
      metadata: null,
      endpoints: [{ name: 'Say.Hello', request: null, response: null, metadata: {} }],
      nodes: [{ id: 'n1', address: '10.0.0.1:80', metadata: { a: '1' } }],
    });
    expect(s.nodes[0]!.metadata).not.toBe(meta);
  });

  it('no endpoints: [] for micro and domain, null for legacy and v2 (as each generation writes it)', () => {
    const input = { name: 'svc', address: 'h:1', id: 'n1', endpoints: ['', ' '] };
    expect(serviceFromInput(input, 'micro').endpoints).toEqual([]);
    expect(serviceFromInput(input, 'domain').endpoints).toEqual([]);
    expect(serviceFromInput(input, 'legacy').endpoints).toBeNull();
    expect(serviceFromInput(input, 'v2').endpoints).toBeNull();
    expect(serviceFromInput({ ...input, endpoints: ['E'] }, 'domain').endpoints).toEqual([{ name: 'E', request: null, response: null, metadata: null }]);
    expect(serviceFromInput({ ...input, endpoints: ['E'] }, 'legacy').endpoints).toEqual([{ name: 'E', request: null, response: null, metadata: { stream: 'false' } }]);
  });

  it('refuses an id that cannot be a key segment', () => {
    expect(() => serviceFromInput({ name: 'svc', address: 'h:1', id: '..' }, 'micro')).toThrow('invalid node id "..": it must not be empty, "." or ".."');
  });
});

describe('a service from a file', () => {
  const file = 'svc.json';

  it('fills an empty version and an empty node id; keeps the rest as written', () => {
    const s = serviceFromFile('{"name":"svc","version":"","nodes":[{"id":"","address":"h:1"},{"id":"n2","address":"h:2","metadata":{"k":"v"}}]}', file);
    expect(s.version).toBe('latest');
    expect(s.nodes[0]!.id).toMatch(/^svc-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(s.nodes[1]).toEqual({ id: 'n2', address: 'h:2', metadata: { k: 'v' } });
  });

  it('refuses, naming the file and the node: not a Service, a bad address, a bad or repeated id', () => {
    expect(() => serviceFromFile('[]', file)).toThrow(/^svc\.json is not a go-micro Service: /);
    expect(() => serviceFromFile('{"name":"svc","nodes":[{"id":"a","address":"nohost"}]}', file)).toThrow('invalid address "nohost" of node 0 in svc.json: expected host:port');
    expect(() => serviceFromFile('{"name":"svc","nodes":[{"id":"a","address":"h:1"},{"id":"b","address":"h:0"}]}', file)).toThrow('invalid address "h:0" of node 1 in svc.json: the port must be 1-65535');
    expect(() => serviceFromFile('{"name":"svc","nodes":[{"id":"a/b","address":"h:1"},{"id":"a-b","address":"h:2"}]}', file)).toThrow('node id "a-b" appears twice in svc.json');
    expect(() => serviceFromFile('{"name":"..","nodes":[{"id":"a","address":"h:1"}]}', file)).toThrow('invalid name in svc.json "..": it must not be empty, "." or ".."');
  });
});

describe('records for the domain layout', () => {
  it('put the domain in the service and node metadata, creating the maps, and key it under the domain', () => {
    const s = serviceFromInput({ name: 'svc', address: 'h:1', id: 'n1' }, 'domain');
    const [r] = encodeRecords(keySpace('domain', undefined, 'prod'), { ...s, metadata: null, nodes: [{ ...s.nodes[0]!, metadata: null }] });
    expect(r!.key).toBe('/micro/registry/prod/svc/n1');
    expect(r!.service.metadata).toEqual({ domain: 'prod' });
    expect(r!.service.nodes[0]!.metadata).toEqual({ domain: 'prod' });
    expect(JSON.parse(r!.value)).toMatchObject({ metadata: { domain: 'prod' }, nodes: [{ id: 'n1', address: 'h:1', metadata: { domain: 'prod' } }] });
    const [plain] = encodeRecords(keySpace('micro'), s);
    expect(plain!.service.metadata).toBeNull();
    expect(plain!.service.nodes[0]!.metadata).toEqual({});
  });
});
