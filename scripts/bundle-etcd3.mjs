// Part of `npm run build`: etcd3 and what it loads (gRPC, protobufjs, cockatiel…) bundled into one
// CommonJS file, dist/vendor/etcd3.cjs, with etcd's .proto files beside it in dist/proto (etcd3 reads
// them from ../proto at load time). One file instead of ~150 modules spares every command that talks
// to etcd the module resolution and loading, ~45 ms of its start-up (docs/performance.md). The bundle
// also hands out the gRPC and cockatiel instances etcd3 uses, for src/registry/v3/etcd3-loader.ts's TLS and fault handling.
import { cpSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const root = join(import.meta.dirname, '..');
const etcd3Lib = dirname(createRequire(join(root, 'package.json')).resolve('etcd3'));
const out = join(root, 'dist');
mkdirSync(join(out, 'vendor'), { recursive: true });
cpSync(join(etcd3Lib, '..', 'proto'), join(out, 'proto'), { recursive: true });
await build({
  // Resolved from etcd3's own directory, so that gRPC and cockatiel are the instances etcd3 uses.
  stdin: { contents: "module.exports = { etcd3: require('etcd3'), grpc: require('@grpc/grpc-js'), cockatiel: require('cockatiel') };", resolveDir: etcd3Lib, loader: 'js' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: join(out, 'vendor', 'etcd3.cjs'),
  logLevel: 'warning',
});
