// The key spaces and the prefixes read for them (src/registry/keys.ts), every expected key written out
// from the format reference: which keys a read, a watch and a wait look at.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { autoV3Spaces, groupByPrefix, keySpace, nodeKey, normalisePrefix, prefixRangeEnd, readPrefix, serviceDir, serviceReadPrefix } from '../../src/registry/keys.js';

describe('key spaces', () => {
  it('each layout has its default prefix; domain defaults to "micro" (also when given empty)', () => {
    expect(keySpace('micro')).toEqual({ layout: 'micro', prefix: '/micro/registry/' });
    expect(keySpace('legacy')).toEqual({ layout: 'legacy', prefix: '/micro-registry/' });
    expect(keySpace('v2')).toEqual({ layout: 'v2', prefix: '/micro-registry/' });
    expect(keySpace('domain')).toEqual({ layout: 'domain', prefix: '/micro/registry/', domain: 'micro' });
    expect(keySpace('domain', undefined, '')).toEqual({ layout: 'domain', prefix: '/micro/registry/', domain: 'micro' });
    expect(keySpace('domain', '/x/', 'prod')).toEqual({ layout: 'domain', prefix: '/x/', domain: 'prod' });
  });

  it('a prefix is a key directory: one leading and one trailing "/", blanks trimmed; "/" alone or blank refused', () => {
    expect(normalisePrefix('/a/b')).toBe('/a/b/');
    expect(normalisePrefix('a/b/')).toBe('/a/b/');
    expect(normalisePrefix('  /a//b/ ')).toBe('/a/b/');
    for (const bad of ['', '  ', '/']) {
      expect(() => normalisePrefix(bad), JSON.stringify(bad)).toThrow(UsageError);
      expect(() => normalisePrefix(bad)).toThrow(`invalid --prefix "${bad}": it must name a key directory such as /micro/registry/`);
    }
  });

  it('reads a layout under its prefix, one domain under its directory, "*" under the whole prefix', () => {
    expect(readPrefix(keySpace('micro'))).toBe('/micro/registry/');
    expect(readPrefix(keySpace('legacy', '/r/'))).toBe('/r/');
    expect(readPrefix(keySpace('domain', undefined, 'prod'))).toBe('/micro/registry/prod/');
    expect(readPrefix(keySpace('domain', undefined, 'a/b'))).toBe('/micro/registry/a-b/');
    expect(readPrefix(keySpace('domain', undefined, '*'))).toBe('/micro/registry/');
  });

  it('reads one service under its directory, except across all domains', () => {
    expect(serviceReadPrefix(keySpace('micro'), 'go.micro.srv.greeter')).toBe('/micro/registry/go.micro.srv.greeter/');
    expect(serviceReadPrefix(keySpace('micro'), 'a/b')).toBe('/micro/registry/a-b/');
    expect(serviceReadPrefix(keySpace('domain', undefined, 'prod'), 'svc')).toBe('/micro/registry/prod/svc/');
    expect(serviceReadPrefix(keySpace('domain', undefined, '*'), 'svc')).toBe('/micro/registry/');
    expect(serviceReadPrefix(keySpace('v2'), 'svc')).toBe('/micro-registry/svc/');
  });

  it('writes under one domain only: "*" and names that would leave the directory are refused with their reason', () => {
    expect(() => serviceDir(keySpace('domain', undefined, '*'), 'svc')).toThrow('the domain "*" can only be read, not written: pass --domain NAME');
    expect(() => serviceDir(keySpace('domain', undefined, '..'), 'svc')).toThrow('invalid domain "..": it must not be empty, "." or ".."');
    expect(() => serviceDir(keySpace('micro'), '.')).toThrow('invalid service name ".": it must not be empty, "." or ".."');
    expect(() => nodeKey(keySpace('micro'), 'svc', ' ')).toThrow('invalid node id " ": it must not be empty, "." or ".."');
    expect(nodeKey(keySpace('domain', '/p/', 'd/1'), 's/1', 'n/1')).toBe('/p/d-1/s-1/n-1');
  });

  it('auto covers micro, every domain and legacy; micro and domain share one read of their prefix', () => {
    expect(autoV3Spaces()).toEqual([
      { layout: 'micro', prefix: '/micro/registry/' },
      { layout: 'domain', prefix: '/micro/registry/', domain: '*' },
      { layout: 'legacy', prefix: '/micro-registry/' },
    ]);
    expect(autoV3Spaces('prod')[1]).toEqual({ layout: 'domain', prefix: '/micro/registry/', domain: 'prod' });
    const groups = groupByPrefix(autoV3Spaces(), (s) => s.prefix);
    expect([...groups.keys()]).toEqual(['/micro/registry/', '/micro-registry/']);
    expect(groups.get('/micro/registry/')!.map((s) => s.layout)).toEqual(['micro', 'domain']);
  });

  it('the end of a prefix range is the prefix with its last byte incremented, as etcd WithPrefix', () => {
    expect(prefixRangeEnd(Buffer.from('/micro/registry/')).toString()).toBe('/micro/registry0');
    expect([...prefixRangeEnd(Buffer.from([0x61, 0xff]))]).toEqual([0x62]);
    expect([...prefixRangeEnd(Buffer.from([0xff, 0xff]))]).toEqual([0]);
  });
});
