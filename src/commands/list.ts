// `micro-reg list [pattern]`: what is registered, one row per service name and version.
import { Command } from 'commander';
import { startSpinner } from '../io.js';
import { groupServices } from '../registry/codec.js';
import { matchesSelectors, nameMatcher, parseSelectors } from '../registry/match.js';
import { serviceJson, servicesJsonChunks } from '../render/json.js';
import { renderNames, renderServiceList, renderTotals } from '../render/table.js';
import { type Runner, collect, describeReadRevision, parseRevision, sortByHelp, sortedBy, withExamples } from './command.js';

interface ListOptions {
  selector?: string[];
  revision?: string;
  showRevision?: boolean;
  sortBy?: string;
}

export function listCommand(run: Runner): Command {
  const cmd = new Command('list')
    .argument('[pattern...]', 'globs on the service name, e.g. "go.micro.srv.*" (any of them)')
    .option('-l, --selector <key=value>', 'only nodes whose metadata has key=value (repeatable, all must match)', collect)
    .option('--revision <rev>', 'the registry as it was at this etcd revision (v3 layouts; until etcd compacts it)')
    .option('--show-revision', 'print the etcd revision the list was read at on stderr')
    .option('--sort-by <jsonpath>', sortByHelp)
    .action(
      run(async (ctx, patterns: string[], opts: ListOptions) => {
        ctx.requireOutput('list');
        const selectors = parseSelectors(opts.selector);
        const matchName = await nameMatcher(patterns);
        const registry = await ctx.registry();
        const stop = startSpinner(ctx.io, 'reading the registry…');
        const revision = parseRevision(opts.revision);
        const result = await registry.read(undefined, { forGrouping: true, ...(revision !== undefined ? { revision } : {}) }).finally(stop);
        if (opts.showRevision) ctx.info(describeReadRevision(result));
        ctx.reportMalformed(result.malformed);
        const services = await sortedBy(opts.sortBy, groupServices(result.records.filter((r) => matchName(r.service.name) && matchesSelectors(r, selectors))), serviceJson);
        if (ctx.output === 'json' && !ctx.io.stdoutIsTTY) {
          // Piped JSON, the large case: the same bytes as writeDocument's, written a piece at a time, so a
          // large registry's listing is never one string in memory.
          for (const chunk of servicesJsonChunks(services, false)) ctx.io.stdout.write(chunk);
        } else if (ctx.document) await ctx.writeDocument(services.map(serviceJson));
        else if (ctx.output === 'names') ctx.io.stdout.write(renderNames(services, ctx.style()));
        else if (ctx.customColumns) ctx.io.stdout.write((await import('../render/custom-columns.js')).renderCustomColumns(ctx.customColumns, services.map(serviceJson), ctx.style()));
        else if (services.length > 0) {
          const style = ctx.style();
          ctx.io.stdout.write(renderServiceList(services, style));
          // A person at a terminal gets the totals; a script reading the rows (piped, --no-headers) does not.
          if (style.tty && !style.noHeaders) ctx.io.stdout.write(renderTotals(services, style));
        }
        if (services.length === 0 && ctx.io.stderrIsTTY && !ctx.document) {
          const where = result.spaces.map((s) => s.prefix).join(', ') || 'the standard prefixes';
          ctx.info(patterns.length === 0 && selectors.length === 0 ? `No services registered under ${where}.` : 'No services match.');
        }
      }),
    );
  return withExamples(cmd, [
    'micro-reg list',
    'micro-reg list "go.micro.srv.*" -o wide',
    'micro-reg list --selector server=grpc -o json | jq -r ".[].name"',
    "micro-reg list -o jsonpath='{range .[*]}{.name}{\"\\t\"}{.version}{\"\\n\"}{end}'",
    'micro-reg list -o custom-columns=NAME:.name,VERSION:.version,NODES:.nodes.length --sort-by .nodes.length',
    'micro-reg list -A   # every micro v3 domain',
  ]);
}
