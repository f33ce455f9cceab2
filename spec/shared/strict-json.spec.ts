import { hasDuplicateNames, parseJsonObject } from '../../lib/shared/strict-json';

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

  it('terminates on unterminated text', () => {
    expect(hasDuplicateNames('{"a')).toBe(false);
  });
});
