// `micro-reg version`: the version, as `-V` prints it; with -o json also Node's and etcd3's, for bug reports.
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { type Runner, withExamples } from './command.js';

export function versionCommand(version: string): (run: Runner) => Command {
  return (run) => {
    const cmd = new Command('version').action(
      run(async (ctx) => {
        ctx.requireOutput('version');
        if (!ctx.document) {
          ctx.io.stdout.write(`micro-reg ${version}\n`);
          return;
        }
        // etcd3's own package.json, found as Node finds etcd3 (no gRPC is loaded for this).
        const etcd3 = (createRequire(import.meta.url)('etcd3/package.json') as { version: string }).version;
        await ctx.writeDocument({ version, node: process.versions.node, etcd3 });
      }),
    );
    return withExamples(cmd, ['micro-reg version', 'micro-reg version -o json']);
  };
}
