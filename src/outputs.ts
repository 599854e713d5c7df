// The output formats, and which of them each command takes: the one list behind the commands' checks,
// their --help and the `-o` completion. Kept apart from context.ts so that --help does not load it.

export type OutputFormat = 'table' | 'wide' | 'json' | 'names' | 'yaml';
export const outputFormats: readonly OutputFormat[] = ['table', 'wide', 'json', 'names', 'yaml'];

/** What kubectl users type for `names`. */
export const outputAliases: Readonly<Record<string, OutputFormat>> = { name: 'names' };

/** The formats of each command (by its path: `config get-contexts`); a command not named here takes them all. */
export const commandOutputs: Readonly<Record<string, readonly OutputFormat[]>> = {
  list: ['table', 'wide', 'json', 'names', 'yaml'],
  get: ['table', 'wide', 'json', 'yaml'],
  watch: ['table', 'wide', 'json'],
  wait: ['table', 'wide', 'json'],
  register: ['table', 'wide', 'json'],
  deregister: ['table', 'wide', 'json'],
  check: ['table', 'wide', 'json'],
  version: ['table', 'json'],
  // export prints JSON for `table` (its default): a snapshot is data, not a table.
  export: ['table', 'json', 'yaml'],
  diff: ['table', 'wide', 'json', 'yaml'],
  apply: ['table', 'wide', 'json'],
  'config get-contexts': ['table', 'wide', 'json', 'names'],
};
