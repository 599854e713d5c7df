import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { randomPrefix, runCli, seed } from '../helpers/cli.js';
import { startEtcd } from '../helpers/etcd.js';
import { closedAddress } from '../helpers/ports.js';
import { fixture } from '../helpers/fixtures.js';
import { binPath, childEnv } from '../helpers/process.js';
import { TmuxSession } from '../helpers/tmux.js';

const endpoint = inject('etcdEndpoint');
const services = ['go.micro.srv.greeter', 'go.micro.srv.orders', 'payments'];

/** The words bash hands a completion function: split at blanks, and at ":" and "=" (COMP_WORDBREAKS). */
function compWords(line: string): string[] {
  const words = line.split(' ').flatMap((w) => w.split(/([:=])/).filter((p) => p !== ''));
  if (line.endsWith(' ')) words.push('');
  return words.filter((w, i) => w !== '' || i === words.length - 1);
}

describe('shell completion scripts in real shells, against a real etcd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'micro-reg-completion-'));
  const binDir = join(dir, 'bin');
  const configHome = join(dir, 'config');
  const prefix = randomPrefix();
  const env = { PATH: `${binDir}:${process.env.PATH}`, XDG_CONFIG_HOME: configHome, HOME: dir };
  let bashScript: string;

  beforeAll(async () => {
    execFileSync('mkdir', ['-p', binDir]);
    // The scripts run `micro-reg` as typed: put the built bin on PATH under that name.
    symlinkSync(binPath, join(binDir, 'micro-reg'));
    const v6 = fixture('micro-v6-greeter');
    await seed(
      endpoint,
      [
        ...services.map((name, i) => ({ key: `${prefix}${name}/n${i}`, value: v6.bytes.replace('"go.micro.srv.greeter"', `"${name}"`).replace(/"id":"[^"]+"/, `"id":"n${i}"`) })),
        // More versions of the greeter, for --version and --node completion.
        ...['1.10.0', '1.9.0', 'v2.0.0'].map((version) => ({
          key: `${prefix}go.micro.srv.greeter/g-${version}`,
          value: v6.bytes.replace('"latest"', `"${version}"`).replace(/"id":"[^"]+"/, `"id":"g-${version}"`),
        })),
      ],
    );
    expect((await runCli(['config', 'set-context', 'test-etcd', '--endpoints', endpoint, '--prefix', prefix], { env })).code).toBe(0);
    expect((await runCli(['config', 'set-context', 'other'], { env })).code).toBe(0);
    bashScript = join(dir, 'micro-reg.bash');
    writeFileSync(bashScript, (await runCli(['completion', 'bash'])).stdout);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the completion function in a real bash, as bash would for the line (cursor at its end). */
  function bashComplete(line: string, shellEnv: Record<string, string> = env): string[] {
    const words = compWords(line);
    const script = [
      `source ${bashScript}`,
      `COMP_WORDS=(${words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ')})`,
      `COMP_CWORD=${words.length - 1}`,
      `COMP_LINE='${line}'`,
      `COMP_POINT=${line.length}`,
      '_micro_reg',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const out = execFileSync('bash', ['--norc', '--noprofile', '-c', script], { env: childEnv(shellEnv), encoding: 'utf8', timeout: 20_000 });
    return out.split('\n').filter(Boolean);
  }

  it('registers _micro_reg for micro-reg (complete -p)', () => {
    const out = execFileSync('bash', ['--norc', '-c', `source ${bashScript}; complete -p micro-reg`], { encoding: 'utf8', env: childEnv() });
    expect(out.trim()).toBe('complete -F _micro_reg micro-reg');
  });

  it('completes service names from etcd, passing on --endpoints and --prefix', () => {
    expect(bashComplete(`micro-reg --endpoints ${endpoint} --prefix ${prefix} get go.micro.srv.`)).toEqual(['go.micro.srv.greeter', 'go.micro.srv.orders']);
    expect(bashComplete(`micro-reg check --prefix=${prefix} --endpoints=${endpoint} pay`)).toEqual(['payments']);
  });

  it('completes service names through a context (--context, or the current one)', async () => {
    expect(bashComplete('micro-reg --context test-etcd get go.micro.srv.g')).toEqual(['go.micro.srv.greeter']);
    // Making a context current changes the config file: this test does it in a config home of its own,
    // so the other tests see the config beforeAll made, whatever the order.
    const ownEnv = { ...env, XDG_CONFIG_HOME: join(dir, 'config-current') };
    expect((await runCli(['config', 'set-context', 'test-etcd', '--endpoints', endpoint, '--prefix', prefix], { env: ownEnv })).code).toBe(0);
    expect(bashComplete('micro-reg list ', ownEnv)).toEqual([]);
    execFileSync('bash', ['-c', 'micro-reg config use-context test-etcd'], { env: childEnv(ownEnv), stdio: 'pipe' });
    expect(bashComplete('micro-reg list ', ownEnv)).toEqual(services);
  });

  it('completes commands, subcommands, options, option values and context names', () => {
    expect(bashComplete('micro-reg ch')).toEqual(['check']);
    expect(bashComplete('micro-reg c')).toEqual(['check', 'config', 'completion']);
    expect(bashComplete('micro-reg config u')).toEqual(['use-context']);
    expect(bashComplete('micro-reg config use-context ')).toEqual(['other', 'test-etcd']);
    expect(bashComplete('micro-reg check --con')).toEqual(['--concurrency', '--connect-timeout', '--context']);
    // Each command offers the -o values it takes.
    expect(bashComplete('micro-reg get x -o ')).toEqual(['table', 'wide', 'json', 'yaml', 'jsonpath=', 'jsonpath-file=', 'custom-columns=', 'custom-columns-file=']);
    expect(bashComplete('micro-reg list -o ')).toEqual(['table', 'wide', 'json', 'names', 'yaml', 'jsonpath=', 'jsonpath-file=', 'custom-columns=', 'custom-columns-file=']);
    expect(bashComplete('micro-reg version -o ')).toEqual(['table', 'json', 'yaml', 'jsonpath=', 'jsonpath-file=']);
    expect(bashComplete('micro-reg --layout l')).toEqual(['legacy']);
    expect(bashComplete('micro-reg get --context ')).toEqual(['other', 'test-etcd']);
    expect(bashComplete('micro-reg diff --against-context ')).toEqual(['other', 'test-etcd']);
    expect(bashComplete('micro-reg completion ')).toEqual(['bash', 'zsh', 'fish']);
    // The value of --version is not a service name.
    expect(bashComplete('micro-reg get --version ')).toEqual([]);
  });

  it('bash completes --version values (in version order) and --node ids of the service on the line, from etcd', () => {
    const at = `micro-reg --endpoints ${endpoint} --prefix ${prefix}`;
    expect(bashComplete(`${at} get go.micro.srv.greeter --version `)).toEqual(['1.9.0', '1.10.0', 'v2.0.0', 'latest']);
    expect(bashComplete(`${at} wait go.micro.srv.greeter --version 1.`)).toEqual(['1.9.0', '1.10.0']);
    expect(bashComplete(`${at} deregister go.micro.srv.greeter --node `)).toEqual(['g-1.10.0', 'g-1.9.0', 'g-v2.0.0', 'n0']);
    expect(bashComplete(`${at} deregister go.micro.srv.greeter --node g-v`)).toEqual(['g-v2.0.0']);
  });

  it('fish and zsh complete --version values and --node ids too', async () => {
    const fishScript = join(dir, 'micro-reg-values.fish');
    writeFileSync(fishScript, (await runCli(['completion', 'fish'])).stdout);
    const fish = (line: string): string[] =>
      execFileSync('fish', ['--no-config', '-c', `source ${fishScript}; complete -C '${line}'`], { env: childEnv(env), encoding: 'utf8', timeout: 20_000 })
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]!);
    const at = `micro-reg --endpoints ${endpoint} --prefix ${prefix}`;
    expect(fish(`${at} get go.micro.srv.greeter --version `)).toEqual(['1.9.0', '1.10.0', 'v2.0.0', 'latest']);
    expect(fish(`${at} deregister go.micro.srv.greeter --node g-1`)).toEqual(['g-1.10.0', 'g-1.9.0']);
    expect(fish('micro-reg get x -o ').sort()).toEqual(['custom-columns-file=', 'custom-columns=', 'json', 'jsonpath-file=', 'jsonpath=', 'table', 'wide', 'yaml']);
    expect(fish('micro-reg list -o ').sort()).toEqual(['custom-columns-file=', 'custom-columns=', 'json', 'jsonpath-file=', 'jsonpath=', 'names', 'table', 'wide', 'yaml']);

    const zshScript = join(dir, 'micro-reg-values.zsh');
    writeFileSync(zshScript, (await runCli(['completion', 'zsh'])).stdout);
    const session = TmuxSession.shell('zsh -f', { ...env, PS1: '%% ' });
    try {
      await session.waitForScreen(/%/);
      session.keys(`autoload -U compinit && compinit -u && source ${zshScript} && echo loaded-ok`, 'Enter');
      await session.waitForScreen(/^loaded-ok$/m);
      session.keys(`${at} deregister go.micro.srv.greeter --node g-v`, 'Tab');
      await session.waitForScreen(/--node g-v2\.0\.0/);
      session.keys('C-u');
      session.keys(`${at} get go.micro.srv.greeter --version v`, 'Tab');
      await session.waitForScreen(/--version v2\.0\.0/);
    } finally {
      session.close();
    }
  });

  it('completes nothing when etcd refuses connections', async () => {
    expect(bashComplete(`micro-reg --endpoints ${await closedAddress()} get go`)).toEqual([]);
  });

  // The deadline is the behaviour: the scripts ask etcd with --timeout 1s, so a frozen etcd (which
  // answers nothing, unlike a closed port) costs about a second, not micro-reg's default 5 s. The
  // bound of 4 s leaves 3 s for a loaded machine and still fails without the 1 s deadline.
  it('completes nothing, quietly and within about a second, when etcd does not answer', async () => {
    const frozen = await startEtcd();
    try {
      frozen.freeze();
      const started = Date.now();
      expect(bashComplete(`micro-reg --endpoints ${frozen.endpoint} get go`)).toEqual([]);
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      frozen.thaw();
      await frozen.stop();
    }
  });

  it('fish completes a service name (complete -C)', async () => {
    const fishScript = join(dir, 'micro-reg.fish');
    writeFileSync(fishScript, (await runCli(['completion', 'fish'])).stdout);
    const run = (line: string): string[] =>
      execFileSync('fish', ['--no-config', '-c', `source ${fishScript}; complete -C '${line}'`], { env: childEnv(env), encoding: 'utf8', timeout: 20_000 })
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]!);
    expect(run(`micro-reg --endpoints ${endpoint} --prefix ${prefix} get go.micro`)).toEqual(['go.micro.srv.greeter', 'go.micro.srv.orders']);
    expect(run('micro-reg config use-context t')).toEqual(['test-etcd']);
    expect(run('micro-reg chec')).toEqual(['check']);
  });

  it('zsh completes a service name at a real prompt (tmux)', async () => {
    const zshScript = join(dir, 'micro-reg.zsh');
    writeFileSync(zshScript, (await runCli(['completion', 'zsh'])).stdout);
    const session = TmuxSession.shell('zsh -f', { ...env, PS1: '%% ' });
    try {
      await session.waitForScreen(/%/);
      session.keys(`autoload -U compinit && compinit -u && source ${zshScript} && echo loaded-ok`, 'Enter');
      await session.waitForScreen(/^loaded-ok$/m);
      session.keys(`micro-reg --endpoints ${endpoint} --prefix ${prefix} get go.micro.srv.gr`, 'Tab');
      await session.waitForScreen(/get go\.micro\.srv\.greeter/);
    } finally {
      session.close();
    }
  });
});

describe('completion never evaluates names read from etcd (bash, zsh, fish)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'micro-reg-completion-hostile-'));
  const binDir = join(dir, 'bin');
  // The shells run here: a command smuggled in a name would create a pwned-* file in it.
  const work = join(dir, 'work');
  const prefix = randomPrefix();
  const env = { PATH: `${binDir}:${process.env.PATH}`, XDG_CONFIG_HOME: join(dir, 'config'), HOME: dir };
  /** Names an attacker registers; each is a valid key segment (no "/"). */
  const offered = ['$(touch pwned-dollar)', '`touch pwned-tick`', 'x;touch pwned-semi', 'y|touch pwned-pipe', 'z&touch pwned-amp', 'w>pwned-redirect', 'go.*', '[ab]', 'a b', `q'uote"s`, '~root', '!!'];
  /** Names holding control characters: shown escaped by list -o names, so never offered. */
  const withheld = ['nl\ntouch pwned-newline', 'esc\x1b]0;title\x07'];
  const scripts: Record<string, string> = {};

  beforeAll(async () => {
    execFileSync('mkdir', ['-p', binDir, work]);
    symlinkSync(binPath, join(binDir, 'micro-reg'));
    const v6 = fixture('micro-v6-greeter');
    await seed(
      endpoint,
      [...offered, ...withheld].map((name, i) => ({ key: `${prefix}${name}/n${i}`, value: v6.bytes.replace('"go.micro.srv.greeter"', JSON.stringify(name)).replace(/"id":"[^"]+"/, `"id":"n${i}"`) })),
    );
    for (const shell of ['bash', 'zsh', 'fish']) {
      scripts[shell] = join(dir, `micro-reg.${shell}`);
      writeFileSync(scripts[shell]!, (await runCli(['completion', shell])).stdout);
    }
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const pwned = (): string[] => readdirSync(work).filter((f) => f.startsWith('pwned'));
  const run = (cmd: string, args: string[]): string => execFileSync(cmd, args, { cwd: work, env: childEnv(env), encoding: 'utf8', timeout: 20_000 });
  const line = `micro-reg --endpoints ${endpoint} --prefix ${prefix} get `;

  it('bash offers each name quoted for the shell; read back by the shell, they are the literal names', () => {
    const words = ['micro-reg', '--endpoints', ...endpoint.split(/(:)/), '--prefix', prefix, 'get', ''];
    const script = [
      `source ${scripts.bash}`,
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
      `COMP_CWORD=${words.length - 1}`,
      '_micro_reg',
      // As the shell reads each offered word once it is on the command line (eval of a quoted word;
      // an unquoted $(…) here would run, and the pwned-* check below would see it).
      `for w in "\${COMPREPLY[@]}"; do eval "printf '%s\\0' $w"; done`,
    ].join('\n');
    const got = run('bash', ['--norc', '--noprofile', '-c', script]).split('\0').filter(Boolean);
    expect(pwned()).toEqual([]);
    expect(got.sort()).toEqual([...offered].sort());
  });

  it('zsh hands compadd each name as one literal word (compadd quotes what it inserts)', () => {
    const script = [
      'compdef() { : }',
      `compadd() { [[ $1 == -- ]] && shift; printf '%s\\0' "$@" }`,
      `source ${scripts.zsh}`,
      `words=(micro-reg --endpoints ${endpoint} --prefix ${prefix} get '')`,
      'CURRENT=${#words}',
      '_micro_reg',
    ].join('\n');
    const got = run('zsh', ['-f', '-c', script]).split('\0').filter(Boolean);
    expect(pwned()).toEqual([]);
    expect(got.sort()).toEqual([...offered].sort());
  });

  it('fish offers the literal names (complete -C), and runs none of them', () => {
    const got = run('fish', ['--no-config', '-c', `source ${scripts.fish}; complete -C ${JSON.stringify(line).replaceAll('$', '\\$')}`])
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[0]!);
    expect(pwned()).toEqual([]);
    expect(got.sort()).toEqual([...offered].sort());
  });

  it('zsh at a real prompt (tmux) inserts a name with shell metacharacters quoted: the shell reads back the literal names', async () => {
    const session = TmuxSession.shell(`sh -c 'cd ${work} && exec zsh -f'`, { ...env, PS1: '%% ' });
    try {
      await session.waitForScreen(/%/);
      session.keys(`bindkey -e && autoload -U compinit && compinit -u && source ${scripts.zsh} && echo loaded-ok`, 'Enter');
      await session.waitForScreen(/^loaded-ok$/m);
      // Two names, each the only one starting with its letter; then the line is printed, not run.
      session.type(`${line}x`);
      session.keys('Tab');
      await session.waitForScreen(/get x\\;touch\\ pwned-semi/);
      session.type(' y');
      session.keys('Tab');
      await session.waitForScreen(/y\\\|touch\\ pwned-pipe/);
      session.keys('C-a');
      session.type('print -rl -- ');
      session.keys('Enter');
      const screen = await session.waitForScreen(/^y\|touch pwned-pipe$/m);
      expect(screen).toMatch(/^x;touch pwned-semi$/m);
      expect(pwned()).toEqual([]);
    } finally {
      session.close();
    }
  });

  it('list -o names shows a name with a newline as one escaped line', async () => {
    const r = await runCli(['--endpoints', endpoint, '--prefix', prefix, 'list', '-o', 'names']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([...offered, 'nl\\ntouch pwned-newline', 'esc\\x1b]0;title\\x07'].sort());
  });
});
