// Faults and hostile input against real etcd: a registry full of fuzzed bad records, a stopped and a
// frozen etcd, bad arguments to every command, secrets that must never be printed, a read-only user.
// The commands come from test/helpers/commands.ts, so new commands join these tests by being added there.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KeySpace } from '../../src/registry/keys.js';
import type { Service } from '../../src/registry/model.js';
import { etcdClient, randomPrefix, runCli } from '../helpers/cli.js';
import { absentService, badGlobalOptions, commandsUnderTest, refusedByEveryCommand } from '../helpers/commands.js';
import { type EtcdServer, etcdctl, startEtcd } from '../helpers/etcd.js';
import { closedAddress } from '../helpers/ports.js';
import { loadFixtures } from '../helpers/fixtures.js';
import { type FuzzCase, Rng, fuzzSeed, genCase, genCaseOf } from '../helpers/fuzz.js';
import { runBin } from '../helpers/process.js';
import { loadMarginMs } from '../helpers/wait.js';
import { decodeBytes } from '../../src/registry/bytes.js';
import { sanitize } from '../../src/render/sanitize.js';

const endpoint = inject('etcdEndpoint');

/** A config directory of this file's own: `config` commands never touch the real ~/.config. */
const configHome = mkdtempSync(join(tmpdir(), 'micro-reg-faults-config-'));
afterAll(() => rmSync(configHome, { recursive: true, force: true }));
const configEnv = { XDG_CONFIG_HOME: configHome };

/** Runs the tasks, at most `width` at a time (processes that mostly wait on a dead etcd). */
async function inParallel(tasks: (() => Promise<void>)[], width: number): Promise<void> {
  const pending = [...tasks];
  await Promise.all(Array.from({ length: width }, async () => {
    for (let t = pending.shift(); t; t = pending.shift()) await t();
  }));
}

interface RawEntry {
  key: string | Buffer;
  value: string | Uint8Array;
}

/** Writes raw bytes as a broken client would, 16 puts at a time. */
async function seedRaw(at: string, entries: readonly RawEntry[]): Promise<void> {
  const client = etcdClient(at, 10_000);
  try {
    const pending = [...entries];
    const worker = async (): Promise<void> => {
      for (let e = pending.shift(); e; e = pending.shift()) {
        const entry = e;
        await client.call(() => client.etcd.kv.put({ key: Buffer.from(entry.key), value: Buffer.from(entry.value) }));
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
  } finally {
    client.close();
  }
}

interface JsonService {
  name: string;
  version: string;
  metadata: unknown;
  endpoints: unknown;
  nodes: { id: string; address: string; metadata: unknown; key: string }[];
}

const listSeed = fuzzSeed();

// The seed is in the name, so every failure of these tests says how to replay it (FUZZ_SEED=…).
describe(`list over a registry seeded with fuzzed bad records (FUZZ_SEED=${listSeed})`, () => {
  const seed = listSeed;
  const prefix = randomPrefix();
  const space: KeySpace = { layout: 'micro', prefix };
  /** Good records by key, as they must come back. */
  const good = new Map<string, Service>();
  const malformedKeys = new Set<string>();
  let foreign = 0;

  beforeAll(async () => {
    const rng = new Rng(seed);
    const cases: FuzzCase[] = [];
    for (let i = 0; i < 400; i++) cases.push(genCase(rng, {}, space));
    for (const kind of ['1 MiB values', 'nested 10,000 deep']) for (let i = 0; i < 4; i++) cases.push(genCaseOf(kind, rng, space));
    const entries: RawEntry[] = [];
    // The last write of a key wins, as in etcd.
    const byKey = new Map<string, FuzzCase>();
    for (const c of cases) if (c.expect.kind !== 'record-or-malformed') byKey.set(c.kv.key, c);
    for (const [key, c] of byKey) {
      // A key that is not UTF-8 is written as its bytes (the text holds them as U+DC80+byte).
      entries.push({ key: c.kv.keyBytes ?? key, value: c.kv.value });
      if (c.expect.kind === 'record') good.set(key, c.expect.service);
      else if (c.expect.kind === 'malformed') malformedKeys.add(key);
      else foreign++;
    }
    // Records exactly as go-micro writes them, moved under the prefix. The go-micro v2 and v6 fixtures
    // share a key: each gets a node id of its own, since the seeding writes in parallel and two values of
    // one key would race.
    for (const f of loadFixtures().filter((x) => x.family === 'micro')) {
      const id = 'd3e0d7a4';
      const own = `${f.file.replace(/\.json$/, '')}`;
      const bytes = f.bytes.replaceAll(id, own);
      const key = f.key.replace('/micro/registry/', prefix).replaceAll(id, own);
      // What must come back is the fixture itself (go-micro's own JSON), not what the codec makes of it.
      entries.push({ key, value: bytes });
      good.set(key, JSON.parse(bytes) as Service);
    }
    // A key with invalid UTF-8 bytes keeps them (U+DC80+byte, shown \xff), as its value's name does: still a record.
    const badKey = Buffer.concat([Buffer.from(`${prefix}svc`), Buffer.from([0xff]), Buffer.from('/node-1')]);
    const badName = { name: 'svc\udcff', version: '1', metadata: null, endpoints: null, nodes: [{ id: 'node-1', address: '10.0.0.1:1', metadata: null }] };
    entries.push({ key: badKey, value: Buffer.concat([Buffer.from('{"name":"svc'), Buffer.from([0xff]), Buffer.from(JSON.stringify(badName).slice('{"name":"svc\\udcff'.length))]) });
    good.set(decodeBytes(badKey), badName);
    await seedRaw(endpoint, entries);
    console.info(`fuzzed registry (FUZZ_SEED=${seed}): ${entries.length} keys: ${good.size} good, ${malformedKeys.size} malformed, ${foreign} foreign`);
  }, 120_000);

  const base = (): string[] => ['--endpoints', endpoint, '--prefix', prefix];

  it('exits 0 listing every good record intact, with one warning per malformed record', async () => {
    const r = await runCli([...base(), 'list', '-o', 'json']);
    expect(r.code, r.stderr.slice(0, 2000)).toBe(0);
    const services = JSON.parse(r.stdout) as JsonService[];
    const listed = new Map(services.flatMap((s) => s.nodes.map((n) => [n.key, { service: s, node: n }] as const)));
    // Records lost: 0; nothing listed that was not a good record.
    expect([...listed.keys()].sort()).toEqual([...good.keys()].sort());
    // The first record of a name+version (in etcd's byte order of keys) gives the group's metadata and endpoints, as in go-micro.
    const firstOfGroup = new Map<string, string>();
    for (const key of [...good.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
      const s = good.get(key)!;
      const group = `${s.name}\0${s.version}`;
      if (!firstOfGroup.has(group)) firstOfGroup.set(group, key);
    }
    for (const [key, want] of good) {
      const { service, node } = listed.get(key)!;
      expect({ name: service.name, version: service.version }, key).toEqual({ name: want.name, version: want.version });
      expect({ id: node.id, address: node.address, metadata: node.metadata }, key).toStrictEqual(JSON.parse(JSON.stringify(want.nodes[0])));
      if (firstOfGroup.get(`${want.name}\0${want.version}`) === key) {
        expect({ metadata: service.metadata, endpoints: service.endpoints }, key).toStrictEqual(JSON.parse(JSON.stringify({ metadata: want.metadata, endpoints: want.endpoints })));
      }
    }
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning: skipped malformed record '));
    expect(warnings).toHaveLength(malformedKeys.size);
    // Keys are shown through the sanitiser (control characters, bytes that are not UTF-8, escaped).
    for (const key of malformedKeys) expect(r.stderr).toContain(`warning: skipped malformed record ${sanitize(key)}: `);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(foreign + malformedKeys.size + good.size).toBeGreaterThan(350);
  });

  it('the table output lists the same services and exits 0', async () => {
    const r = await runCli([...base(), 'list', '-o', 'names']);
    expect(r.code).toBe(0);
    // One line a name, escaped: a name with a newline is one line too.
    expect(r.stdout.split('\n').filter((l) => l !== '').sort()).toEqual([...new Set([...good.values()].map((s) => sanitize(s.name)))].sort());
  });

  it('exits 6 with --strict, naming a malformed record, with nothing on stdout', async () => {
    const r = await runCli([...base(), 'list', '--strict']);
    expect(r.code).toBe(6);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: malformed record .*\(and \d+ more\)\nhint: /);
    const json = await runCli([...base(), 'list', '--strict', '-o', 'json']);
    expect(json.code).toBe(6);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'malformed_record', exitCode: 6 } });
  });

  it('get reads a good service among the bad ones', async () => {
    const [key, want] = [...good.entries()].find(([k]) => k.startsWith(prefix) && /^[\x20-\x7e]+$/.test(k))!;
    // After "--": a generated name may start with "-" (FUZZ_SEED=2275870454 made "-go.micro.srv.greeter").
    const r = await runCli([...base(), 'get', '-o', 'json', '--', want.name]);
    expect(r.code, r.stderr.slice(0, 1000)).toBe(0);
    expect((JSON.parse(r.stdout) as JsonService[]).flatMap((s) => s.nodes.map((n) => n.key))).toContain(key);
  });
});

describe('a stopped and a frozen etcd: every one-shot command exits 4 within --timeout + 1 s', () => {
  let server: EtcdServer;
  beforeAll(async () => {
    server = await startEtcd({ enableV2: true });
  });
  afterAll(async () => {
    try {
      server.thaw();
    } catch {
      // not running
    }
    await server.stop();
  });

  const layouts = [[], ['--layout', 'v2'], ['--layout', 'auto'], ['--layout', 'domain']];

  /**
   * A command that connects exits 4 within --timeout + 1 s, with one error line and a hint; one that
   * does not (completion, config) exits 0 just as fast: it never waits for etcd.
   */
  async function expectFailFastWithin(endpointArg: string, args: string[], connects: boolean): Promise<void> {
    const started = Date.now();
    const r = await runBin(['--endpoints', endpointArg, '--timeout', '1s', ...args], { timeoutMs: 20_000, env: configEnv });
    const ms = Date.now() - started;
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(connects ? 4 : 0);
    // --timeout + 1 s is the promise; the margin is for a loaded machine running four of them at once.
    expect(ms, args.join(' ')).toBeLessThan(2000 + loadMarginMs);
    if (connects) expect(r.stderr).toMatch(/^error: .*\nhint: .*\n$/);
  }

  /** Every command in every layout, four processes at a time: each mostly waits for its deadline. */
  const runs = (endpoints: () => string[]): (() => Promise<void>)[] =>
    commandsUnderTest.flatMap((c) => layouts.flatMap((layout) => endpoints().map((e) => () => expectFailFastWithin(e, [...layout, ...c.args], c.connects))));

  it(`frozen (SIGSTOP): ${commandsUnderTest.map((c) => c.name).join(', ')}`, async () => {
    server.freeze();
    try {
      await inParallel(runs(() => [server.endpoint]), 4);
    } finally {
      server.thaw();
    }
  });

  it('stopped (SIGKILL), and a port nobody listens on', async () => {
    await server.kill();
    const closed = await closedAddress();
    await inParallel(runs(() => [server.endpoint, closed]), 4);
    server = await server.restart();
  });
});

describe('bad arguments exit 2 with a message naming the problem, never 1', () => {
  const cases: [string, string[], RegExp][] = [];
  for (const c of commandsUnderTest) {
    for (const [args, message] of c.badArguments) cases.push([c.name, args, message]);
    for (const [options, message] of badGlobalOptions) {
      if (!c.connects && !refusedByEveryCommand(message)) continue;
      // Global options go before the command or after it. Before it, an option missing its value takes
      // the command as its value: then the message says so.
      const missingValue = message.source.includes('argument missing');
      const option = options[options.length - 1]!;
      cases.push([c.name, [...options, ...c.args], missingValue ? new RegExp(`(no command given|unknown command .*|unknown option .*): "${c.args[0]}" was taken as the value of ${option}`) : message]);
      cases.push([c.name, [...c.args, ...options], message]);
    }
  }

  it(`${cases.length} cases over ${commandsUnderTest.map((c) => c.name).join(', ')}`, async () => {
    const prefix = randomPrefix();
    for (const [name, args, message] of cases) {
      const r = await runCli(['--endpoints', endpoint, ...(args.includes('--prefix') || args.includes('--layout') ? [] : ['--prefix', prefix]), ...args], { env: configEnv });
      const what = `${name}: micro-reg ${args.join(' ')}`;
      expect(r.code, `${what}\n${r.stderr}`).toBe(2);
      expect(r.stderr, what).toMatch(/^error: /);
      expect(r.stderr.split('\n')[0], what).toMatch(message);
      expect(r.stdout, what).toBe('');
      // -o json: the same error as one JSON line.
      const json = await runCli(['-o', 'json', '--endpoints', endpoint, ...(args.includes('--prefix') || args.includes('--layout') ? [] : ['--prefix', prefix]), ...args], { env: configEnv });
      if (!args.includes('-o')) {
        expect(json.code, what).toBe(2);
        expect(JSON.parse(json.stderr), what).toMatchObject({ error: { code: 'usage', exitCode: 2 } });
      }
    }
  });

  it('300 random argument vectors: never exit 1, every failure one error line', async () => {
    const seed = fuzzSeed();
    const rng = new Rng(seed);
    const closed = await closedAddress();
    const prefix = randomPrefix();
    const tokens = [
      'list', 'get', 'ls', absentService, '..', '', '-', '--', '-o', 'json', 'wide', 'names', 'table', 'yaml', '--timeout', '300ms', '5x', '0',
      '--layout', 'micro', 'v2', 'legacy', 'domain', 'auto', '--domain', '*', '--prefix', prefix, '/', '--selector', 'a=b', 'a', '--version',
      '--strict', '--debug', '--no-color', '--user', 'root:pw', '--password', 'pw', '--password-stdin', '--endpoints', endpoint, closed,
      'http://h', '--cert', '--key', '--cacert', '/nonexistent', '-h', '--help', '-V', '\u0000', '日本', '--bogus', '-x',
      // The other commands and their options (no --keepalive: it would run until stopped). Addresses are
      // closed loopback ports, so `check` connects nowhere else.
      'register', 'deregister', 'watch', 'wait', 'check', 'completion', 'config', 'bash', 'get-contexts', 'set-context', 'current-context',
      '--name', '--address', '127.0.0.1:1', '127.0.0.1:99999', '--id', '--ttl', '5', '-1', '--meta', 'k=v', '--file', '-', '--dry-run',
      '--node', '--all', '--yes', '--count', '1', '--for', '200ms', '--nodes', '--gone', '--prune', '--concurrency', '--connect-timeout',
    ];
    for (let i = 0; i < 300; i++) {
      const args = Array.from({ length: 1 + rng.int(7) }, () => rng.pick(tokens));
      // A watch ends: after the --for added right after it (a `--` later would make a --for pushed at the
      // end an operand) and after the one added last (the last value of an option wins).
      if (args.includes('watch')) {
        args.splice(args.indexOf('watch') + 1, 0, '--for', '300ms');
        args.push('--for', '300ms');
      }
      // Always a bounded etcd: the shared one, or a closed port with a short timeout.
      const argv = ['--endpoints', rng.chance(0.8) ? endpoint : closed, '--timeout', '300ms', '--prefix', prefix, ...args];
      // A run that does not end is a failure that names its arguments (in-process: it cannot be killed).
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([
        runCli(argv, { stdin: 'pw\n', env: configEnv }),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`FUZZ_SEED=${seed} case ${i} did not end within 10 s: micro-reg ${JSON.stringify(argv)}`)), 10_000))),
      ]).finally(() => clearTimeout(timer));
      const what = `FUZZ_SEED=${seed} case ${i}: micro-reg ${JSON.stringify(args)}\n${r.stderr}`;
      // 7: a wait timed out; 8: check found a registered 127.0.0.1:1 unreachable.
      expect([0, 2, 3, 4, 5, 6, 7, 8], what).toContain(r.code);
      if (r.code !== 0) expect(r.stderr, what).toMatch(/^(error: [^\n]*\n(hint: [^\n]*\n)?|\{"error":[^\n]*\}\n)/);
      if (!args.includes('--debug')) expect(r.stderr, what).not.toMatch(/\n\s+at /);
    }
  });
});

describe('secrets are never printed', () => {
  const secret = `pw-${randomBytes(6).toString('hex')}`;
  let authed: EtcdServer;
  let open: EtcdServer;
  beforeAll(async () => {
    [authed, open] = await Promise.all([startEtcd({ enableV2: true }), startEtcd()]);
    etcdctl(authed, ['user', 'add', 'root:rootpw']);
    etcdctl(authed, ['auth', 'enable']);
    // A context that holds the (wrong) password: one more way for it to come.
    const made = await runCli(['config', 'set-context', 'secret-ctx', '--endpoints', authed.endpoint, '--user', `root:${secret}`], { env: configEnv });
    expect(made.code, made.stderr).toBe(0);
  });
  afterAll(async () => {
    await Promise.all([authed.stop(), open.stop()]);
  });

  it('not in errors, --debug stack traces or -o json errors, whichever way the password came', async () => {
    const closed = await closedAddress();
    const waysWith = (password: string, context: string): { args: string[]; env?: Record<string, string>; stdin?: string }[] => [
      { args: ['--user', `root:${password}`] },
      { args: ['--user', 'root', '--password', password] },
      { args: ['--user', 'root', '--password-stdin'], stdin: `${password}\n` },
      { args: [], env: { ETCD_USERNAME: 'root', ETCD_PASSWORD: password } },
      { args: [], env: { ETCDCTL_USER: `root:${password}` } },
      { args: ['--context', context] },
    ];
    // Each way really delivers a password: with the right one, the same way is let in. (Without this, a
    // way that lost the password on the way would pass "never printed" for nothing.)
    const right = await runCli(['config', 'set-context', 'right-ctx', '--endpoints', authed.endpoint, '--user', 'root:rootpw'], { env: configEnv });
    expect(right.code, right.stderr).toBe(0);
    for (const way of waysWith('rootpw', 'right-ctx')) {
      const r = await runCli([...way.args, '--endpoints', authed.endpoint, 'list'], { env: { ...configEnv, ...way.env }, ...(way.stdin !== undefined ? { stdin: way.stdin } : {}) });
      expect(r.code, `${JSON.stringify(way)}: ${r.stderr}`).toBe(0);
    }
    const ways = waysWith(secret, 'secret-ctx');
    const situations: { args: string[]; code: number }[] = [
      { args: ['--endpoints', authed.endpoint, 'list'], code: 5 },
      { args: ['--endpoints', authed.endpoint, 'get', absentService], code: 5 },
      { args: ['--endpoints', open.endpoint, 'list'], code: 5 },
      { args: ['--endpoints', closed, '--timeout', '500ms', 'list'], code: 4 },
      { args: ['--endpoints', closed, '--timeout', '500ms', '--layout', 'v2', 'list'], code: 4 },
      { args: ['--endpoints', authed.endpoint, '--layout', 'nope', 'list'], code: 2 },
      { args: ['--endpoints', authed.endpoint, '--timeout', 'soon', 'list'], code: 2 },
      { args: ['--endpoints', authed.endpoint, 'get', '..'], code: 2 },
      // The other commands, refused by etcd.
      { args: ['--endpoints', authed.endpoint, 'register', '--name', 'svc', '--address', '127.0.0.1:1'], code: 5 },
      { args: ['--endpoints', authed.endpoint, 'deregister', 'svc', '--all', '--yes'], code: 5 },
      { args: ['--endpoints', authed.endpoint, 'watch', '--count', '1', '--for', '2s'], code: 5 },
      { args: ['--endpoints', authed.endpoint, 'wait', 'svc', '--timeout', '2s'], code: 5 },
      { args: ['--endpoints', authed.endpoint, 'check'], code: 5 },
      { args: ['--endpoints', closed, '--timeout', '500ms', 'register', '--name', 'svc', '--address', '127.0.0.1:1'], code: 4 },
      // Those that never connect; get-contexts lists the context that holds the password.
      { args: ['completion', 'bash'], code: 0 },
      { args: ['config', 'get-contexts'], code: 0 },
      { args: ['config', 'set-context', 'from-flags'], code: 0 },
    ];
    for (const way of ways) {
      for (const s of situations) {
        for (const extra of [[], ['--debug'], ['-o', 'json'], ['--debug', '-o', 'json']]) {
          const r = await runCli([...way.args, ...s.args, ...extra], { env: { ...configEnv, ...way.env }, ...(way.stdin !== undefined ? { stdin: way.stdin } : {}) });
          const what = `${JSON.stringify(way)} ${s.args.join(' ')} ${extra.join(' ')}`;
          expect(r.code, `${what}\n${r.stderr}`).toBe(s.code);
          expect(r.stdout + r.stderr, what).not.toContain(secret);
        }
      }
    }
  });

  it('not when it is put in an endpoint address', async () => {
    for (const e of [`http://root:${secret}@127.0.0.1:2379`, `root:${secret}@127.0.0.1:2379`, `https://${secret}@h`]) {
      for (const extra of [[], ['--debug'], ['-o', 'json']]) {
        const r = await runCli(['--endpoints', e, 'list', ...extra]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain('a user or password does not go in the address');
        expect(r.stdout + r.stderr).not.toContain(secret);
      }
    }
  });

  it('--password-stdin reads the password from standard input, one trailing newline trimmed', async () => {
    for (const stdin of ['rootpw', 'rootpw\n', 'rootpw\r\n']) {
      const r = await runCli(['--endpoints', authed.endpoint, '--user', 'root', '--password-stdin', 'list', '-o', 'names'], { stdin });
      expect(r, JSON.stringify(stdin)).toMatchObject({ code: 0, stderr: '' });
    }
    // Only one newline is trimmed: the rest is part of the password.
    const twice = await runCli(['--endpoints', authed.endpoint, '--user', 'root', '--password-stdin', 'list'], { stdin: 'rootpw\n\n' });
    expect(twice.code).toBe(5);
    const empty = await runCli(['--endpoints', authed.endpoint, '--user', 'root', '--password-stdin', 'list'], { stdin: '' });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^error: --password-stdin: standard input is empty/);
    const huge = await runCli(['--endpoints', authed.endpoint, '--user', 'root', '--password-stdin', 'list'], { stdin: 'x'.repeat(100_000) });
    expect(huge.code).toBe(2);
  });

  it('--password-stdin with --password, or without a user, is refused before standard input is read', async () => {
    // No stdin given: the stream stays open, so reading it would never finish.
    const both = await runCli(['--endpoints', authed.endpoint, '--user', 'root', '--password', 'x', '--password-stdin', 'list']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^error: --password and --password-stdin cannot be used together/);
    const noUser = await runCli(['--endpoints', authed.endpoint, '--password-stdin', 'list']);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toMatch(/^error: --password-stdin needs --user/);
  });

  it('the built bin reads --password-stdin from a pipe', async () => {
    const r = await runBin(['--endpoints', authed.endpoint, '--user', 'root', '--password-stdin', 'list', '-o', 'json'], { input: 'rootpw\n' });
    expect(r).toMatchObject({ code: 0, stdout: '[]\n' });
  });
});

describe('etcd with authentication and a read-only user', () => {
  let server: EtcdServer;
  const prefix = randomPrefix();
  const other = randomPrefix();
  const record = (name: string, id: string): string => JSON.stringify({ name, version: '1.0.0', metadata: null, endpoints: [], nodes: [{ id, address: '10.0.0.1:8080', metadata: { server: 'grpc' } }] });

  beforeAll(async () => {
    server = await startEtcd();
    etcdctl(server, ['put', `${prefix}greeter/greeter-1`, record('greeter', 'greeter-1')]);
    const lease = /lease ([0-9a-f]+) granted/.exec(etcdctl(server, ['lease', 'grant', '600']))![1]!;
    etcdctl(server, ['put', '--lease', lease, `${prefix}greeter/greeter-2`, record('greeter', 'greeter-2')]);
    etcdctl(server, ['put', `${other}secret/secret-1`, record('secret', 'secret-1')]);
    etcdctl(server, ['user', 'add', 'root:rootpw']);
    etcdctl(server, ['role', 'add', 'registry-reader']);
    etcdctl(server, ['role', 'grant-permission', '--prefix=true', 'registry-reader', 'read', prefix]);
    etcdctl(server, ['user', 'add', 'reader:readerpw']);
    etcdctl(server, ['user', 'grant-role', 'reader', 'registry-reader']);
    etcdctl(server, ['auth', 'enable']);
  });
  afterAll(() => server.stop());

  const reader = (): string[] => ['--endpoints', server.endpoint, '--user', 'reader:readerpw', '--prefix', prefix];

  it('list and get work with read permission on the prefix', async () => {
    const list = await runCli([...reader(), 'list', '-o', 'json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'greeter', version: '1.0.0', nodes: [{ id: 'greeter-1' }, { id: 'greeter-2' }] }]);
    const get = await runCli([...reader(), 'get', 'greeter', '-o', 'json']);
    expect(get.code, get.stderr).toBe(0);
    const nodes = (JSON.parse(get.stdout) as JsonService[])[0]!.nodes as { id: string; lease?: string; ttl?: number | null }[];
    expect(nodes.map((n) => n.id)).toEqual(['greeter-1', 'greeter-2']);
    expect(nodes[1]!.lease).toMatch(/^[0-9a-f]+$/);
  });

  /** Every key and lease in etcd, read as root: what a refused write must leave as it was. */
  const everything = (): { keys: string; leases: string } => ({
    keys: etcdctl(server, ['get', '', '--from-key', '-w', 'json'], ['--user', 'root:rootpw']).replace(/"header":\{[^}]*\},?/, ''),
    leases: etcdctl(server, ['lease', 'list'], ['--user', 'root:rootpw']),
  });

  it('register and deregister exit 5 with nothing written, deleted or leased', async () => {
    const before = everything();
    const writes = [
      ['register', '--name', 'greeter', '--address', '127.0.0.1:1', '--id', 'greeter-3'],
      ['register', '--name', 'greeter', '--address', '127.0.0.1:1', '--id', 'greeter-1', '--ttl', '0'],
      ['deregister', 'greeter', '--all', '--yes'],
      ['deregister', 'greeter', '--node', 'greeter-2', '--yes', '-o', 'json'],
    ];
    for (const args of writes) {
      const r = await runCli([...reader(), ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(5);
      expect(r.stderr).toMatch(/^(error: etcd at .* denied permission|\{"error":\{"code":"permission_denied")/);
      expect(r.stdout).toBe('');
    }
    expect(everything()).toEqual(before);
    // The records are all there, as a reader sees them.
    const list = await runCli([...reader(), 'get', 'greeter', '-o', 'json']);
    expect((JSON.parse(list.stdout) as JsonService[])[0]!.nodes.map((n) => n.id)).toEqual(['greeter-1', 'greeter-2']);
  });

  it('reading outside its permission exits 5, showing nothing', async () => {
    const r = await runCli(['--endpoints', server.endpoint, '--user', 'reader:readerpw', '--prefix', other, 'list', '-o', 'json']);
    expect(r.code).toBe(5);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'permission_denied', exitCode: 5 } });
  });
});
