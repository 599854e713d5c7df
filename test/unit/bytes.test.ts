import { describe, expect, it } from 'vitest';
import { decodeBytes, encodeBytes, hasRawBytes, lossyText } from '../../src/registry/bytes.js';

describe('keys as bytes', () => {
  it('decodes UTF-8 as usual', () => {
    const text = 'go.micro.srv.greeter/ünï 服务 🚀 \ufffd';
    expect(decodeBytes(Buffer.from(text))).toBe(text);
    expect(hasRawBytes(text)).toBe(false);
  });

  it('keeps every byte that is not UTF-8, and gives the exact bytes back', () => {
    const cases = [[0xff], [0xc0, 0x80], [0x80], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xf0, 0x9f, 0x9a], [0xfe, 0xff]];
    for (const bad of cases) {
      const bytes = Buffer.concat([Buffer.from('/micro/registry/u8/n'), Buffer.from(bad), Buffer.from('x😀')]);
      const text = decodeBytes(bytes);
      expect(hasRawBytes(text), bad.join(',')).toBe(true);
      expect(encodeBytes(text).equals(bytes), bad.join(',')).toBe(true);
      // Not the U+FFFD look-alike: that key is another one.
      expect(text).not.toBe(bytes.toString('utf8'));
      // As Go reads it: each bad byte is one U+FFFD.
      expect(lossyText(text)).toBe(`/micro/registry/u8/n${'\ufffd'.repeat(bad.length)}x😀`);
    }
  });

  it('round-trips random bytes exactly', () => {
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
    for (let i = 0; i < 2000; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + (next() % 24) }, next));
      expect(encodeBytes(decodeBytes(bytes)).equals(bytes)).toBe(true);
    }
  });

  it('takes a view into a larger buffer', () => {
    const whole = Buffer.from([0x61, 0xff, 0x62, 0x63]);
    expect(encodeBytes(decodeBytes(new Uint8Array(whole.buffer, whole.byteOffset + 1, 2)))).toEqual(Buffer.from([0xff, 0x62]));
  });
});
