// The one output pipeline of data: a command builds its JSON document once, and -o json, yaml and
// jsonpath all render from it, so the formats cannot drift apart. Colour (keys, strings, numbers) is
// added for a person at a terminal only; the caller decides that (never piped, never with NO_COLOR).
import type { ChalkInstance } from 'chalk';
import { renderJson } from './json.js';
import { type Template, renderJsonPath } from './jsonpath.js';

export type DocumentFormat = { kind: 'json' } | { kind: 'yaml' } | { kind: 'jsonpath'; template: Template };

export interface DocumentStyle {
  /** Pretty (indented) JSON: on a terminal. */
  pretty: boolean;
  /** Paints the pretty text; absent: plain. */
  colour?: ChalkInstance | undefined;
}

/** A JSON or YAML scalar token: a string (a key when a colon follows), a number, true/false/null. */
const jsonTokens = /("(?:[^"\\]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;

/** Pretty JSON coloured: keys blue, strings green, numbers yellow, true/false/null magenta. Pure. */
export function colourJson(text: string, paint: ChalkInstance): string {
  return text.replace(jsonTokens, (_m, str: string | undefined, colon: string | undefined, num: string | undefined, lit: string | undefined) => {
    if (str !== undefined) return colon !== undefined ? `${paint.blue(str)}${colon}` : paint.green(str);
    if (num !== undefined) return paint.yellow(num);
    return paint.magenta(lit!);
  });
}

// `key:` at a line's start (after indentation and list dashes), then its value.
const yamlLine = /^(\s*(?:- )*)((?:[^\s"'#:-][^:]*?|"(?:[^"\\]|\\.)*"|'[^']*'))(:)(?=\s|$)(.*)$/;
const yamlItem = /^(\s*(?:- )+)(.*)$/;

function yamlScalar(value: string, paint: ChalkInstance): string {
  const v = value.trim();
  if (v === '' || v === '|' || v === '>' || v === '[]' || v === '{}') return value;
  const lead = value.slice(0, value.length - value.trimStart().length);
  if (/^(true|false|null|~)$/.test(v)) return lead + paint.magenta(v);
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(v)) return lead + paint.yellow(v);
  return lead + paint.green(v);
}

/** A YAML document (as renderYaml writes it) coloured like colourJson: keys blue, scalars by type. Pure. */
export function colourYaml(text: string, paint: ChalkInstance): string {
  return text
    .split('\n')
    .map((line) => {
      const kv = yamlLine.exec(line);
      if (kv) return `${kv[1]}${paint.blue(kv[2]!)}${kv[3]}${yamlScalar(kv[4]!, paint)}`;
      const item = yamlItem.exec(line);
      if (item) return `${item[1]}${yamlScalar(item[2]!, paint)}`;
      return line;
    })
    .join('\n');
}

/** A renderer of documents in the format (YAML's library loaded first): the same text for every document. */
export async function documentRenderer(format: DocumentFormat): Promise<(doc: unknown, style: DocumentStyle) => string> {
  if (format.kind === 'jsonpath') return (doc) => renderJsonPath(format.template, doc);
  if (format.kind === 'yaml') {
    const yaml = await (await import('./yaml.js')).yamlRenderer();
    return (doc, style) => {
      const text = yaml(doc);
      return style.colour ? colourYaml(text, style.colour) : text;
    };
  }
  return (doc, style) => {
    const text = renderJson(doc, style.pretty);
    return style.colour && style.pretty ? colourJson(text, style.colour) : text;
  };
}

/** The document as the format asks; JSON and YAML end with a newline, a jsonpath template prints only what it says (as kubectl's). */
export async function renderDocument(doc: unknown, format: DocumentFormat, style: DocumentStyle): Promise<string> {
  return (await documentRenderer(format))(doc, style);
}
