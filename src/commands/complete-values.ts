// `micro-reg __complete versions|nodes <service>`: the words the completion scripts offer for
// `--version` and `--node`, read from etcd, one a line. Hidden: it is the scripts' interface, not a user's.
import { Argument, Command } from 'commander';
import { compareVersions } from '../registry/versions.js';
import { sanitize } from '../render/sanitize.js';
import type { Runner } from './command.js';

export function completeValuesCommand(run: Runner): Command {
  return new Command('__complete')
    .addArgument(new Argument('<what>', 'versions or nodes').choices(['versions', 'nodes']))
    .argument('<service>', 'the service whose versions or node ids to print')
    .action(
      run(async (ctx, what: 'versions' | 'nodes', service: string) => {
        const registry = await ctx.registry();
        const { records } = await registry.read(service);
        const words =
          what === 'versions'
            ? [...new Set(records.map((r) => r.service.version))].sort(compareVersions)
            : [...new Set(records.flatMap((r) => r.service.nodes.map((n) => n.id)))].sort();
        // A shell splits these on white space: a word that holds any (or a control character) cannot be offered.
        const offered = words.filter((w) => w !== '' && !/\s/.test(w) && sanitize(w) === w);
        if (offered.length > 0) ctx.io.stdout.write(`${offered.join('\n')}\n`);
      }),
    );
}
