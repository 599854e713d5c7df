// `watch --live` in a real pseudo-terminal (tmux running the built bin/micro-reg): the table appears,
// follows changes with colour, and Ctrl-C restores the terminal and exits 0.
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { etcdClient, randomPrefix } from '../helpers/cli.js';
import { fixture } from '../helpers/fixtures.js';
import { binPath } from '../helpers/process.js';
import { TmuxSession } from '../helpers/tmux.js';
import { waitFor } from '../helpers/wait.js';

const endpoint = inject('etcdEndpoint');

describe('watch --live in a terminal', () => {
  const client = etcdClient(endpoint);
  let t: TmuxSession | undefined;
  // Each test's terminal is closed after it (a second test must not leave the first one's tmux server running).
  afterEach(() => {
    t?.close();
    t = undefined;
  });
  afterAll(() => client.close());

  it('draws the nodes, redraws on change, and restores the terminal on Ctrl-C', async () => {
    const prefix = `${randomPrefix()}micro/registry/`;
    const f = fixture('micro-v6-greeter');
    const id = 'go.micro.srv.greeter-d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12';
    const put = (node: string, address: string): Promise<unknown> =>
      client.put(f.key.replace('/micro/registry/', prefix).replace(id, node), f.bytes.replaceAll(id, node).replace('10.0.0.5:54321', address));
    await put('live-1', '10.0.0.1:1');

    t = new TmuxSession([], { shellCommand: 'bash --norc --noprofile', width: 120, height: 30 });
    const shell = t;
    const screen = (escapes = false): string => shell.screen(escapes);
    t.keys(`PS1='$ '; clear; echo BEFORE-LIVE; ${process.execPath} ${binPath} watch --live --endpoints ${endpoint} --prefix ${prefix}; echo EXIT=$?`, 'Enter');

    // The alternate screen hides the shell; the table shows the node registered before.
    await waitFor(() => /micro-reg watch all services — 1 service, 1 node/.test(screen()) && !/BEFORE-LIVE/.test(screen()), 10_000, 'the live screen');
    expect(screen()).toMatch(/SERVICE\s+VERSION\s+NODE\s+ADDRESS\s+TTL/);
    expect(screen()).toMatch(/go\.micro\.srv\.greeter\s+latest\s+live-1\s+10\.0\.0\.1:1/);

    await put('live-2', '10.0.0.2:2');
    await waitFor(() => /live-2\s+10\.0\.0\.2:2/.test(screen()), 5000, 'the new node on screen');
    expect(screen()).toMatch(/1 service, 2 nodes/);
    expect(screen()).toMatch(/Recent changes\n.*create\s+go\.micro\.srv\.greeter\s+latest\s+live-2/);
    // The new row is green (SGR 32) while it is fresh.
    expect(screen(true)).toMatch(/\x1b\[32mlive-2/);

    t.keys('C-c');
    await waitFor(() => /EXIT=0/.test(screen()), 10_000, 'exit 0 after Ctrl-C');
    // Back on the normal screen: the shell's lines are there, the table is gone, the cursor is shown.
    expect(screen()).toMatch(/BEFORE-LIVE/);
    expect(screen()).toMatch(/watching 1 service, 1 node at revision \d+/);
    expect(screen()).not.toMatch(/Recent changes/);
    expect(t.display('#{cursor_flag} #{alternate_on}')).toBe('1 0');
  });

  it('at 80x24 with 60 nodes: nothing scrolls, the keys are shown, the table scrolls, the TTL counts down, a resize redraws, q quits', async () => {
    const prefix = `${randomPrefix()}micro/registry/`;
    const f = fixture('micro-v6-greeter');
    const id = 'go.micro.srv.greeter-d3e0d7a4-8c1b-4a5e-9f2d-6b7c8a9e0f12';
    const lease = await client.grant(600);
    for (let i = 0; i < 60; i++) {
      const node = `${id}-${String(i).padStart(2, '0')}`;
      await client.put(f.key.replace('/micro/registry/', prefix).replace(id, node), f.bytes.replaceAll(id, node), lease);
    }
    const shell = new TmuxSession([], { shellCommand: 'bash --norc --noprofile', width: 80, height: 24 });
    t = shell;
    const screen = (): string => shell.screen();
    const lines = (): string[] => screen().replace(/\n$/, '').split('\n');
    shell.keys(`PS1='$ '; clear; ${process.execPath} ${binPath} watch --live --endpoints ${endpoint} --prefix ${prefix}; echo EXIT=$?`, 'Enter');

    await waitFor(() => /60 nodes/.test(screen()) && /\d+m\d+s/.test(screen()), 15_000, 'the live screen with TTLs');
    let l = lines();
    // The title is the first line and the keys the last: nothing scrolled off the 24 lines.
    expect(l[0]).toMatch(/^micro-reg watch all services — 1 service, 60 nodes/);
    expect(l).toHaveLength(24);
    expect(l[23]).toMatch(/q quit/);
    expect(screen()).toMatch(/SERVICE\s+VERSION\s+NODE\s+ADDRESS\s+TTL/);
    expect(screen()).toMatch(/… \d+ more below/);
    for (const line of l) expect([...line].length).toBeLessThanOrEqual(80);
    expect(screen()).toMatch(/-00\s/);

    // The TTL counts down: the TTL of the first row changes while nothing is written.
    const ttlOf = (): string | undefined => /-00\s+\S+\s+(\d+m\d+s)/.exec(screen())?.[1];
    const first = ttlOf();
    expect(first).toBeDefined();
    await waitFor(() => ttlOf() !== undefined && ttlOf() !== first, 10_000, 'the TTL to count down');

    // Page down: later rows come into view, the title and the keys stay.
    shell.keys('NPage');
    await waitFor(() => !/-00\s/.test(screen()) && /above/.test(screen()), 5000, 'the table to scroll');
    l = lines();
    expect(l[0]).toMatch(/^micro-reg watch/);
    expect(l[23]).toMatch(/q quit/);
    shell.keys('Home');
    await waitFor(() => /-00\s/.test(screen()), 5000, 'back at the top');

    // A resize redraws at once, to the new size.
    shell.resize(120, 40);
    await waitFor(() => lines().length === 40 && /q quit/.test(lines()[39] ?? ''), 5000, 'a redraw at 120x40');
    shell.resize(80, 24);
    await waitFor(() => lines().length === 24 && /q quit/.test(lines()[23] ?? ''), 5000, 'a redraw at 80x24');

    shell.keys('q');
    await waitFor(() => /EXIT=0/.test(screen()), 10_000, 'exit 0 after q');
    expect(shell.display('#{cursor_flag} #{alternate_on}')).toBe('1 0');
  });
});
