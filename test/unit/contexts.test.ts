import { describe, expect, it } from 'vitest';
import { resolveRegistryConfig } from '../../src/settings/config.js';
import {
  configFilePath,
  contextViews,
  deleteContext,
  emptyConfigFile,
  parseConfigFile,
  selectContext,
  serializeConfigFile,
  setContext,
  useContext,
} from '../../src/settings/contexts.js';

const prod = {
  endpoints: ['https://etcd-0:2379', 'https://etcd-1:2379'],
  user: 'ops',
  password: 's3cret',
  cacert: '/etc/ca.pem',
  timeout: '3s',
  layout: 'domain',
  prefix: '/reg/',
  domain: 'prod',
};

describe('context precedence: flags, then environment, then context, then defaults', () => {
  it('takes every field from the context when nothing else sets it', () => {
    const c = resolveRegistryConfig({}, {}, prod);
    expect(c.connection).toMatchObject({ endpoints: ['etcd-0:2379', 'etcd-1:2379'], tls: true, username: 'ops', password: 's3cret', cacert: '/etc/ca.pem', timeoutMs: 3000 });
    expect(c).toMatchObject({ layout: 'domain', prefix: '/reg/', domain: 'prod' });
  });

  it('lets the environment override the context', () => {
    const env = { MICRO_REGISTRY_ADDRESS: 'env-host:2379', MICRO_REG_TIMEOUT: '7s', MICRO_REG_LAYOUT: 'micro', MICRO_NAMESPACE: 'envdomain', ETCDCTL_CACERT: '/env/ca.pem' };
    const c = resolveRegistryConfig({}, env, prod);
    expect(c.connection).toMatchObject({ endpoints: ['env-host:2379'], timeoutMs: 7000, cacert: '/env/ca.pem' });
    expect(c).toMatchObject({ layout: 'micro', domain: 'envdomain', prefix: '/reg/' });
  });

  it('lets flags override both', () => {
    const c = resolveRegistryConfig({ endpoints: 'flag-host:1', timeout: '9s', layout: 'legacy', prefix: '/flag/', domain: 'f' }, { MICRO_REGISTRY_ADDRESS: 'env-host:2379', MICRO_REG_TIMEOUT: '7s' }, prod);
    expect(c.connection).toMatchObject({ endpoints: ['flag-host:1'], timeoutMs: 9000 });
    expect(c).toMatchObject({ layout: 'legacy', prefix: '/flag/', domain: 'f' });
  });

  it('falls back to the defaults without a context', () => {
    const c = resolveRegistryConfig({}, {});
    expect(c.connection).toMatchObject({ endpoints: ['127.0.0.1:2379'], tls: false, timeoutMs: 5000 });
    expect(c.layout).toBe('micro');
    expect(c.prefix).toBeUndefined();
  });

  it("never sends the context's password for a user named elsewhere", () => {
    expect(resolveRegistryConfig({ user: 'ops' }, {}, prod).connection.password).toBe('s3cret');
    expect(() => resolveRegistryConfig({ user: 'other' }, {}, prod)).toThrow(/no password for user "other"/);
    expect(resolveRegistryConfig({}, { ETCD_PASSWORD: 'envpw' }, prod).connection.password).toBe('envpw');
  });

  it("drops the context's prefix under --layout auto, and lets env turn insecure TLS off", () => {
    expect(resolveRegistryConfig({ layout: 'auto' }, {}, prod).prefix).toBeUndefined();
    const insecure = { endpoints: ['https://h:1'], insecureSkipTlsVerify: true };
    expect(resolveRegistryConfig({}, {}, insecure).connection.insecureSkipVerify).toBe(true);
    expect(resolveRegistryConfig({}, { ETCDCTL_INSECURE_SKIP_TLS_VERIFY: 'false' }, insecure).connection.insecureSkipVerify).toBe(false);
  });
});

describe('config file', () => {
  it('lives under XDG_CONFIG_HOME, else ~/.config', () => {
    expect(configFilePath({ XDG_CONFIG_HOME: '/xdg' }, '/home/u')).toBe('/xdg/micro-reg/config.json');
    expect(configFilePath({ XDG_CONFIG_HOME: 'relative' }, '/home/u')).toBe('/home/u/.config/micro-reg/config.json');
    expect(configFilePath({ HOME: '/h' }, '/home/u')).toBe('/h/.config/micro-reg/config.json');
  });

  it('round-trips, accepts comma-separated endpoints, refuses unknown fields', () => {
    const file = setContext(emptyConfigFile(), 'prod', prod).file;
    const text = serializeConfigFile(useContext(file, 'prod'));
    expect(parseConfigFile(text, 'f')).toEqual({ currentContext: 'prod', contexts: { prod } });
    expect(parseConfigFile('{"contexts":{"a":{"endpoints":"h1:1, h2:2"}}}', 'f').contexts.a!.endpoints).toEqual(['h1:1', 'h2:2']);
    expect(() => parseConfigFile('{"contexts":{"a":{"endpoint":"h"}}}', 'f')).toThrow(/unknown field "endpoint"/);
    expect(() => parseConfigFile('{', 'f')).toThrow(/f is not valid JSON/);
  });

  it('selects --context, then MICRO_REG_CONTEXT, then the current context; an unknown name is an error', () => {
    const file = useContext(setContext(setContext(emptyConfigFile(), 'a', { domain: 'A' }).file, 'b', { domain: 'B' }).file, 'a');
    expect(selectContext(file, 'b', { MICRO_REG_CONTEXT: 'a' }, 'f')?.settings.domain).toBe('B');
    expect(selectContext(file, undefined, { MICRO_REG_CONTEXT: 'b' }, 'f')?.settings.domain).toBe('B');
    expect(selectContext(file, undefined, {}, 'f')).toMatchObject({ name: 'a', source: 'currentContext' });
    expect(selectContext(undefined, undefined, {}, 'f')).toBeUndefined();
    expect(() => selectContext(file, 'c', {}, 'f')).toThrow(/context "c" \(from --context\) does not exist/);
  });

  it('set-context changes only the given fields; delete-context clears the current one; views mask passwords', () => {
    let file = setContext(emptyConfigFile(), 'prod', prod).file;
    const changed = setContext(file, 'prod', { timeout: '1s' }, ['password']);
    expect(changed.created).toBe(false);
    expect(changed.file.contexts.prod).toEqual({ ...prod, timeout: '1s', password: undefined });
    expect(() => setContext(file, 'bad name', {})).toThrow(/invalid context name/);
    file = useContext(file, 'prod');
    expect(contextViews(file)[0]).toMatchObject({ name: 'prod', current: true, password: '********' });
    expect(JSON.stringify(contextViews(file))).not.toContain('s3cret');
    const deleted = deleteContext(file, 'prod');
    expect(deleted.wasCurrent).toBe(true);
    expect(deleted.file).toEqual({ contexts: {} });
  });
});
