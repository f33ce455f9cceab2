/**
 * Parses JSON text that must be an object whose objects (at every depth) have no duplicate member
 * names. `JSON.parse` keeps the last of two equal names where other parsers keep the first; a
 * token that two parsers read differently is refused rather than guessed at.
 *
 * @returns The object, or `null` when the text is not JSON, not an object, or repeats a name.
 */
export function parseJsonObject(text: string): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  return repeatsNames(text, value) ? null : (value as Record<string, unknown>);
}

/**
 * Whether an object of `value`, which `JSON.parse` made of `text`, repeats a member name. The
 * parser keeps one property per distinct name, so the text repeats a name exactly when it has
 * more members (names followed by a colon) than the parsed objects have own properties, counted
 * over all objects: no object can have more properties than members. Counting needs no name
 * compared, hashed or cut out of the text, and reads the text once, by jumps between quotes.
 */
export function repeatsNames(text: string, value: unknown): boolean {
  return memberCount(text) !== propertyCount(value);
}

/**
 * Members of every object in valid JSON `text`: outside strings a colon follows a member name
 * (and optional blanks), and nothing else, so each string followed by a colon is one member.
 */
function memberCount(text: string): number {
  let members = 0;
  let open = text.indexOf('"');
  while (open !== -1) {
    let close = text.indexOf('"', open + 1);
    // A quote after an odd number of backslashes is part of the string.
    while (close !== -1 && isEscaped(text, close, open)) close = text.indexOf('"', close + 1);
    if (close === -1) return members; // not JSON: JSON.parse refused it already
    let next = close + 1;
    while (next < text.length && isBlank(text.charCodeAt(next))) next++;
    if (text.charCodeAt(next) === COLON) members++;
    open = text.indexOf('"', next);
  }
  return members;
}

const COLON = 0x3a;
const BACKSLASH = 0x5c;

function isEscaped(text: string, quote: number, open: number): boolean {
  let backslashes = 0;
  for (let i = quote - 1; i > open && text.charCodeAt(i) === BACKSLASH; i--) backslashes++;
  return backslashes % 2 === 1;
}

/** JSON's blanks: space, tab, line feed, carriage return. */
function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** Own properties of every object in a parsed JSON value, at every depth (no recursion: depth is the text's to choose). */
function propertyCount(value: unknown): number {
  let properties = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next !== 'object' || next === null) continue;
    if (Array.isArray(next)) {
      for (const element of next) if (typeof element === 'object' && element !== null) pending.push(element);
      continue;
    }
    const names = Object.keys(next);
    properties += names.length;
    for (const name of names) {
      const member = (next as Record<string, unknown>)[name];
      if (typeof member === 'object' && member !== null) pending.push(member);
    }
  }
  return properties;
}
