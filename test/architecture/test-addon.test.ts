/** What only tests call is in the test addon, never in the shipped one. */
import { createRequire } from 'module';
import { addonPath } from '../../runtime/native/binding';
import { testAddonPath } from '../helpers/test-native';

const load = createRequire(__filename);

test('the shipped addon and the test addon export no function in common, and the shipped one none of the tests', () => {
  const shipped = Object.keys(load(addonPath));
  const testOnly = Object.keys(load(testAddonPath));
  expect(testOnly.filter((name) => shipped.includes(name))).toEqual([]);
  expect(testOnly.sort()).toEqual(
    ['acceptUnix', 'decodePlan', 'deviceFilterCount', 'listenUnix', 'seccompNotifyReceive', 'seccompNotifyRespond', 'setChildSubreaper', 'waitReadable'].sort(),
  );
  expect(shipped).toContain('spawnInit');
});
