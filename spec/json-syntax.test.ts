import { JsonSyntaxError, locateSyntaxError, MAX_NESTING, parseJson } from './json-syntax';

const failure = (text: string) => {
  try {
    parseJson(text);
  } catch (err) {
    return (err as JsonSyntaxError).message;
  }
  throw new Error('parsed');
};

test('valid JSON parses', () => {
  expect(parseJson('{"a": [1, -2.5e3, true, null, "x\\u00e9\\n"]}')).toEqual({ a: [1, -2500, true, null, 'xé\n'] });
});

test.each([
  ['{]', 'invalid JSON at line 1, column 2: expected a property name in double quotes, found "]"'],
  ['{\n  "a": 1,\n}', 'invalid JSON at line 3, column 1: expected a property name in double quotes, found "}"'],
  ['{\n  "a": tru\n}', 'invalid JSON at line 2, column 8: expected "true"'],
  ['{"a": 1', 'invalid JSON at line 1, column 8: unexpected end of input'],
  ['', 'invalid JSON at line 1, column 1: unexpected end of input'],
  ['[1 2]', 'invalid JSON at line 1, column 4: expected "," or "]", found "2"'],
  ['{"a" 1}', 'invalid JSON at line 1, column 6: expected ":" after the property name, found "1"'],
  ['{"a": "x\ty"}', 'invalid JSON at line 1, column 9: control character "\\t" in a string (escape it)'],
  ['{"a": "\\q"}', 'invalid JSON at line 1, column 9: invalid escape "\\q"'],
  ['{"a": "open', 'invalid JSON at line 1, column 7: unterminated string'],
  ['{"a": 01}', 'invalid JSON at line 1, column 8: expected "," or "}", found "1"'],
  ['{}\n{}', 'invalid JSON at line 2, column 1: unexpected "{" after the JSON value'],
])('%j: %s', (text, message) => {
  expect(failure(text)).toBe(message);
});

test('the scanner agrees with JSON.parse on mutations of a real document', () => {
  const base = JSON.stringify(
    {
      ociVersion: '1.3.0',
      process: { args: ['sh', '-c', 'echo "hi"\n'], env: [], cwd: '/' },
      n: [0, -1.5e-3, true, null],
    },
    null,
    2,
  );
  const alphabet = ['{', '}', '[', ']', ',', ':', '"', '\\', '0', '-', 'e', '.', ' ', '\n', 't', 'x'];
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let round = 0; round < 3000; round++) {
    const at = random(base.length);
    const kind = random(3);
    const c = alphabet[random(alphabet.length)];
    const text =
      kind === 0
        ? base.slice(0, at) + base.slice(at + 1)
        : kind === 1
          ? base.slice(0, at) + c + base.slice(at)
          : base.slice(0, at) + c + base.slice(at + 1);
    let valid = true;
    try {
      JSON.parse(text);
    } catch {
      valid = false;
    }
    expect({ text, valid: locateSyntaxError(text) === null }).toEqual({ text, valid });
  }
});

test('nesting deeper than MAX_NESTING is refused where it goes too deep, whatever the brackets inside strings', () => {
  const deep = (n: number, open: string, close: string) => open.repeat(n) + '1' + close.repeat(n);
  expect(parseJson(`{"a": ${deep(MAX_NESTING - 1, '[', ']')}, "s": "${'['.repeat(500)}"}`)).toBeTruthy();
  expect(failure(`{"a":\n ${deep(20_000, '[', ']')}}`)).toBe(
    `invalid JSON at line 2, column ${MAX_NESTING + 1}: arrays and objects nested more than ${MAX_NESTING} levels deep`,
  );
  expect(failure(deep(MAX_NESTING + 1, '{"k\\"[":', '}'))).toMatch(/column \d+: arrays and objects nested more than/);
});
