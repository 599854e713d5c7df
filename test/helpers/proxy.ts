// A TCP forwarder on loopback in a process of its own, for member faults an etcd process cannot show by
// itself: the test freezes the forwarder (SIGSTOP) and the endpoint accepts connections (the kernel
// completes them) but answers nothing, like a member behind a dead network path. Stopped by PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface Proxy {
  /** host:port to give micro-reg. */
  endpoint: string;
  pid: number;
  freeze(): void;
  thaw(): void;
  stop(): Promise<void>;
}

const forwarder = `
const net = require('node:net');
const [host, port] = process.argv[1].split(':');
const server = net.createServer((client) => {
  const upstream = net.connect(Number(port), host);
  client.pipe(upstream).pipe(client);
  const end = () => { client.destroy(); upstream.destroy(); };
  client.on('error', end); upstream.on('error', end); client.on('close', end); upstream.on('close', end);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

/** Forwards a free loopback port to `target` (host:port); resolves once it listens. */
export async function startProxy(target: string): Promise<Proxy> {
  const child: ChildProcess = spawn(process.execPath, ['-e', forwarder, target], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8');
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the proxy did not start within 10s')), 10_000);
    child.stdout!.on('data', (s: string) => {
      out += s;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(Number(out.trim()));
      }
    });
    child.once('exit', (code) => reject(new Error(`the proxy exited (${code})`)));
  });
  const pid = child.pid!;
  return {
    endpoint: `127.0.0.1:${port}`,
    pid,
    freeze: () => process.kill(pid, 'SIGSTOP'),
    thaw: () => process.kill(pid, 'SIGCONT'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      process.kill(pid, 'SIGCONT');
      process.kill(pid, 'SIGKILL');
      await exited;
    },
  };
}
