// YAML output (`-o yaml`) and input (files given to diff and apply), through the `yaml` package, loaded
// only by a run that needs it: `--help` and every JSON or table run never pay for it.

type YamlModule = typeof import('yaml');
let loaded: Promise<YamlModule> | undefined;

function yamlModule(): Promise<YamlModule> {
  loaded ??= import('yaml');
  return loaded;
}

/**
 * Any JSON-shaped value as a YAML document. Strings that YAML would read as something else ("1.0",
 * "true", "null", "0x1f") are quoted, so the document reads back as the same value; no anchors or
 * aliases (a reader sees every node in full); long strings are not folded.
 */
export async function renderYaml(value: unknown): Promise<string> {
  const YAML = await yamlModule();
  return YAML.stringify(value, { aliasDuplicateObjects: false, lineWidth: 0, version: '1.2' });
}

/** renderYaml once the library is loaded: for streams (watch), which render each event as it comes. */
export async function yamlRenderer(): Promise<(value: unknown) => string> {
  const YAML = await yamlModule();
  return (value) => YAML.stringify(value, { aliasDuplicateObjects: false, lineWidth: 0, version: '1.2' });
}

/** One YAML document as plain data; throws a message naming the line on bad input. */
export async function parseYaml(text: string): Promise<unknown> {
  const YAML = await yamlModule();
  // YAML 1.2 core schema: "on", "yes" and 010 stay strings and decimals, as in JSON. Aliases are
  // expanded with a bound (maxAliasCount) so a small file cannot grow into a huge one.
  return YAML.parse(text, { version: '1.2', maxAliasCount: 100, uniqueKeys: true });
}
