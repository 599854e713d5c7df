// Keys and values as the bytes etcd holds. etcd keys are byte strings: anyone who can write the registry
// can write one that is not UTF-8. Decoding it with toString('utf8') turns each bad byte into U+FFFD, so
// `n\xff` and a real `n\uFFFD` became the same text and a delete of one could hit the other. Here every
// byte that is not part of valid UTF-8 becomes a lone surrogate U+DC80+byte (Python's "surrogateescape"):
// the text is then a lossless, reversible picture of the bytes, sanitize() shows such a byte as `\xff`,
// and encodeBytes() gives back exactly the bytes etcd returned.
import { isUtf8 } from 'node:buffer';

/** Bytes as text: UTF-8, with every byte that is not valid UTF-8 kept as U+DC80+byte. */
export function decodeBytes(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buf)) return buf.toString('utf8');
  let out = '';
  let start = 0;
  let i = 0;
  const escape = (at: number): void => {
    out += buf.toString('utf8', start, at) + String.fromCharCode(0xdc00 + buf[at]!);
    start = at + 1;
  };
  while (i < buf.length) {
    const b = buf[i]!;
    const n = sequenceLength(buf, i, b);
    if (n === 0) {
      escape(i);
      i++;
    } else i += n;
  }
  return out + buf.toString('utf8', start);
}

/** The length of the valid UTF-8 sequence at i (RFC 3629: no overlongs, surrogates or > U+10FFFF), or 0. */
function sequenceLength(buf: Buffer, i: number, b: number): number {
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < buf.length && buf[i + k]! >= lo && buf[i + k]! <= hi;
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  if (b === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b >= 0xf1 && b <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** True when the text holds a byte that was not UTF-8 (a lone U+DC80–U+DCFF). */
export function hasRawBytes(text: string): boolean {
  return /(?<![\ud800-\udbff])[\udc80-\udcff]/.test(text);
}

/** The bytes a decodeBytes() text stands for: UTF-8, with each lone U+DC80–U+DCFF back as its byte. */
export function encodeBytes(text: string): Buffer {
  if (!hasRawBytes(text)) return Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      continue;
    }
    if (c >= 0xdc80 && c <= 0xdcff) {
      parts.push(Buffer.from(text.slice(start, i), 'utf8'), Buffer.from([c - 0xdc00]));
      start = i + 1;
    }
  }
  parts.push(Buffer.from(text.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/**
 * The text as Go's encoding/json reads the bytes: each byte that is not UTF-8 is U+FFFD. go-micro names a
 * node's key after the id it then writes into the value, so a key `n\xff` holds a value whose id Go
 * decodes as `n\uFFFD`: the two are compared this way, and only this way.
 */
export function lossyText(text: string): string {
  return hasRawBytes(text) ? text.replace(/(?<![\ud800-\udbff])[\udc80-\udcff]/g, '\ufffd') : text;
}
