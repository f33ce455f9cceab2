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
  return hasDuplicateNames(text) ? null : (value as Record<string, unknown>);
}

/**
 * Whether an object in valid JSON `text` repeats a member name (compared after unescaping, so
 * `"a"` and `"\u0061"` are the same). One pass, no recursion.
 */
export function hasDuplicateNames(text: string): boolean {
  // One entry per open container: the names seen so far in an object, null in an array.
  const open: (Set<string> | null)[] = [];
  let expectName = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      let end = i + 1;
      let escaped = false;
      while (end < text.length && text[end] !== '"') {
        if (text[end] === '\\') {
          escaped = true;
          end += 2;
        } else {
          end += 1;
        }
      }
      if (end >= text.length) return false; // not JSON: not ours to judge
      if (expectName) {
        const names = open[open.length - 1] as Set<string>;
        // Only a name with escapes needs unescaping (a parse); the others are their own text.
        const name = escaped ? (JSON.parse(text.slice(i, end + 1)) as string) : text.slice(i + 1, end);
        if (names.has(name)) return true;
        names.add(name);
        expectName = false;
      }
      i = end;
    } else if (char === '{') {
      open.push(new Set());
      expectName = true;
    } else if (char === '[') {
      open.push(null);
    } else if (char === '}' || char === ']') {
      open.pop();
      expectName = false;
    } else if (char === ',') {
      expectName = open[open.length - 1] instanceof Set;
    }
  }
  return false;
}
