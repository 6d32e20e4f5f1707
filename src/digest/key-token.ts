import { isIP } from 'node:net';
import type { ScalarName, SourceTable } from '../schema/index.js';
import { compositeKey, murmur3Token } from '../source/index.js';

function fixed(bytes: number, write: (buffer: Buffer) => void): Buffer {
  const buffer = Buffer.alloc(bytes);
  write(buffer);
  return buffer;
}

/** Minimal two's complement, big-endian: how Cassandra serializes a varint. */
function varintBytes(value: bigint): Buffer {
  let hex = (value < 0n ? -value - 1n : value).toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes.length === 0 || (bytes[0] as number) >= 0x80) bytes = Buffer.concat([Buffer.alloc(1), bytes]);
  if (value < 0n) for (let i = 0; i < bytes.length; i++) bytes[i] = ~(bytes[i] as number) & 0xff;
  return bytes;
}

function inetBytes(text: string): Buffer {
  if (isIP(text) === 4) return Buffer.from(text.split('.').map(Number));
  // IPv6 as normalInet writes it: a :: run, and perhaps an IPv4 tail (two more groups).
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  const hex = v4 ? `${text.slice(0, v4.index)}${((Number(v4[1]) << 8) | Number(v4[2])).toString(16)}:${((Number(v4[3]) << 8) | Number(v4[4])).toString(16)}` : text;
  const [head = '', tail] = hex.includes('::') ? hex.split('::') : [hex, undefined];
  const before = head === '' ? [] : head.split(':');
  const after = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? before : [...before, ...new Array<string>(8 - before.length - after.length).fill('0'), ...after];
  return fixed(16, (buffer) => groups.forEach((group, i) => buffer.writeUInt16BE(parseInt(group, 16), i * 2)));
}

const FLOAT = (text: string): number => (text === 'NaN' ? Number.NaN : text === '-0' ? -0 : Number(text));

/**
 * A partition-key value's bytes as Cassandra serialized it, from validate's canonical text of the value (see
 * canonical-column.ts). Undefined for a type whose canonical text does not keep every serialized byte: decimal (its
 * scale), time (below a microsecond), and non-scalar keys.
 */
const SERIALIZE: Partial<Record<ScalarName, (text: string) => Buffer>> = {
  text: (t) => Buffer.from(t, 'utf8'),
  ascii: (t) => Buffer.from(t, 'utf8'),
  tinyint: (t) => fixed(1, (b) => b.writeInt8(Number(t))),
  smallint: (t) => fixed(2, (b) => b.writeInt16BE(Number(t))),
  int: (t) => fixed(4, (b) => b.writeInt32BE(Number(t))),
  bigint: (t) => fixed(8, (b) => b.writeBigInt64BE(BigInt(t))),
  varint: (t) => varintBytes(BigInt(t)),
  boolean: (t) => Buffer.from([t === 'true' ? 1 : 0]),
  uuid: (t) => Buffer.from(t.replace(/-/g, ''), 'hex'),
  timeuuid: (t) => Buffer.from(t.replace(/-/g, ''), 'hex'),
  blob: (t) => Buffer.from(t, 'hex'),
  timestamp: (t) => fixed(8, (b) => b.writeBigInt64BE(BigInt(t))),
  // Days since the epoch, stored unsigned with the epoch at 2^31.
  date: (t) => fixed(4, (b) => b.writeUInt32BE((Number(t) + 2 ** 31) >>> 0)),
  inet: inetBytes,
  float: (t) => fixed(4, (b) => b.writeFloatBE(FLOAT(t))),
  double: (t) => fixed(8, (b) => b.writeDoubleBE(FLOAT(t))),
};

/**
 * The token of a row's partition, from the canonical texts of its partition-key columns (in key order), or why it
 * cannot be computed for this table. One component: its bytes; several: each as length, bytes, 0 (CompositeType).
 */
export function keyTokenFunction(table: SourceTable): ((keyTexts: readonly string[]) => bigint) | string {
  const serializers: Array<(text: string) => Buffer> = [];
  for (const name of table.partitionKeys) {
    const column = table.columns.find((c) => c.name === name);
    const serialize = column?.type.kind === 'scalar' ? SERIALIZE[column.type.name] : undefined;
    if (!serialize) return `partition-key column ${name} is a ${column?.type.kind === 'scalar' ? column.type.name : (column?.type.kind ?? '?')}, whose token validate cannot compute from the target's value`;
    serializers.push(serialize);
  }
  if (serializers.length === 1) return (texts) => murmur3Token((serializers[0] as (text: string) => Buffer)(texts[0] ?? ''));
  return (texts) => murmur3Token(compositeKey(serializers.map((serialize, i) => serialize(texts[i] ?? ''))));
}
