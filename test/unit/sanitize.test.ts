import { describe, expect, it } from 'vitest';
import { decodeBytes } from '../../src/registry/bytes.js';
import { isUnsafe, safeJson, sanitize } from '../../src/render/sanitize.js';

describe('sanitize', () => {
  it('returns safe text as it is', () => {
    const s = 'go.micro.srv.greeter 1.0.0 10.0.0.1:8080 ünïcødé 服务 🚀 \u{FFFD}';
    expect(sanitize(s)).toBe(s);
    expect(isUnsafe(s)).toBe(false);
  });

  it('escapes C0, ESC, DEL, C1, bidi controls and lone surrogates', () => {
    const cases: [string, string][] = [
      ['a\nb', 'a\\nb'],
      ['a\r\tb', 'a\\r\\tb'],
      ['\x1b]0;pwned\x07', '\\x1b]0;pwned\\x07'],
      ['\x1b[2J', '\\x1b[2J'],
      ['\x00\x7f', '\\x00\\x7f'],
      ['\u009b31m', '\\u009b31m'],
      ['\u0085', '\\u0085'],
      ['abc\u202edef', 'abc\\u202edef'],
      ['x\u2066y\u2069', 'x\\u2066y\\u2069'],
      ['\ud800x', '\\ud800x'],
      ['x\udc00', 'x\\udc00'],
    ];
    for (const [input, shown] of cases) {
      expect(sanitize(input)).toBe(shown);
      expect(isUnsafe(input)).toBe(true);
    }
  });

  it('keeps surrogate pairs (emoji) whole', () => {
    expect(sanitize('a😀b')).toBe('a😀b');
  });

  it('marks escapes with the given painter only', () => {
    expect(sanitize('a\x1bb\nc', (e) => `<${e}>`)).toBe('a<\\x1b>b<\\n>c');
  });

  it('never leaves a raw control character, for every code point below U+00A0', () => {
    let all = '';
    for (let c = 0; c < 0xa0; c++) all += String.fromCharCode(c);
    const out = sanitize(all);
    expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});

describe('bytes that are not UTF-8', () => {
  it('are shown as \\xNN, unlike a real U+FFFD', () => {
    const key = decodeBytes(Buffer.from([0x6e, 0xff]));
    expect(sanitize(key)).toBe('n\\xff');
    expect(sanitize('n\ufffd')).toBe('n\ufffd');
    expect(sanitize(key)).not.toBe(sanitize('n\ufffd'));
  });
});

describe('safeJson', () => {
  it('escapes what JSON.stringify leaves raw but a terminal acts on, and parses to the same value', () => {
    const value = { s: 'a\u009b31mb\u202ec\u0085\u007f', ok: 'plain ü 🚀' };
    const text = safeJson(JSON.stringify(value));
    expect(text).not.toMatch(/[\u007f-\u009f\u202e]/);
    expect(JSON.parse(text)).toEqual(value);
    expect(safeJson('{"a":"b"}')).toBe('{"a":"b"}');
  });
});
