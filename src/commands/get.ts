// `micro-reg get <service>…`: every version, node (with lease TTL) and endpoint of one service.
import { Command } from 'commander';
import { NotFoundError, UnavailableError } from '../errors.js';
import { startSpinner } from '../io.js';
import { groupServices } from '../registry/codec.js';
import { keySegment } from '../registry/keys.js';
import { isGlob } from '../registry/match.js';
import { compareVersions } from '../registry/versions.js';
import { serviceJson } from '../render/json.js';
import { renderServiceDetail } from '../render/table.js';
import { type Runner, describeReadRevision, parseRevision, readEach, serviceReader, sortByHelp, sortedBy, throwIfMissing, withExamples } from './command.js';

interface GetOptions {
  version?: string;
  revision?: string;
  showRevision?: boolean;
  sortBy?: string;
}

export function getCommand(run: Runner): Command {
  const cmd = new Command('get')
    .argument('<service...>', 'service names or globs, e.g. go.micro.srv.greeter "go.micro.api.*"')
    .option('--version <version>', 'only this version')
    .option('--revision <rev>', 'the service as it was at this etcd revision (v3 layouts; until etcd compacts it)')
    .option('--show-revision', 'print the etcd revision it was read at on stderr')
    .option('--sort-by <jsonpath>', sortByHelp)
    .action(
      run(async (ctx, names: string[], opts: GetOptions) => {
        ctx.requireOutput('get');
        const revision = parseRevision(opts.revision);
        for (const name of names) if (!isGlob(name)) keySegment(name, 'service name');
        const registry = await ctx.registry();
        const stop = startSpinner(ctx.io, `reading ${names.join(', ')}…`);
        try {
          const reader = serviceReader(registry, { forGrouping: true, ...(revision !== undefined ? { revision } : {}) });
          const { found, missing } = await readEach(names, reader.read);
          if (opts.showRevision && found[0]) ctx.info(describeReadRevision(found[0]));
          // A service named twice (a name and a glob that matches it) is shown once.
          const seen = new Set<string>();
          const all = found.flatMap((r) => r.records).filter((r) => !seen.has(r.key) && (seen.add(r.key), true));
          const records = all.filter((r) => opts.version === undefined || r.service.version === opts.version);
          if (records.length === 0 && opts.version !== undefined) {
            const versions = [...new Set(all.map((r) => r.service.version))].sort(compareVersions);
            const one = names.length === 1;
            throw new NotFoundError(`${one ? `service ${names[0]} has` : `${names.join(', ')} have`} no version ${opts.version}`, `${one ? 'its' : 'their'} versions: ${versions.join(', ')}`);
          }
          for (const r of found) ctx.reportMalformed(r.malformed);
          ctx.reportMalformed(await reader.globMalformed());
          // The records are read; TTLs are extra. Lease lookups need the cluster's leader, reads do not: without
          // one (an election, a frozen leader) show the nodes with their TTL unknown rather than nothing.
          // At a past revision the leases may be long gone: TTLs are of now, so none are looked up.
          const ttls = revision !== undefined ? new Map<string, number>() : await registry.leaseTtls(records).catch((e: unknown) => {
            if (!(e instanceof UnavailableError)) throw e;
            ctx.warn(`lease TTLs unknown: ${e.message}`);
            return new Map<string, number>();
          });
          const services = await sortedBy(opts.sortBy, groupServices(records, ttls), serviceJson);
          stop();
          if (ctx.document) await ctx.writeDocument(services.map(serviceJson));
          else if (ctx.customColumns) ctx.io.stdout.write((await import('../render/custom-columns.js')).renderCustomColumns(ctx.customColumns, services.map(serviceJson), ctx.style()));
          else if (services.length > 0) ctx.io.stdout.write(renderServiceDetail(services, ctx.style()));
          throwIfMissing(missing);
        } finally {
          stop();
        }
      }),
    );
  return withExamples(cmd, [
    'micro-reg get go.micro.srv.greeter',
    'micro-reg get go.micro.srv.greeter --version 1.2.0 -o wide',
    'micro-reg get go.micro.srv.greeter go.micro.srv.auth -o yaml',
    'micro-reg get "go.micro.srv.*" -o jsonpath=\'{range .[*]}{.name}{" "}{.nodes[*].address}{"\\n"}{end}\'',
    'micro-reg get go.micro.srv.greeter -o json | jq ".[].nodes[].address"',
  ]);
}
