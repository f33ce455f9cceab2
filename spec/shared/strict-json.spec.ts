import { parseJsonObject, repeatsNames } from '../../lib/shared/strict-json';

/** The verdict on a JSON text: the parser's value of it, counted against the text. */
const hasDuplicateNames = (text: string): boolean => repeatsNames(text, JSON.parse(text));

describe('JSON with repeated member names', () => {
  it.each([
    ['{"a":1,"a":2}', true],
    ['{"a":1,"\\u0061":2}', true],
    ['{"a":{"b":1,"b":1}}', true],
    ['{"a":[{"b":1},{"b":1}],"c":{"b":{}}}', false],
    ['{"a":"\\"a\\":1,","b":["a","a"]}', false],
    ['{"a":{},"b":{}, "c" : { } }', false],
    ['{}', false],
    ['[1,2]', false],
    ['{"__proto__":1,"__proto__":2}', true],
    ['{"__proto__":{"a":1,"a":2}}', true],
    ['{"a\\\\":1,"a\\\\\\"":2,"x":"\\\\"}', false],
    ['{"a\\\\":1,"a\\\\":2}', true],
    ['{ "a" :\n1 ,\t"a"\r: 2 }', true],
    ['{"1":{},"01":{},"b":[{"c":1},{"c":1,"d":{"c":1}}]}', false],
    ['{"b":{"x":1},"1":{"y":1,"y":2}}', true],
    ['{"a":":","b":"\\":","c":[":"]}', false],
  ])('%s repeats a name: %s', (text, repeated) => {
    expect(hasDuplicateNames(text)).toBe(repeated);
  });

  it('parses objects only, and refuses repeated names', () => {
    expect(parseJsonObject('{"sub":"user_1"}')).toEqual({ sub: 'user_1' });
    expect(parseJsonObject('{"sub":"user_1","sub":"user_2"}')).toBeNull();
    expect(parseJsonObject('[]')).toBeNull();
    expect(parseJsonObject('"x"')).toBeNull();
    expect(parseJsonObject('{')).toBeNull();
  });

  it('judges text nested deeper than any recursion could go', () => {
    const depth = 200_000;
    expect(hasDuplicateNames(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)).toBe(false);
    expect(hasDuplicateNames(`${'[{"a":1,"a":'.repeat(depth)}1${'}]'.repeat(depth)}`)).toBe(true);
  });

  it('refuses unterminated text without judging its names', () => {
    expect(parseJsonObject('{"a')).toBeNull();
    expect(parseJsonObject('{"a":1,"a')).toBeNull();
  });
});
