// Registers (or removes, with --remove) a few sample go-micro services for the demo, written exactly
// as go-micro v2/v6 write them, on a 120-second lease so they vanish by themselves.
import { EtcdClient } from '../dist/registry/client.js';
import { encodeService } from '../dist/registry/codec.js';

const endpoint = process.argv[2];
const remove = process.argv.includes('--remove');
const client = new EtcdClient({ endpoints: [endpoint], tls: false, insecureSkipVerify: false, timeoutMs: 5000 });

const leaf = (name, type) => ({ name, type, values: null });
const mucp = { broker: 'http', protocol: 'mucp', registry: 'etcd', server: 'mucp', transport: 'http' };
const grpc = { broker: 'http', protocol: 'grpc', registry: 'etcd', server: 'grpc', transport: 'grpc' };
const samples = [
  { name: 'go.micro.srv.greeter', version: 'latest', order: 'v4.10.2', meta: mucp, nodes: [['a1b2', '10.0.0.5:54321'], ['c3d4', '10.0.0.6:54321']],
    endpoints: [{ name: 'Say.Hello', request: { name: 'Request', type: 'Request', values: [leaf('name', 'string')] }, response: { name: 'Response', type: 'Response', values: [leaf('msg', 'string')] }, metadata: {} }] },
  { name: 'go.micro.srv.auth', version: '2.1.0', order: 'v1.8', meta: grpc, nodes: [['e5f6', '10.0.1.7:9090']],
    endpoints: [{ name: 'Auth.Login', request: { name: 'LoginRequest', type: 'LoginRequest', values: [leaf('user', 'string'), leaf('password', 'string')] }, response: { name: 'Token', type: 'Token', values: [leaf('token', 'string'), leaf('expiry', 'int64')] }, metadata: {} }] },
  { name: 'go.micro.api.gateway', version: '1.4.2', order: 'v1.8', meta: mucp, nodes: [['0a9b', '10.0.2.8:8080']], endpoints: [] },
];

try {
  const lease = remove ? undefined : await client.grant(120);
  for (const s of samples) {
    for (const [suffix, address] of s.nodes) {
      const id = `${s.name}-${suffix}`;
      const key = `/micro/registry/${s.name}/${id}`;
      if (remove) {
        await client.etcd.delete().key(key).exec();
        continue;
      }
      const service = { name: s.name, version: s.version, metadata: null, endpoints: s.endpoints, nodes: [{ id, address, metadata: s.meta }] };
      await client.put(key, encodeService(service, s.order), lease);
    }
  }
} finally {
  client.close();
}
