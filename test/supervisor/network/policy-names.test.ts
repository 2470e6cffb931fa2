/** Network names (Docker's rule, at most 64 characters) and the bridge of a managed network. */
import { TsrunError } from '../../../common/errors';
import { bridgeNameFor, checkNetworkName } from '../../../supervisor/network/names';
import { SeededRandom } from '../../helpers/seeded-choices';
import { hostileText } from './hostile-text';
import { refusal } from './refusals';

test.each(['bridge', 'a', 'My_net.2-b', '0net', 'x'.repeat(64)])('%s is a network name', (name) => {
  expect(() => checkNetworkName(name, 'name')).not.toThrow();
});

test.each([
  ['', 'name: a network name is required'],
  ['-net', 'name: "-net" is not a valid network name (letters, digits, "_", "." and "-", starting with a letter or digit)'],
  ['.hidden', 'name: ".hidden" is not a valid network name'],
  ['a b', 'name: "a b" is not a valid network name'],
  ['a/b', 'name: "a/b" is not a valid network name'],
  ['container:x', 'name: "container:x" is not a valid network name'],
  ['né', 'name: "né" is not a valid network name'],
  ['x'.repeat(65), 'name: a network name is at most 64 characters (this one has 65)'],
])('%j is refused: %s', (name, message) => {
  const err = refusal(() => checkNetworkName(name, 'name'));
  expect(err.code).toBe('invalid-argument');
  expect(err.message.startsWith(message)).toBe(true);
});

test('hostile names: accepted ones are safe as file names and links; refusals are one line (seeded)', () => {
  for (let seed = 1; seed <= 3000; seed++) {
    const name = hostileText(new SeededRandom(seed));
    try {
      checkNetworkName(name, 'req.name');
    } catch (err) {
      expect((err as TsrunError).message).toMatch(/^req\.name: [^\n\r]*$/);
      continue;
    }
    expect(name).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);
  }
});

test('the bridge of a network is tsr- and its id in hex, at most 15 bytes', () => {
  const id = 'a3f09c2b7d41e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e';
  expect(bridgeNameFor(id)).toBe('tsr-a3f09c2b7d4');
  expect(Buffer.byteLength(bridgeNameFor(id))).toBe(15);
  expect(() => bridgeNameFor('../../etc')).toThrow(/is not a hex digest/);
});
