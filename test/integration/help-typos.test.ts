// A newcomer's mistakes: a mistyped global option after a command, kubectl's `-o name`, a command's
// help that says which -o values it takes, the root help with the commands first, `micro-reg version`,
// and "did you mean" only for names that are close.
import { describe, expect, it } from 'vitest';
import { closeMatches } from '../../src/registry/match.js';
import { runCli } from '../helpers/cli.js';
import { runBin } from '../helpers/process.js';

describe('help and typos', () => {
  it('a mistyped global option after a command gets the same "Did you mean" as at the root, and the hint names the command\'s help', async () => {
    const root = await runCli(['--endpoint', 'x', 'list']);
    const after = await runCli(['list', '--endpoint', 'x']);
    expect(root.stderr).toMatch(/^error: unknown option '--endpoint' \(Did you mean --endpoints\?\)/);
    expect(after.code).toBe(2);
    expect(after.stderr).toBe("error: unknown option '--endpoint' (Did you mean --endpoints?)\nhint: see micro-reg list --help\n");
    // A command's own options are still suggested by commander.
    const own = await runCli(['get', 'svc', '--versoin', '1']);
    expect(own.stderr).toMatch(/Did you mean --version\?/);
  });

  it('-o name is taken as names (kubectl\'s spelling)', async () => {
    const r = await runCli(['list', '-o', 'name', '--endpoints', '127.0.0.1:1', '--timeout', '200ms']);
    expect(r.stderr).not.toMatch(/invalid --output/);
    expect(r.code).toBe(4);
  });

  it('a refused -o names the formats and the command\'s help', async () => {
    const r = await runCli(['get', 'svc', '-o', 'names']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('error: get does not support -o names: use one of table, wide, json, yaml, jsonpath=…, custom-columns=…\nhint: see micro-reg get --help\n');
  });

  it('each command\'s help lists the -o values it takes', async () => {
    expect((await runCli(['list', '--help'])).stdout).toMatch(/Output \(-o\): table, wide, json, names, yaml, jsonpath=…, custom-columns=… \(or name\)\./);
    expect((await runCli(['get', '--help'])).stdout).toMatch(/Output \(-o\): table, wide, json, yaml, jsonpath=…, custom-columns=…\./);
    expect((await runCli(['config', 'get-contexts', '--help'])).stdout).toMatch(/Output \(-o\): table, wide, json, names/);
  });

  it('the root help lists the commands before the options', async () => {
    const help = (await runCli(['--help'])).stdout;
    expect(help.indexOf('Commands:')).toBeGreaterThan(0);
    expect(help.indexOf('Commands:')).toBeLessThan(help.indexOf('Options:'));
    expect(help).toMatch(/Commands:\n {2}list\|ls/);
    expect(help).toMatch(/Exit codes:/);
  });

  it('micro-reg version prints the version; -o json adds Node and etcd3', async () => {
    const plain = await runBin(['version']);
    expect(plain).toMatchObject({ code: 0, stdout: 'micro-reg 0.1.0\n' });
    const json = await runBin(['version', '-o', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ version: '0.1.0', node: process.versions.node, etcd3: '1.1.2' });
  });

  it('"did you mean" suggests only names within a sensible distance', () => {
    const names = ['go.micro.srv.greeter', 'go.micro.srv.orders', 'go.micro.srv.user', 'go.micro.api.gateway'];
    expect(closeMatches('greter', names)).toEqual(['go.micro.srv.greeter']);
    expect(closeMatches('go.micro.srv.greter', names)).toEqual(['go.micro.srv.greeter']);
    expect(closeMatches('greeter', names)).toEqual(['go.micro.srv.greeter']);
    expect(closeMatches('go.micro.srv.oders', names)).toEqual(['go.micro.srv.orders']);
    expect(closeMatches('payments', names)).toEqual([]);
  });
});
