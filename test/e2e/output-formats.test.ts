// The built bin, as a script (piped) and as a person (a pty) would run it: every output mode of list,
// get, check, watch and export; --no-headers, --sort-by, several names, -A; colour only on a terminal;
// every command's node output valid against docs/node.schema.json.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseYaml } from '../../src/render/yaml.js';
import { randomPrefix, seed } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { killAll, runBin } from '../helpers/process.js';
import { TmuxSession } from '../helpers/tmux.js';

const endpoint = inject('etcdEndpoint');
// eslint-disable-next-line no-control-regex
const ansi = /\x1b\[[0-9;]*m/;

describe('output formats of the built bin', () => {
  const root = randomPrefix();
  const prefix = `${root}micro/registry/`;
  const domainPrefix = `${root}domains/`;
  const env = { MICRO_REGISTRY_ADDRESS: endpoint };
  const base = ['--prefix', prefix];
  // Loopback port 1: refused at once, so check is quick and its result known (exit 8).
  const nodes = [
    { name: 'go.micro.srv.greeter', version: '1.10.0', id: 'greeter-a', address: '127.0.0.10:1' },
    { name: 'go.micro.srv.greeter', version: '1.10.0', id: 'greeter-b', address: '127.0.0.9:1' },
    { name: 'go.micro.srv.auth', version: '1.9.0', id: 'auth-a', address: '127.0.0.2:1' },
  ];

  beforeAll(async () => {
    const micro = fixture('micro-v2-greeter');
    const domain = fixture('domain-micro-greeter');
    const value = (f: typeof micro, n: (typeof nodes)[number]): string => {
      const v = JSON.parse(f.bytes) as { name: string; version: string; nodes: { id: string; address: string }[] };
      return JSON.stringify({ ...v, name: n.name, version: n.version, nodes: [{ ...v.nodes[0]!, id: n.id, address: n.address }] });
    };
    await seed(endpoint, [
      ...nodes.map((n) => ({ key: `${prefix}${n.name}/${n.id}`, value: value(micro, n), ttl: 120 })),
      // micro v3 domains: the same service in two of them
      { key: domain.key.replace('/micro/registry/micro/', `${domainPrefix}micro/`), value: domain.bytes, ttl: 120 },
      { key: domain.key.replace('/micro/registry/micro/', `${domainPrefix}prod/`), value: domain.bytes, ttl: 120 },
    ]);
  });
  afterAll(() => killAll());

  const bin = (args: string[], extraEnv: Record<string, string> = {}) => runBin([...base, ...args], { env: { ...env, ...extraEnv } });

  it('-o yaml is the -o json document, for list, get, check, watch and export', async () => {
    for (const args of [['list'], ['get', 'go.micro.srv.greeter'], ['check'], ['export', '--no-ttl']]) {
      const json = await bin([...args, '-o', 'json']);
      // The shared etcd's revision moves with other tests' writes: the YAML export reads at the JSON one's.
      const pinned = args[0] === 'export' ? ['--revision', String((JSON.parse(json.stdout) as { revision: string }).revision)] : [];
      const yaml = await bin([...args, ...pinned, '-o', 'yaml']);
      expect([0, 8], `${args.join(' ')}: ${json.stderr}`).toContain(json.code);
      expect(yaml.code, args.join(' ')).toBe(json.code);
      // What differs from one run to the next: TTLs count down, latencies and the export's time.
      const norm = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x: unknown) => (['ttl', 'latencyMs', 'error', 'createdAt', 'exportedAt'].includes(k) ? undefined : x)));
      const fromJson = norm(JSON.parse(json.stdout));
      expect(norm(await parseYaml(yaml.stdout)), args.join(' ')).toEqual(fromJson);
      expect(JSON.stringify(fromJson)).toContain('127.0.0.9:1');
    }
    // watch: one YAML document per event
    const watch = await bin(['watch', '--initial', '--count', '3', '-o', 'yaml']);
    expect(watch.code).toBe(0);
    const docs = watch.stdout.split(/^---\n/m).filter((d) => d.trim() !== '');
    expect(docs).toHaveLength(3);
    for (const d of docs) expect(await parseYaml(d)).toMatchObject({ action: 'create', node: { layout: 'micro' } });
  });

  it('-o jsonpath over the same document, on every command; a bad template exits 2 naming the column', async () => {
    const list = await bin(['list', '-o', 'jsonpath={range .[*]}{.name}{"\\t"}{.version}{"\\t"}{.nodes.length}{"\\n"}{end}']);
    expect(list.stdout).toBe('go.micro.srv.auth\t1.9.0\t1\ngo.micro.srv.greeter\t1.10.0\t2\n');
    const get = await bin(['get', 'go.micro.srv.greeter', '-o', 'jsonpath={.[*].nodes[*].id}']);
    expect(get.stdout).toBe('greeter-a greeter-b');
    const check = await bin(['check', '-o', 'jsonpath={range .[*]}{.id}={.reachable}{"\\n"}{end}']);
    expect(check.code).toBe(8);
    expect(check.stdout.split('\n').sort()).toEqual(['', 'auth-a=false', 'greeter-a=false', 'greeter-b=false']);
    const watch = await bin(['watch', '--initial', '--count', '1', '-o', 'jsonpath={.action} {.node.service}{"\\n"}', 'go.micro.srv.auth']);
    expect(watch.stdout).toBe('create go.micro.srv.auth\n');
    const exported = await bin(['export', '-o', 'jsonpath={.records[*].key}']);
    expect(exported.stdout.split(' ').sort()).toEqual(nodes.map((n) => `${prefix}${n.name}/${n.id}`).sort());
    const bad = await bin(['list', '-o', 'jsonpath={range .[*]}{.name}']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: invalid jsonpath template: \{range\} without \{end\} at column 1$/m);
    expect(bad.stdout).toBe('');
  });

  it('-o custom-columns, --no-headers and --sort-by on list, get and check', async () => {
    const list = await bin(['list', '-o', 'custom-columns=NAME:.name,NODES:.nodes.length', '--sort-by', '.nodes.length']);
    expect(list.stdout).toBe('NAME\tNODES\ngo.micro.srv.auth\t1\ngo.micro.srv.greeter\t2\n');
    const reversed = await bin(['list', '--no-headers', '--sort-by', '.version']);
    expect(reversed.stdout.split('\n')[0]).toMatch(/^go\.micro\.srv\.auth\t1\.9\.0\t/);
    const get = await bin(['get', 'go.micro.srv.greeter', 'go.micro.srv.auth', '-o', 'custom-columns=NAME:.name,ADDRESSES:.nodes[*].address', '--no-headers']);
    expect(get.stdout).toBe('go.micro.srv.auth\t127.0.0.2:1\ngo.micro.srv.greeter\t127.0.0.10:1,127.0.0.9:1\n');
    const check = await bin(['check', '-o', 'custom-columns=ID:.id,ADDRESS:.address,UP:.reachable', '--sort-by', '.address']);
    expect(check.code).toBe(8);
    expect(check.stdout).toBe('ID\tADDRESS\tUP\nauth-a\t127.0.0.2:1\tfalse\ngreeter-b\t127.0.0.9:1\tfalse\ngreeter-a\t127.0.0.10:1\tfalse\n');
    const wide = await bin(['list', '-o', 'wide', '--no-headers', 'go.micro.srv.greeter']);
    expect(wide.stdout).toContain('127.0.0.9:1,127.0.0.10:1');
    const badSort = await bin(['list', '--sort-by', '.a[']);
    expect(badSort.code).toBe(2);
    expect(badSort.stderr).toMatch(/^error: invalid --sort-by "\.a\[": .*column/m);
  });

  it('several names: the found are printed, a missing one exits 3 naming it', async () => {
    const get = await bin(['get', 'go.micro.srv.greeter', 'go.micro.srv.nope', 'go.micro.srv.auth', '-o', 'jsonpath={.[*].name}']);
    expect(get.code).toBe(3);
    expect(get.stdout).toBe('go.micro.srv.auth go.micro.srv.greeter');
    expect(get.stderr).toMatch(/^error: service not found: go\.micro\.srv\.nope$/m);
    const glob = await bin(['get', 'go.micro.srv.*', '-o', 'jsonpath={.[*].name}']);
    expect(glob.stdout).toBe('go.micro.srv.auth go.micro.srv.greeter');
    const check = await bin(['check', 'go.micro.srv.auth', 'go.micro.srv.nope', '-o', 'jsonpath={.[*].id}']);
    expect(check.code).toBe(3);
    expect(check.stdout).toBe('auth-a');
    const dereg = await bin(['deregister', 'go.micro.srv.auth', 'go.micro.srv.nope', 'go.micro.srv.greeter', '--all', '--dry-run', '-o', 'json']);
    expect(dereg.code).toBe(3);
    expect((JSON.parse(dereg.stdout) as { removed: { id: string }[] }).removed.map((n) => n.id).sort()).toEqual(['auth-a', 'greeter-a', 'greeter-b']);
    expect(dereg.stderr).toMatch(/service not found: go\.micro\.srv\.nope/);
    const wait = await bin(['wait', 'go.micro.srv.greeter', 'go.micro.srv.auth', '--nodes', '1', '--timeout', '20s', '-o', 'jsonpath={.[*].name}']);
    expect(wait.code).toBe(0);
    expect(wait.stdout).toBe('go.micro.srv.auth go.micro.srv.greeter');
    const waitMissing = await bin(['wait', 'go.micro.srv.greeter', 'go.micro.srv.nope', '--timeout', '1s']);
    expect(waitMissing.code).toBe(7);
    expect(waitMissing.stderr).toMatch(/go\.micro\.srv\.greeter: 1\/1 node, go\.micro\.srv\.nope: 0\/1 node/);
    const none = await bin(['get', 'go.micro.srv.nope1', 'go.micro.srv.nope2']);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/services not found: go\.micro\.srv\.nope1, go\.micro\.srv\.nope2/);
  });

  it('-A reads every micro v3 domain', async () => {
    const all = await runBin(['--prefix', domainPrefix, '-A', 'list', '-o', 'jsonpath={.[*].domain}'], { env });
    expect(all.code).toBe(0);
    expect(all.stdout.split(' ').sort()).toEqual(['micro', 'prod']);
    const long = await runBin(['--prefix', domainPrefix, 'list', '--all-domains', '-o', 'jsonpath={.[*].domain}'], { env });
    expect(long.stdout).toBe(all.stdout);
    const clash = await runBin(['--prefix', domainPrefix, '-A', '--domain', 'prod', 'list'], { env });
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/-A \(--all-domains\) reads every domain: it does not go with --domain prod/);
  });

  it('every command’s node output validates against docs/node.schema.json', async () => {
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    const schema = JSON.parse(readFileSync(new URL('../../docs/node.schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
    const nodesOf: Record<string, unknown[]> = {};
    nodesOf.check = JSON.parse((await bin(['check', '-o', 'json'])).stdout);
    nodesOf.deregister = (JSON.parse((await bin(['deregister', 'go.micro.srv.greeter', '--all', '--dry-run', '-o', 'json'])).stdout) as { removed: unknown[] }).removed;
    nodesOf.register = (await bin(['register', '--name', 'go.micro.srv.new', '--address', '127.0.0.1:1', '--dry-run', '-o', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    nodesOf.watch = (await bin(['watch', '--initial', '--count', '3', '-o', 'json'])).stdout.trim().split('\n').map((l) => (JSON.parse(l) as { node: unknown }).node);
    for (const [command, list] of Object.entries(nodesOf)) {
      expect(list.length, command).toBeGreaterThan(0);
      for (const node of list) expect(validate(node), `${command}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });

  it('on a terminal: list ends with its totals, JSON and YAML are coloured; never with NO_COLOR, never piped', async () => {
    const list = new TmuxSession([...base, 'list'], { env, width: 120 });
    try {
      expect(await list.exitCode()).toBe(0);
      expect(list.screen()).toMatch(/^go\.micro\.srv\.greeter\s+1\.10\.0\s+2\s+.*\n2 services, 3 nodes$/m);
    } finally {
      list.close();
    }
    // custom-columns on a narrow terminal: fitted like every table; jsonpath prints what it prints piped.
    const narrow = new TmuxSession([...base, 'list', '-o', 'custom-columns=NAME:.name,KEYS:.nodes[*].key', '--no-headers'], { env, width: 40 });
    const template = new TmuxSession([...base, 'list', '-o', 'jsonpath={.[*].name}'], { env, width: 120 });
    try {
      expect(await narrow.exitCode()).toBe(0);
      const lines = narrow.screen().split('\n').filter((l) => l.trim() !== '');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^go\.micro\.srv\.auth\s+\S*…$/);
      expect(lines.every((l) => l.length <= 40)).toBe(true);
      expect(await template.exitCode()).toBe(0);
      expect(template.screen()).toMatch(/^go\.micro\.srv\.auth go\.micro\.srv\.greeter/m);
    } finally {
      narrow.close();
      template.close();
    }
    for (const format of ['json', 'yaml']) {
      const coloured = new TmuxSession([...base, 'get', 'go.micro.srv.auth', '-o', format], { env, width: 120 });
      const noColour = new TmuxSession([...base, 'get', 'go.micro.srv.auth', '-o', format], { env: { ...env, NO_COLOR: '1' }, width: 120 });
      try {
        expect(await coloured.exitCode()).toBe(0);
        expect(await noColour.exitCode()).toBe(0);
        expect(coloured.screen(true), format).toMatch(ansi);
        expect(coloured.screen()).toContain('127.0.0.2:1');
        expect(noColour.screen(true), format).not.toMatch(ansi);
      } finally {
        coloured.close();
        noColour.close();
      }
      const piped = await bin(['get', 'go.micro.srv.auth', '-o', format], { FORCE_COLOR: '1' });
      expect(piped.stdout, format).not.toMatch(ansi);
    }
  });
});
