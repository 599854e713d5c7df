// The one sanitiser between untrusted text (anything read from etcd or from a user's file) and a
// terminal or text output. A registry is written by every service and CI job that holds a credential;
// what they write must never reach the operator's terminal as control sequences (window titles,
// clipboard writes, screen switches, forged lines). Control characters are shown escaped instead,
// as kubectl does since CVE-2021-25743. JSON and YAML escape by themselves and do not come through here.

/**
 * C0 controls, DEL, C1 controls (U+0080–U+009F, U+009B is a one-character CSI on many terminals),
 * the Unicode bidirectional overrides and isolates (which reorder what is shown: "Trojan Source"),
 * and lone surrogates (not text; some terminals print them as garbage).
 */
// eslint-disable-next-line no-control-regex
const unsafe = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\x1b': '\\x1b' };

/**
 * How one unsafe character is written: `\n`, `\x1b`, `\x7f`, `\u009b`, `\u202e`. A lone U+DC80–U+DCFF is
 * how micro-reg holds a byte that is not UTF-8 (src/registry/bytes.ts): it is shown as that byte, `\xff`,
 * which a real U+FFFD (shown as itself) is not.
 */
export function escapeChar(c: string): string {
  const named1 = named[c];
  if (named1 !== undefined) return named1;
  const code = c.charCodeAt(0);
  if (code < 0x80 || (code >= 0xdc80 && code <= 0xdcff)) return `\\x${(code & 0xff).toString(16).padStart(2, '0')}`;
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Untrusted text made safe to print: every control character shown escaped. `mark` paints the escapes
 * (dim on a terminal) so that they read as escapes, not as the text itself; it must only add colour.
 * A string with nothing to escape is returned as it is (the common case, kept allocation-free).
 */
export function sanitize(text: string, mark?: (escaped: string) => string): string {
  unsafe.lastIndex = 0;
  if (!unsafe.test(text)) return text;
  unsafe.lastIndex = 0;
  return text.replace(unsafe, (c) => (mark ? mark(escapeChar(c)) : escapeChar(c)));
}

/**
 * Untrusted text (from etcd or a user's file) for a table cell or a line: control characters shown
 * escaped, the escapes dim when the style paints (a colour terminal). Applied to the data before
 * micro-reg paints the cell its own colours: sanitising a painted cell would escape those too.
 */
export function safeText(text: string, style: { paint: { dim: (text: string) => string } }): string {
  return sanitize(text, style.paint.dim);
}

/** The escapes `sanitize` writes, as they read in its output (which may since have been cut). */
const shownEscape = /\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|[nrt])/g;

/**
 * Paints the escapes in text `sanitize` already made safe (e.g. dim, on a terminal), for renderers that
 * measure and cut plain text first and colour it last. A backslash sequence in the data itself is
 * painted too: only its colour differs, never what is written.
 */
export function markEscapes(shown: string, mark: (escaped: string) => string): string {
  return shown.includes('\\') ? shown.replace(shownEscape, mark) : shown;
}

/** True when `text` holds something `sanitize` would escape. */
export function isUnsafe(text: string): boolean {
  unsafe.lastIndex = 0;
  return unsafe.test(text);
}

/**
 * Characters that JSON.stringify leaves raw but a terminal may act on (DEL, C1 controls, bidi controls,
 * line/paragraph separators). They can only stand inside JSON strings, where `\uXXXX` means the same
 * character: escaping them keeps the document exact (it parses to the same value) and safe to print.
 */
// eslint-disable-next-line no-control-regex
const jsonUnsafe = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** JSON text with the characters JSON.stringify leaves raw, but a terminal may act on, written as `\uXXXX`. */
export function safeJson(json: string): string {
  jsonUnsafe.lastIndex = 0;
  if (!jsonUnsafe.test(json)) return json;
  jsonUnsafe.lastIndex = 0;
  return json.replace(jsonUnsafe, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
