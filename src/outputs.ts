// The output formats, and which of them each command takes: the one list behind the commands' checks,
// their --help and the `-o` completion. Kept apart from command-context.ts so that --help does not load it.

export type OutputFormat = 'table' | 'wide' | 'json' | 'names' | 'yaml' | 'jsonpath' | 'custom-columns';
export const outputFormats: readonly OutputFormat[] = ['table', 'wide', 'json', 'names', 'yaml', 'jsonpath', 'custom-columns'];

/** What kubectl users type for `names`. */
export const outputAliases: Readonly<Record<string, OutputFormat>> = { name: 'names' };

/** The formats that render the command's JSON document (json, yaml, jsonpath): data for programs. */
export const documentFormats: readonly OutputFormat[] = ['json', 'yaml', 'jsonpath'];

/** How `-o` values that carry an argument are written (for --help and completion). */
export const outputSpellings: Readonly<Partial<Record<OutputFormat, readonly string[]>>> = {
  jsonpath: ['jsonpath=', 'jsonpath-file='],
  'custom-columns': ['custom-columns=', 'custom-columns-file='],
};

/** Every format that renders the JSON document, for a command whose data is one document. */
const data = ['json', 'yaml', 'jsonpath'] as const;

/** The formats of each command (by its path: `config get-contexts`); a command not named here takes them all. */
export const commandOutputs: Readonly<Record<string, readonly OutputFormat[]>> = {
  list: ['table', 'wide', 'json', 'names', 'yaml', 'jsonpath', 'custom-columns'],
  get: ['table', 'wide', ...data, 'custom-columns'],
  watch: ['table', 'wide', ...data],
  wait: ['table', 'wide', ...data],
  register: ['table', 'wide', ...data],
  deregister: ['table', 'wide', ...data],
  check: ['table', 'wide', ...data, 'custom-columns'],
  version: ['table', ...data],
  // export prints JSON for `table` (its default): a snapshot is data, not a table.
  export: ['table', ...data],
  diff: ['table', 'wide', ...data],
  apply: ['table', 'wide', ...data],
  'config get-contexts': ['table', 'wide', 'json', 'names', 'yaml', 'jsonpath'],
};

/** A parsed `-o` value: the format, and for jsonpath / custom-columns its template or spec (inline or a file to read). */
export interface OutputChoice {
  format: string;
  argument?: string;
  file?: string;
}

/** `jsonpath=T`, `jsonpath-file=F`, `custom-columns=S`, `custom-columns-file=F`, or a plain format name. */
export function parseOutputFlag(value: string): OutputChoice {
  const eq = value.indexOf('=');
  if (eq < 0) return { format: outputAliases[value] ?? value };
  const name = value.slice(0, eq);
  const rest = value.slice(eq + 1);
  if (name === 'jsonpath' || name === 'custom-columns') return { format: name, argument: rest };
  if (name === 'jsonpath-file' || name === 'custom-columns-file') return { format: name.slice(0, -'-file'.length), file: rest };
  return { format: value };
}

/** A command's formats as --help lists them: `jsonpath=…` for those that take an argument. */
export function describeOutputs(formats: readonly OutputFormat[]): string[] {
  return formats.map((f) => (outputSpellings[f] ? `${f}=…` : f));
}
