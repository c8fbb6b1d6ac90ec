/**
 * TEST INFRASTRUCTURE — part of the ModelMesh emulator. Reading and rewriting one string field of an encoded
 * protobuf message without its schema, as model-mesh does with inference requests (modelmesh
 * `ProtoSplicer.extractId` and `spliceId`): a path of field numbers names the field, every number but the last an
 * embedded message, the last a string; at each level the first occurrence counts. Rewriting replaces that string,
 * or appends the field (inside new embedded messages where the path's containers are missing), and every
 * enclosing length prefix follows.
 */

/** The bytes are no protobuf message, or the path's field is not length-delimited. */
export class ProtoWireError extends Error {
  override readonly name = "ProtoWireError";
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;
const MAX_VARINT_BYTES = 10;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** The string at `path`, or undefined when the message does not hold that field. */
export function extractString(message: Uint8Array, path: readonly number[]): string | undefined {
  checkPath(path);
  let start = 0;
  let end = message.length;
  for (let depth = 0; ; depth++) {
    const field = findField(message, start, end, path[depth] ?? 0);
    if (field === undefined) return undefined;
    if (depth === path.length - 1) return utf8Decoder.decode(message.subarray(field.contentStart, field.end));
    start = field.contentStart;
    end = field.end;
  }
}

/** The message with the string at `path` set to `value` (a new array; `message` is left as it was). */
export function spliceString(message: Uint8Array, path: readonly number[], value: string): Uint8Array {
  checkPath(path);
  return spliced(message, 0, message.length, path, 0, utf8.encode(value));
}

/** The new bytes of `message[start, end)`, a message at `depth` of the path. */
function spliced(
  message: Uint8Array,
  start: number,
  end: number,
  path: readonly number[],
  depth: number,
  value: Uint8Array,
): Uint8Array {
  const field = findField(message, start, end, path[depth] ?? 0);
  if (field === undefined) return concat([message.subarray(start, end), encodedField(path, depth, value)]);
  const content =
    depth === path.length - 1
      ? value
      : spliced(message, field.contentStart, field.end, path, depth + 1, value);
  return concat([
    message.subarray(start, field.lengthStart),
    varint(content.length),
    content,
    message.subarray(field.end, end),
  ]);
}

interface LengthDelimited {
  /** Where the field's length prefix starts. */
  readonly lengthStart: number;
  readonly contentStart: number;
  readonly end: number;
}

/** The first field numbered `fieldNumber` in `message[start, end)`. */
function findField(
  message: Uint8Array,
  start: number,
  end: number,
  fieldNumber: number,
): LengthDelimited | undefined {
  let at = start;
  while (at < end) {
    const [tag, lengthStart] = readVarint(message, at, end);
    const wireType = tag % 8;
    if (Math.floor(tag / 8) !== fieldNumber) {
      at = skipValue(message, wireType, lengthStart, end);
      continue;
    }
    if (wireType !== WIRE_LENGTH_DELIMITED)
      throw new ProtoWireError(`field ${fieldNumber} is not a string (wire type ${wireType})`);
    const [length, contentStart] = readVarint(message, lengthStart, end);
    const fieldEnd = contentStart + length;
    if (fieldEnd > end) throw new ProtoWireError("truncated message");
    return { lengthStart, contentStart, end: fieldEnd };
  }
  if (at > end) throw new ProtoWireError("truncated message");
  return undefined;
}

function skipValue(message: Uint8Array, wireType: number, at: number, end: number): number {
  switch (wireType) {
    case WIRE_VARINT:
      return readVarint(message, at, end)[1];
    case WIRE_FIXED64:
      return at + 8;
    case WIRE_FIXED32:
      return at + 4;
    case WIRE_LENGTH_DELIMITED: {
      const [length, contentStart] = readVarint(message, at, end);
      return contentStart + length;
    }
    default:
      throw new ProtoWireError(`unsupported wire type ${wireType}`);
  }
}

/** A varint's value (exact up to 2^53, which covers every tag and length) and the index after it. */
function readVarint(message: Uint8Array, at: number, end: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (at + i >= end) throw new ProtoWireError("truncated message");
    const byte = message[at + i] ?? 0;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, at + i + 1];
    scale *= 128;
  }
  throw new ProtoWireError("malformed varint");
}

function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Uint8Array.from(bytes);
}

/** The field at `path[depth]`, wrapping the string in the embedded messages the rest of the path names. */
function encodedField(path: readonly number[], depth: number, value: Uint8Array): Uint8Array {
  let content = value;
  for (let i = path.length - 1; i >= depth; i--) {
    content = concat([varint((path[i] ?? 0) * 8 + WIRE_LENGTH_DELIMITED), varint(content.length), content]);
  }
  return content;
}

function checkPath(path: readonly number[]): void {
  if (path.length === 0 || path.some((n) => !Number.isInteger(n) || n < 1))
    throw new RangeError(`not a field path: [${path.join(", ")}]`);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
