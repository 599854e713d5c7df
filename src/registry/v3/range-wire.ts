// Pure: etcd's RangeResponse decoded straight from the protobuf wire bytes (etcd's rpc.proto and
// kv.proto), for the large reads of list and get. etcd3's generic path (protobufjs decode, then
// toObject with every int64 turned into a Long and then a string) cost about a third of a 30,000-key
// read and most of its garbage; here each key and value stays a view into the message (no copy), and
// the int64 fields are read as plain numbers, as decimal strings only where they are kept.

/** One key of a range answer: key and value are views into the message buffer. */
export interface WireKeyValue {
  key: Buffer;
  value: Buffer;
  createRevision: string;
  modRevision: string;
  /** Decimal lease id; "0" without a lease. */
  lease: string;
}

export interface WireRangeResponse {
  /** The store revision the answer was read at (header.revision). */
  revision: string;
  kvs: WireKeyValue[];
  more: boolean;
  /** Keys in the whole requested range (etcd counts them even when `limit` cuts the answer). */
  count: string;
}

class WireError extends Error {}

/** A cursor over one protobuf message (or a length-delimited part of one). */
class Reader {
  pos: number;
  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A varint up to 32 bits (tags, lengths). */
  uint32(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      const b = this.buf[this.pos++]!;
      if (shift < 28) value |= (b & 0x7f) << shift;
      else if (shift === 28) value += (b & 0x0f) * 2 ** 28;
      if (b < 0x80) return value;
      shift += 7;
      if (shift > 63) throw new WireError('varint too long');
    }
  }

  /**
   * An int64 varint as a decimal string: plain number arithmetic while it fits in 53 bits (every
   * revision and count), BigInt past that (lease ids use all 63 bits; a negative int64 takes 10 bytes).
   */
  int64(): string {
    let low = 0;
    let shift = 0;
    const start = this.pos;
    for (;;) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      const b = this.buf[this.pos++]!;
      if (shift < 49) {
        low += (b & 0x7f) * 2 ** shift;
        if (b < 0x80) return String(low);
      } else {
        // Too wide for a double: read it again as a BigInt.
        while (this.buf[this.pos - 1]! >= 0x80) {
          if (this.pos >= this.end || this.pos - start >= 10) throw new WireError('bad int64 varint');
          this.pos++;
        }
        let big = 0n;
        for (let i = this.pos - 1; i >= start; i--) big = (big << 7n) | BigInt(this.buf[i]! & 0x7f);
        return BigInt.asIntN(64, big).toString();
      }
      shift += 7;
    }
  }

  /** A length-delimited field's extent: [start, end). */
  delimited(): [number, number] {
    const length = this.uint32();
    const start = this.pos;
    const end = start + length;
    if (end > this.end) throw new WireError('truncated field');
    this.pos = end;
    return [start, end];
  }

  /** Past a varint, unread. */
  skipVarint(): void {
    const start = this.pos;
    while (this.pos < this.end && this.buf[this.pos]! >= 0x80) this.pos++;
    this.pos++;
    if (this.pos > this.end || this.pos - start > 10) throw new WireError('bad varint');
  }

  skip(wireType: number): void {
    if (wireType === 0) this.skipVarint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.delimited();
    else if (wireType === 5) this.pos += 4;
    else throw new WireError(`wire type ${wireType}`);
    if (this.pos > this.end) throw new WireError('truncated field');
  }
}

function keyValue(r: Reader, end: number, keysOnly: boolean): WireKeyValue {
  const kv: WireKeyValue = { key: emptyBuffer, value: emptyBuffer, createRevision: '0', modRevision: '0', lease: '0' };
  const inner = new Reader(r.buf, r.pos, end);
  while (inner.pos < end) {
    const tag = inner.uint32();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 1 && wireType === 2) {
      const [s, e] = inner.delimited();
      kv.key = r.buf.subarray(s, e);
    } else if (field === 5 && wireType === 2) {
      const [s, e] = inner.delimited();
      kv.value = r.buf.subarray(s, e);
    } else if (keysOnly) inner.skip(wireType);
    else if (field === 2 && wireType === 0) kv.createRevision = inner.int64();
    else if (field === 3 && wireType === 0) kv.modRevision = inner.int64();
    else if (field === 6 && wireType === 0) kv.lease = inner.int64();
    else inner.skip(wireType);
  }
  r.pos = end;
  return kv;
}

const emptyBuffer = Buffer.alloc(0);

function headerRevision(r: Reader, end: number): string {
  let revision = '0';
  const inner = new Reader(r.buf, r.pos, end);
  while (inner.pos < end) {
    const tag = inner.uint32();
    if (tag >>> 3 === 3 && (tag & 7) === 0) revision = inner.int64();
    else inner.skip(tag & 7);
  }
  r.pos = end;
  return revision;
}

/**
 * Decodes a serialized etcdserverpb.RangeResponse; throws on bytes that are not one. With `keysOnly`
 * only the keys are read (revisions and leases stay "0"), as for a keys-only range.
 */
export function decodeRangeResponse(buf: Buffer, keysOnly = false): WireRangeResponse {
  const out: WireRangeResponse = { revision: '0', kvs: [], more: false, count: '0' };
  const r = new Reader(buf, 0, buf.length);
  while (r.pos < r.end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wireType = tag & 7;
    if ((field === 1 || field === 2) && wireType === 2) {
      const length = r.uint32();
      const end = r.pos + length;
      if (end > r.end) throw new WireError('truncated message');
      if (field === 1) out.revision = headerRevision(r, end);
      else out.kvs.push(keyValue(r, end, keysOnly));
    } else if (field === 3 && wireType === 0) out.more = r.int64() !== '0';
    else if (field === 4 && wireType === 0) out.count = r.int64();
    else r.skip(wireType);
  }
  return out;
}
