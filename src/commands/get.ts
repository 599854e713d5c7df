// `micro-reg get <service>`: every version, node (with lease TTL) and endpoint of one service.
import { Command } from 'commander';
import { NotFoundError, UnavailableError } from '../errors.js';
import { startSpinner } from '../io.js';
import { groupServices } from '../registry/codec.js';
import { keySegment } from '../registry/keys.js';
import { compareVersions } from '../registry/versions.js';
import { renderServicesJson, serviceJson } from '../render/json.js';
import { renderServiceDetail } from '../render/table.js';
import { type Runner, describeReadRevision, parseRevision, withExamples } from './command.js';

interface GetOptions {
  version?: string;
  revision?: string;
  showRevision?: boolean;
}

export function getCommand(run: Runner): Command {
  const cmd = new Command('get')
    .argument('<service>', 'service name, e.g. go.micro.srv.greeter')
    .option('--version <version>', 'only this version')
    .option('--revision <rev>', 'the service as it was at this etcd revision (v3 layouts; until etcd compacts it)')
    .option('--show-revision', 'print the etcd revision it was read at on stderr')
    .action(
      run(async (ctx, service: string, opts: GetOptions) => {
        ctx.requireOutput('get');
        const revision = parseRevision(opts.revision);
        keySegment(service, 'service name');
        const registry = await ctx.registry();
        const stop = startSpinner(ctx.io, `reading ${service}…`);
        try {
          const result = await registry.readService(service, { forGrouping: true, ...(revision !== undefined ? { revision } : {}) });
          if (opts.showRevision) ctx.info(describeReadRevision(result));
          const records = result.records.filter((r) => opts.version === undefined || r.service.version === opts.version);
          if (records.length === 0) {
            const versions = [...new Set(result.records.map((r) => r.service.version))].sort(compareVersions);
            throw new NotFoundError(`service ${service} has no version ${opts.version}`, `its versions: ${versions.join(', ')}`);
          }
          ctx.reportMalformed(result.malformed);
          // The records are read; TTLs are extra. Lease lookups need the cluster's leader, reads do not: without
          // one (an election, a frozen leader) show the nodes with their TTL unknown rather than nothing.
          // At a past revision the leases may be long gone: TTLs are of now, so none are looked up.
          const ttls = revision !== undefined ? new Map<string, number>() : await registry.leaseTtls(records).catch((e: unknown) => {
            if (!(e instanceof UnavailableError)) throw e;
            ctx.warn(`lease TTLs unknown: ${e.message}`);
            return new Map<string, number>();
          });
          const services = groupServices(records, ttls);
          stop();
          if (ctx.output === 'json') ctx.io.stdout.write(renderServicesJson(services, ctx.io.stdoutIsTTY));
          else if (ctx.output === 'yaml') ctx.io.stdout.write(await (await import('../render/yaml.js')).renderYaml(services.map(serviceJson)));
          else ctx.io.stdout.write(renderServiceDetail(services, ctx.style()));
        } finally {
          stop();
        }
      }),
    );
  return withExamples(cmd, [
    'micro-reg get go.micro.srv.greeter',
    'micro-reg get go.micro.srv.greeter --version 1.2.0 -o wide',
    'micro-reg get go.micro.srv.greeter -o json | jq ".[].nodes[].address"',
  ]);
}
