// `micro-reg list [pattern]`: what is registered, one row per service name and version.
import { Command } from 'commander';
import { startSpinner } from '../io.js';
import { groupServices } from '../registry/codec.js';
import { matchesSelectors, nameMatcher, parseSelectors } from '../registry/match.js';
import { serviceJson, servicesJsonChunks } from '../render/json.js';
import { renderNames, renderServiceList } from '../render/table.js';
import { type Runner, collect, describeReadRevision, parseRevision, withExamples } from './command.js';

interface ListOptions {
  selector?: string[];
  revision?: string;
  showRevision?: boolean;
}

export function listCommand(run: Runner): Command {
  const cmd = new Command('list')
    .argument('[pattern]', 'glob on the service name, e.g. "go.micro.srv.*"')
    .option('-l, --selector <key=value>', 'only nodes whose metadata has key=value (repeatable, all must match)', collect)
    .option('--revision <rev>', 'the registry as it was at this etcd revision (v3 layouts; until etcd compacts it)')
    .option('--show-revision', 'print the etcd revision the list was read at on stderr')
    .action(
      run(async (ctx, pattern: string | undefined, opts: ListOptions) => {
        const selectors = parseSelectors(opts.selector);
        const matchName = await nameMatcher(pattern === undefined ? [] : [pattern]);
        const registry = await ctx.registry();
        const stop = startSpinner(ctx.io, 'reading the registry…');
        const revision = parseRevision(opts.revision);
        const result = await registry.read(undefined, { forGrouping: true, ...(revision !== undefined ? { revision } : {}) }).finally(stop);
        if (opts.showRevision) ctx.info(describeReadRevision(result));
        ctx.reportMalformed(result.malformed);
        const services = groupServices(result.records.filter((r) => matchName(r.service.name) && matchesSelectors(r, selectors)));
        if (ctx.output === 'json') {
          // Written a piece at a time: a large registry's listing is never one string in memory.
          for (const chunk of servicesJsonChunks(services, ctx.io.stdoutIsTTY)) ctx.io.stdout.write(chunk);
        }
        else if (ctx.output === 'yaml') ctx.io.stdout.write(await (await import('../render/yaml.js')).renderYaml(services.map(serviceJson)));
        else if (ctx.output === 'names') ctx.io.stdout.write(renderNames(services, ctx.style()));
        else if (services.length > 0) ctx.io.stdout.write(renderServiceList(services, ctx.style()));
        if (services.length === 0 && ctx.io.stderrIsTTY && ctx.output !== 'json' && ctx.output !== 'yaml') {
          const where = result.spaces.map((s) => s.prefix).join(', ') || 'the standard prefixes';
          ctx.info(pattern === undefined && selectors.length === 0 ? `No services registered under ${where}.` : 'No services match.');
        }
      }),
    );
  return withExamples(cmd, [
    'micro-reg list',
    'micro-reg list "go.micro.srv.*" -o wide',
    'micro-reg list --selector server=grpc -o json | jq -r ".[].name"',
  ]);
}
