import { KeyObject, sign } from 'node:crypto';
import type { TestKey } from './keys';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The other spellings of a base64url segment: its last character with the bits beyond the encoded
 * bytes (4 at length 4n+2, 2 at 4n+3) set otherwise. Lenient decoders read them all as the same bytes.
 */
export function otherSpellings(segment: string): string[] {
  const unused = segment.length % 4 === 2 ? 0b1111 : segment.length % 4 === 3 ? 0b11 : 0;
  const last = ALPHABET.indexOf(segment.slice(-1));
  const spellings: string[] = [];
  for (let bits = 1; bits <= unused; bits++) spellings.push(`${segment.slice(0, -1)}${ALPHABET[(last & ~unused) | bits] as string}`);
  return spellings;
}

/** Signs the text of two segments exactly as given (not re-encoded), RS256. */
export function signSegments(key: TestKey, header: string, payload: string): string {
  const input = `${header}.${payload}`;
  return `${input}.${sign('sha256', Buffer.from(input), KeyObject.from(key.privateKey)).toString('base64url')}`;
}

/** Signs raw header and payload bytes (which need not be UTF-8), RS256. */
export function signBytes(key: TestKey, header: Buffer, payload: Buffer): string {
  return signSegments(key, header.toString('base64url'), payload.toString('base64url'));
}

/**
 * JSON text of `fields` plus a `pad` member, as short as possible (from `from` characters, within
 * 1000 more), whose base64url length `fits` (e.g. has a remainder modulo 4, or lies in a range).
 */
export function paddedJson(fields: Record<string, unknown>, fits: (encodedLength: number) => boolean, from = 0): string {
  for (let size = from; size < from + 1000; size++) {
    const pad = 'x'.repeat(size);
    const text = JSON.stringify({ ...fields, ...(pad === '' ? {} : { pad }) });
    if (fits(Buffer.from(text).toString('base64url').length)) return text;
  }
  throw new Error('no padding fits');
}
