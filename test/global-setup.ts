// One etcd for the whole suite (tests isolate themselves under random prefixes); tests that need
// their own (auth, TLS, restarts) start it themselves with test/helpers/etcd.ts.
import type { TestProject } from 'vitest/node';
import { type EtcdServer, startEtcd } from './helpers/etcd.js';

declare module 'vitest' {
  export interface ProvidedContext {
    etcdEndpoint: string;
  }
}

let server: EtcdServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  server = await startEtcd({ enableV2: true });
  project.provide('etcdEndpoint', server.endpoint);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
