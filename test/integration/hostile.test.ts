// The hostile registry (issue 11): records written the way an attacker with write access to the registry
// prefix would write them — escape sequences and control characters in every field, names holding
// newlines and shell code, keys that are not UTF-8 next to their U+FFFD look-alikes, 10,000-deep nesting,
// a 10 MiB value, globs as names — read by every read command in every output mode, piped and as a
// terminal (a TestIO that says it is one, and a real pty through tmux). No byte of an escape sequence
// may come out raw, every command exits with its documented code, reads change nothing, and a delete
// removes exactly the key it showed (checked against raw etcd reads).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { prefixRangeEnd } from '../../src/registry/keys.js';
import { etcdClient, randomPrefix, runCli } from '../helpers/cli.js';
import { startEtcd } from '../helpers/etcd.js';
import { closedPort as closedPortNumber } from '../helpers/ports.js';
import { binPath } from '../helpers/process.js';
import { TmuxSession } from '../helpers/tmux.js';

const endpoint = inject('etcdEndpoint');

/** A go-micro v6 record of one node, as bytes; `raw` splices bytes in where `@@raw@@` stands in the JSON. */
function record(name: string, id: string, address: string, extra: Record<string, unknown> = {}, raw?: Buffer): Buffer {
  const json = JSON.stringify({ name, version: extra.version ?? '1.0.0', metadata: extra.metadata ?? null, endpoints: extra.endpoints ?? [], nodes: [{ metadata: extra.nodeMetadata ?? null, id, address }] });
  if (raw === undefined) return Buffer.from(json);
  const [before, after] = json.split('@@raw@@') as [string, string];
  return Buffer.concat([Buffer.from(before), raw, Buffer.from(after)]);
}

type Put = [key: Buffer, value: Buffer];

/** Writes the keys in one transaction (so they share one mod revision), byte for byte. */
async function putRaw(puts: readonly Put[], at = endpoint): Promise<void> {
  const client = etcdClient(at);
  try {
    await client.etcd.kv.txn({ compare: [], success: puts.map(([key, value]) => ({ request_put: { key, value } })), failure: [] });
  } finally {
    client.close();
  }
}

/** Every key under a prefix with its value and mod revision, raw (hex), as etcdctl would see them. */
async function rawRead(prefix: string): Promise<string[]> {
  const client = etcdClient(endpoint);
  try {
    const res = await client.etcd.kv.range({ key: Buffer.from(prefix), range_end: prefixRangeEnd(Buffer.from(prefix)) });
    return res.kvs.map((kv) => `${kv.key.toString('hex')} ${kv.mod_revision} ${kv.value.toString('hex')}`);
  } finally {
    client.close();
  }
}

const hex = (s: string | Buffer): string => Buffer.from(s).toString('hex');

/** Control characters micro-reg may write itself: its colours (SGR) only; rows end in \n, piped cells are \t-separated. */
// eslint-disable-next-line no-control-regex
const ownColours = /\x1b\[[0-9;]*m/g;
// eslint-disable-next-line no-control-regex
const rawControl = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

function expectSafe(what: string, text: string): void {
  const left = text.replace(ownColours, '');
  const m = rawControl.exec(left);
  expect(m, `${what}: raw U+${m?.[0].charCodeAt(0).toString(16).padStart(4, '0')} in ${JSON.stringify(left.slice(Math.max(0, (m?.index ?? 0) - 40), (m?.index ?? 0) + 40))}`).toBeNull();
}

const title = '\x1b]0;pwned-title\x07';
const evil = `evil${title}`;

describe('a registry written by an attacker', () => {
  const prefix = randomPrefix();
  const u8Prefix = randomPrefix();
  let closedPort: number;
  let openPort: number;
  let listener: Server;
  let before: string[];

  /** The two u8 nodes: key n\xff (value id n\xff too) and its look-alike n\uFFFD (ef bf bd), one revision. */
  const u8Puts = (p: string): Put[] => [
    [Buffer.concat([Buffer.from(`${p}u8/n`), Buffer.from([0xff])]), record('u8', 'n@@raw@@', `127.0.0.1:${closedPort}`, {}, Buffer.from([0xff]))],
    [Buffer.from(`${p}u8/n\ufffd`), record('u8', 'n\ufffd', `127.0.0.1:${openPort}`)],
  ];

  beforeAll(async () => {
    closedPort = await closedPortNumber();
    listener = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    openPort = (listener.address() as { port: number }).port;
    const addr = `127.0.0.1:${closedPort}`;
    let deep = '1';
    for (let i = 0; i < 10_000; i++) deep = `[${deep}]`;
    const deepValue = Buffer.from(`{"name":"deep","nodes":[{"id":"n1","address":"${addr}"}],"endpoints":[{"name":"E","x":${deep}}]}`);
    await putRaw([
      [
        Buffer.from(`${prefix}${evil}/n\u202eevil\r`),
        record(evil, 'n\u202eevil\r', addr, {
          version: '\x1b[2J',
          metadata: { '\x1b]52;c;cHduZWQ=\x07': '\x1b[?1049h' },
          endpoints: [{ name: 'E\u009b31m', request: { name: 'req\x1bP+q\x1b\\', type: 'T\x1b[5m', values: null }, response: null, metadata: { k: 'v\x00' } }],
          nodeMetadata: { 'k\n': 'v\x7f' },
        }),
      ],
      [Buffer.from(`${prefix}forged\nline/n1`), record('forged\nline', 'n1', addr)],
      [Buffer.from(`${prefix}$(touch pwned)/n1`), record('$(touch pwned)', 'n1', addr)],
      [Buffer.from(`${prefix}*/n1`), record('*', 'n1', addr)],
      [Buffer.from(`${prefix}[z-a]/n1`), record('[z-a]', 'n1', addr)],
      ...u8Puts(prefix),
      [Buffer.from(`${prefix}deep/n1`), deepValue],
      [Buffer.from(`${prefix}bad${title}/n1`), Buffer.from('not json \x1b[2J')],
    ]);
    before = await rawRead(prefix);
  });

  afterAll(() => listener.close());

  const args = (...rest: string[]): string[] => ['--endpoints', endpoint, '--prefix', prefix, ...rest];
  /** The records that decode: everything but deep and bad. */
  const valid = 7;

  it('every read command, in every output mode, piped and as a terminal: escapes shown, never emitted; documented exit codes', async () => {
    const runs: [string[], number][] = [
      ...['table', 'wide', 'json', 'names'].map((o): [string[], number] => [['list', '-o', o], 0]),
      [['list', 'evil*', '-o', 'wide'], 0],
      [['list', '[*]', '-o', 'names'], 0],
      [['list', '[z-a]'], 2],
      [['list', '--strict'], 6],
      ...['table', 'wide', 'json'].map((o): [string[], number] => [['get', evil, '-o', o], 0]),
      ...['table', 'wide', 'json'].map((o): [string[], number] => [['get', 'u8', '-o', o], 0]),
      [['get', 'forged\nline'], 0],
      [['get', 'evil'], 3],
      [['get', 'deep'], 6],
      ...['table', 'wide', 'json'].map((o): [string[], number] => [['watch', '--initial', '--count', String(valid), '-o', o], 0]),
      ...['table', 'json'].map((o): [string[], number] => [['check', '--connect-timeout', '2s', '-o', o], 8]),
      ...['table', 'json'].map((o): [string[], number] => [['deregister', 'u8', '--dry-run', '-o', o], 0]),
    ];
    for (const tty of [false, true]) {
      for (const [command, code] of runs) {
        const what = `${JSON.stringify(command)} ${tty ? 'tty' : 'piped'}`;
        const r = await runCli(args(...command), { tty });
        expect(r.code, `${what}: ${r.stderr}`).toBe(code);
        expectSafe(`${what} stdout`, r.stdout);
        expectSafe(`${what} stderr`, r.stderr);
      }
    }
  });

  it('shows what it escapes: names one line each, keys that are not UTF-8 as \\xff, the malformed keys in the warnings', async () => {
    const names = await runCli(args('list', '-o', 'names'));
    expect(names.stdout.split('\n').filter(Boolean).sort()).toEqual(['$(touch pwned)', '*', '[z-a]', 'evil\\x1b]0;pwned-title\\x07', 'forged\\nline', 'u8'].sort());
    expect(names.stderr).toContain('skipped malformed record');
    expect(names.stderr).toContain(`${prefix}bad\\x1b]0;pwned-title\\x07/n1`);
    expect(names.stderr).toContain(`${prefix}deep/n1: the value nests deeper than`);
    const wide = await runCli(args('get', 'u8', '-o', 'wide'));
    expect(wide.stdout).toContain(`${prefix}u8/n\\xff`);
    expect(wide.stdout).toContain(`${prefix}u8/n\ufffd`);
    // On a terminal the escapes are dim (SGR 2), so that they read as escapes.
    const tty = await runCli(args('get', evil), { tty: true });
    expect(tty.stdout).toContain('evil\x1b[2m\\x1b');
    // The did-you-mean hint quotes a name from etcd: escaped too.
    const hint = await runCli(args('get', 'evil'));
    expect(hint.stderr).toContain('did you mean evil\\x1b]0;pwned-title\\x07');
    // JSON is exact: the same strings, escaped by JSON itself.
    const json = JSON.parse((await runCli(args('get', evil, '-o', 'json'))).stdout) as { name: string; version: string; endpoints: { name: string }[] }[];
    expect(json[0]).toMatchObject({ name: evil, version: '\x1b[2J', endpoints: [{ name: 'E\u009b31m' }] });
  });

  it('reads change nothing', async () => {
    await runCli(args('list', '-o', 'wide'));
    await runCli(args('check'));
    await runCli(args('deregister', 'u8', '--dry-run'));
    expect(await rawRead(prefix)).toEqual(before);
  });

  it('on a real terminal (tmux): the window title, the screen and the screen mode stay as they were', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'micro-reg-hostile-'));
    const run = `'${process.execPath}' '${binPath}' --endpoints ${endpoint} --prefix '${prefix}'`;
    const script = join(dir, 'reads.sh');
    writeFileSync(
      script,
      [
        'printf "MARKER-TOP\\n"',
        `${run} list -o wide`,
        `${run} list 'evil*'`,
        `${run} get u8 -o wide`,
        `${run} watch --initial --count ${valid}`,
        `${run} get evil`,
        // The full-screen table: micro-reg's own screen switch, undone when it ends.
        `${run} watch --live --for 1500ms`,
        'printf "ALL-DONE\\n"',
      ].join('\n'),
    );
    const session = new TmuxSession([], { shellCommand: `sh ${script}`, width: 200, height: 60 });
    try {
      await session.waitForScreen(/ALL-DONE/, 30_000);
      const screen = session.screen();
      expect(screen).toContain('MARKER-TOP');
      expect(screen).toContain('evil\\x1b]0;pwned-title\\x07');
      expect(screen).toContain('did you mean');
      expect(session.display('#{pane_title}')).not.toContain('pwned');
      expect(session.display('#{alternate_on}')).toBe('0');
    } finally {
      session.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prompts show labels escaped: the deregister checkbox on a real pty, cancelled, nothing removed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'micro-reg-hostile-'));
    const script = join(dir, 'ask.sh');
    // The service name holds ESC and BEL: typed in single quotes in a script, as an operator could paste it.
    writeFileSync(script, `'${process.execPath}' '${binPath}' --endpoints ${endpoint} --prefix '${prefix}' deregister '${evil}'\n`);
    const session = new TmuxSession([], { shellCommand: `sh ${script}`, width: 200, height: 40 });
    try {
      const screen = await session.waitForScreen(/to deregister/);
      expect(screen).toContain('Nodes of evil\\x1b]0;pwned-title\\x07 to deregister');
      expect(screen).toContain('n\\u202eevil\\r');
      expect(session.display('#{pane_title}')).not.toContain('pwned');
      session.keys('C-c');
      await session.waitForScreen(/cancelled/);
    } finally {
      session.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await rawRead(prefix)).toEqual(before);
  });

  describe('keys that are not UTF-8, next to their U+FFFD look-alike (one mod revision)', () => {
    const dargs = (...rest: string[]): string[] => ['--endpoints', endpoint, '--prefix', u8Prefix, ...rest];
    const ff = hex(Buffer.concat([Buffer.from(`${u8Prefix}u8/n`), Buffer.from([0xff])]));
    const fffd = hex(`${u8Prefix}u8/n\ufffd`);
    const keys = async (): Promise<string[]> => (await rawRead(u8Prefix)).map((l) => l.split(' ')[0]!).sort();

    it('deregister --node as shown (n\\xff) removes exactly that key', async () => {
      await putRaw(u8Puts(u8Prefix));
      const r = await runCli(dargs('deregister', 'u8', '--node', 'n\\xff', '--yes'));
      expect(r.code, r.stderr).toBe(0);
      expect(await keys()).toEqual([fffd]);
    });

    it('deregister --node n\\uFFFD removes the real U+FFFD key and leaves the other', async () => {
      await putRaw(u8Puts(u8Prefix));
      expect(await keys()).toEqual([fffd, ff].sort());
      const r = await runCli(dargs('deregister', 'u8', '--node', 'n\ufffd', '--yes'));
      expect(r.code, r.stderr).toBe(0);
      // One node shown and removed: the n\xff node (id n\xff) is not the one asked for.
      expect(r.stderr).toContain('removed 1 node of u8');
      expect(r.stdout).not.toContain('n\\xff');
      expect(await keys()).toEqual([ff]);
    });

    it('check --prune removes the unreachable one by its exact bytes, and keeps the reachable look-alike', async () => {
      await putRaw(u8Puts(u8Prefix));
      const r = await runCli(dargs('check', 'u8', '--prune', '--yes', '--connect-timeout', '2s'));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`(${u8Prefix}u8/n\\xff)`);
      expect(await keys()).toEqual([fffd]);
    });
  });

  it('a 10 MiB value is read, listed and shown (an etcd that takes such requests)', async () => {
    const server = await startEtcd({ maxRequestBytes: 12 * 1024 * 1024 });
    try {
      const big = randomPrefix();
      await putRaw([[Buffer.from(`${big}big/n1`), record('big', 'n1', '127.0.0.1:1', { metadata: { blob: `\x1b[2J${'x'.repeat(10 * 1024 * 1024)}` } })]], server.endpoint);
      const json = await runCli(['--endpoints', server.endpoint, '--prefix', big, 'list', '-o', 'json']);
      expect(json.code, json.stderr).toBe(0);
      expect(json.stdout.length).toBeGreaterThan(10 * 1024 * 1024);
      const wide = await runCli(['--endpoints', server.endpoint, '--prefix', big, 'get', 'big', '-o', 'wide'], { tty: true });
      expect(wide.code, wide.stderr).toBe(0);
      expectSafe('get -o wide of a 10 MiB value', wide.stdout);
    } finally {
      await server.stop();
    }
  });
});
