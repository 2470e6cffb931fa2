import { parseGoDuration } from './events';

test.each([
  ['5s', 5000],
  ['250ms', 250],
  ['1m30s', 90_000],
  ['1.5s', 1500],
  ['0', 0],
])('parseGoDuration(%s) = %i ms', (text, ms) => {
  expect(parseGoDuration(text)).toBe(ms);
});

test('a bad duration is refused as runc\'s flag parser does', () => {
  expect(() => parseGoDuration('5')).toThrow('invalid value "5" for flag -interval: parse error');
  expect(() => parseGoDuration('soon')).toThrow('parse error');
});
