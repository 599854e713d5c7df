// Errors in the user's words, from real processes: a real etcd that is frozen, one that is stopped,
// an HTTP/1 and an HTTP/2 server that are not etcd, a name that does not resolve, a missing file and an
// empty --endpoints. Each is one `error:` line and one `hint:` line with the documented exit code.
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EtcdServer, startEtcd } from '../helpers/etcd.js';
import { runBin } from '../helpers/process.js';

const oneErrorAndHint = (stderr: string): void => {
  expect(stderr).toMatch(/^error: [^\n]+\nhint: [^\n]+\n$/);
};

describe('connection errors in words', () => {
  let http1: http.Server;
  let h2: http2.Http2Server;
  const listen = (s: http.Server | http2.Http2Server): Promise<string> =>
    new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(s.address() as AddressInfo).port}`)));
  let http1At = '';
  let http2At = '';
  beforeAll(async () => {
    http1 = http.createServer((_, res) => res.writeHead(404).end('not found'));
    h2 = http2.createServer((_, res) => res.writeHead(404).end('not found'));
    http1At = await listen(http1);
    http2At = await listen(h2);
  });
  afterAll(() => {
    http1.close();
    h2.close();
  });

  it('an HTTP/2 server that is not etcd: exit 4, "answered, but not as etcd (HTTP 404 …)"', async () => {
    const r = await runBin(['list', '--endpoints', http2At, '--timeout', '3s']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(new RegExp(`^error: ${http2At.replaceAll('.', '\\.')} answered, but not as etcd \\(HTTP 404 `));
    expect(r.stderr).not.toMatch(/UNIMPLEMENTED|bug in micro-reg/);
    oneErrorAndHint(r.stderr);
  });

  it('an HTTP/1 server: exit 4, "answered, but not as etcd", no gRPC wording', async () => {
    const r = await runBin(['list', '--endpoints', http1At, '--timeout', '3s']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: \S+ answered, but not as etcd/);
    expect(r.stderr).not.toMatch(/Protocol error/);
    oneErrorAndHint(r.stderr);
  });

  it('an unresolvable name: "cannot resolve host", no TLS hint', async () => {
    const r = await runBin(['list', '--endpoints', 'etcd.invalid:2379', '--timeout', '3s']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: cannot resolve host etcd\.invalid\nhint: check the host name in --endpoints/);
    expect(r.stderr).not.toMatch(/TLS|https/);
    oneErrorAndHint(r.stderr);
  });

  it('the v2 layout (HTTP) words it the same', async () => {
    const r = await runBin(['list', '--layout', 'v2', '--endpoints', 'etcd.invalid:2379', '--timeout', '3s']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: cannot resolve host etcd\.invalid\n/);
  });
});

describe('an etcd that is frozen or stopped', () => {
  let server: EtcdServer;
  beforeAll(async () => {
    server = await startEtcd();
  });
  afterAll(async () => {
    process.kill(server.pid, 'SIGCONT');
    await server.stop();
  });

  it('frozen: "did not answer within 1s"; gRPC\'s timing breakdown only with --debug', async () => {
    process.kill(server.pid, 'SIGSTOP');
    try {
      const r = await runBin(['list', '--endpoints', server.endpoint, '--timeout', '1s']);
      expect(r.code).toBe(4);
      expect(r.stderr).toMatch(new RegExp(`^error: etcd at ${server.endpoint.replaceAll('.', '\\.')} did not answer within 1s\\n`));
      expect(r.stderr).not.toMatch(/Deadline exceeded|LB pick|name resolution/);
      oneErrorAndHint(r.stderr);
      const debug = await runBin(['list', '--endpoints', server.endpoint, '--timeout', '1s', '--debug']);
      expect(debug.code).toBe(4);
      expect(debug.stderr).toMatch(/cause: .*Deadline exceeded/);
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
  });

  it('stopped: "connection refused"', async () => {
    const stopped = await startEtcd();
    await stopped.stop();
    const r = await runBin(['list', '--endpoints', stopped.endpoint, '--timeout', '2s']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^error: cannot reach etcd at \S+: connection refused\nhint: is etcd running there\?/);
    oneErrorAndHint(r.stderr);
  });
});

describe('usage errors in words', () => {
  it('a missing --file: "no such file", exit 2', async () => {
    const r = await runBin(['register', '--file', 'nosuch.json', '--endpoints', '127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: no such file: nosuch\.json\n/);
    expect(r.stderr).not.toMatch(/ENOENT/);
  });

  it('an empty --endpoints is refused (exit 2), not replaced by the default', async () => {
    const r = await runBin(['list', '--endpoints', '']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --endpoints is empty\nhint: /);
  });
});
