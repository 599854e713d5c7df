// Addresses for "nothing listens there" tests. A port picked with freePort() and released can be taken a
// moment later by another test's etcd (freePort hands out the kernel's ephemeral ports), so a port that
// must stay closed comes from below 1024 instead: the kernel never hands those out for port 0, the
// harness never binds them, and no test runs a privileged listener.
import { connect } from 'node:net';

/** The discard port: nothing on a test machine serves it on loopback. */
const closedPortNumber = 9;

let checked: Promise<void> | undefined;

/** Proves once per worker that a connection to the closed port is refused, so a test relying on it fails loudly if not. */
function checkRefused(): Promise<void> {
  return (checked ??= new Promise<void>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: closedPortNumber });
    socket.setTimeout(5000, () => {
      socket.destroy();
      reject(new Error(`127.0.0.1:${closedPortNumber} neither accepts nor refuses: the closed-port tests need it refused`));
    });
    socket.once('connect', () => {
      socket.destroy();
      reject(new Error(`something listens on 127.0.0.1:${closedPortNumber}: the closed-port tests need it closed`));
    });
    socket.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? resolve() : reject(e)));
  }));
}

/** A loopback port on which connections are refused for the whole run. */
export async function closedPort(): Promise<number> {
  await checkRefused();
  return closedPortNumber;
}

/** host:port of closedPort(). */
export async function closedAddress(): Promise<string> {
  return `127.0.0.1:${await closedPort()}`;
}
