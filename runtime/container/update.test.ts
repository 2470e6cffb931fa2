import { mergeResourceUpdate } from './update';

describe('mergeResourceUpdate', () => {
  const current = { memory: { limit: 1000, swap: 2000 }, pids: { limit: 10 }, devices: [{ allow: false, access: 'rwm' }] };

  test('replaces only the fields the change sets and keeps the rest', () => {
    expect(mergeResourceUpdate(current, { memory: { limit: 1500 }, cpu: { cpus: '0' } })).toEqual({
      memory: { limit: 1500, swap: 2000 },
      pids: { limit: 10 },
      cpu: { cpus: '0' },
      devices: [{ allow: false, access: 'rwm' }],
    });
  });

  test('0 and "" mean unchanged, as runc reads its update document', () => {
    expect(mergeResourceUpdate(current, { memory: { limit: 0, reservation: 0 }, cpu: { cpus: '' }, blockIO: { weight: 0 } })).toEqual(current);
  });

  test('a field tsrun cannot change is refused by name', () => {
    expect(() => mergeResourceUpdate(current, { blockIO: { weight: 100 } })).toThrow('update: linux.resources.blockIO.weight cannot be updated by tsrun');
    expect(() => mergeResourceUpdate(current, { cpu: { realtimeRuntime: 5 } })).toThrow('linux.resources.cpu.realtimeRuntime cannot be updated');
    expect(() => mergeResourceUpdate(current, { hugepageLimits: [{ pageSize: '2MB', limit: 0 }] })).toThrow('linux.resources.hugepageLimits cannot be updated');
    expect(() => mergeResourceUpdate(undefined, [] as never)).toThrow('must be a JSON object');
  });
});
