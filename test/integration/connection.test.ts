import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, seed } from '../helpers/cli.js';
import { closedAddress } from '../helpers/ports.js';
import { loadMarginMs } from '../helpers/wait.js';
import { type EtcdServer, type TlsFiles, etcdctl, makeCertificates, startEtcd } from '../helpers/etcd.js';
import { runBin } from '../helpers/process.js';

const record = (name: string, id: string): string => `{"name":"${name}","version":"1","metadata":null,"endpoints":[],"nodes":[{"id":"${id}","address":"10.0.0.1:1","metadata":null}]}`;

describe('an etcd that does not answer', () => {
  // The durations are the behaviour: exit 4 within --timeout (1 s) + 1 s, asserted with the margin
  // for a loaded machine (helpers/wait.ts).
  it('a closed port gives exit 4 within the timeout, with a hint', async () => {
    const closed = await closedAddress();
    const started = Date.now();
    const r = await runCli(['--endpoints', closed, '--timeout', '1s', 'list']);
    expect(r.code).toBe(4);
    expect(Date.now() - started).toBeLessThan(2000 + loadMarginMs);
    expect(r.stderr).toMatch(/^error: cannot reach etcd at 127\.0\.0\.1:\d+.*\nhint: /);
    expect(r.stderr.split('\n')).toHaveLength(3);
  });

  it('a frozen etcd (SIGSTOP) gives exit 4 within the timeout plus a second', async () => {
    const server = await startEtcd();
    try {
      process.kill(server.pid, 'SIGSTOP');
      const started = Date.now();
      const r = await runCli(['--endpoints', server.endpoint, '--timeout', '1s', 'get', 'x']);
      expect(r.code).toBe(4);
      expect(Date.now() - started).toBeLessThan(2000 + loadMarginMs);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    } finally {
      process.kill(server.pid, 'SIGCONT');
      await server.stop();
    }
  });
});

describe('etcd with authentication', () => {
  let server: EtcdServer;
  beforeAll(async () => {
    server = await startEtcd();
    etcdctl(server, ['put', '/micro/registry/svc/svc-1', record('svc', 'svc-1')]);
    etcdctl(server, ['user', 'add', 'root:rootpw']);
    etcdctl(server, ['auth', 'enable']);
  });
  afterAll(() => server.stop());

  it('reads with the right password', async () => {
    const r = await runCli(['--endpoints', server.endpoint, '--user', 'root:rootpw', 'list', '-o', 'names']);
    expect(r).toMatchObject({ code: 0, stdout: 'svc\n' });
  });

  it('takes the password from the environment', async () => {
    const r = await runCli(['--endpoints', server.endpoint, 'list', '-o', 'names'], { env: { ETCD_USERNAME: 'root', ETCD_PASSWORD: 'rootpw' } });
    expect(r).toMatchObject({ code: 0, stdout: 'svc\n' });
  });

  it('a wrong password exits 5 and never prints the password', async () => {
    const r = await runCli(['--endpoints', server.endpoint, '--user', 'root:wrong-secret', 'list', '--debug']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^error: .*refused the user name or password/);
    expect(r.stderr).not.toContain('wrong-secret');
  });

  it('no credentials at all exits 5', async () => {
    const r = await runCli(['--endpoints', server.endpoint, 'list']);
    expect(r.code).toBe(5);
  });
});

describe('etcd with TLS and client certificates', () => {
  let server: EtcdServer;
  let dir: string;
  let tls: TlsFiles;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'micro-reg-tls-'));
    tls = makeCertificates(dir);
    server = await startEtcd({ tls, clientCertAuth: true });
    etcdctl(server, ['put', '/micro/registry/svc/svc-1', record('svc', 'svc-1')], ['--cacert', tls.ca, '--cert', tls.clientCert, '--key', tls.clientKey]);
  });
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads with CA, client certificate and key', async () => {
    // The built bin as a process: Node's own warnings go to the process's stderr.
    const r = await runBin(['--endpoints', `https://${server.endpoint}`, '--cacert', tls.ca, '--cert', tls.clientCert, '--key', tls.clientKey, 'list', '-o', 'names']);
    // Nothing on stderr: no DEP0123 for an IP endpoint (TLS gets no SNI server name; the IP SAN is checked).
    expect(r).toMatchObject({ code: 0, stdout: 'svc\n', stderr: '' });
  });

  it('a TLS error with -o json is one JSON line on stderr, nothing else', async () => {
    const r = await runBin(['--endpoints', `https://${server.endpoint}`, '--timeout', '2s', '--cert', tls.clientCert, '--key', tls.clientKey, 'list', '-o', 'json']);
    expect(r.code).toBe(4);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ error: { exitCode: 4 } });
  });

  it('takes the TLS files from ETCDCTL_* variables', async () => {
    const env = { ETCDCTL_ENDPOINTS: server.endpoint, ETCDCTL_CACERT: tls.ca, ETCDCTL_CERT: tls.clientCert, ETCDCTL_KEY: tls.clientKey };
    const r = await runCli(['list', '-o', 'names'], { env });
    expect(r).toMatchObject({ code: 0, stdout: 'svc\n' });
  });

  it('skips verification with --insecure-skip-tls-verify', async () => {
    const r = await runCli(['--endpoints', `https://${server.endpoint}`, '--insecure-skip-tls-verify', '--cert', tls.clientCert, '--key', tls.clientKey, 'list', '-o', 'names']);
    expect(r).toMatchObject({ code: 0, stdout: 'svc\n' });
  });

  it('an unknown CA fails with exit 4 and a TLS hint', async () => {
    const r = await runCli(['--endpoints', `https://${server.endpoint}`, '--timeout', '2s', '--cert', tls.clientCert, '--key', tls.clientKey, 'list']);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('hint: check that etcd serves TLS');
  });

  it('plain text against a TLS port fails with exit 4', async () => {
    const r = await runCli(['--endpoints', server.endpoint, '--timeout', '1s', 'list']);
    expect(r.code).toBe(4);
  });

  it('a missing certificate file is a usage error', async () => {
    const r = await runCli(['--endpoints', `https://${server.endpoint}`, '--cacert', join(dir, 'nope.crt'), 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: no such file: .*nope\.crt \(--cacert\)\n/);
  });
});
