import { ignoredUpdates, mergeResourceUpdate } from './update';

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
    expect(() => mergeResourceUpdate(current, { blockIO: { leafWeight: 100 } })).toThrow('update: linux.resources.blockIO.leafWeight cannot be updated by tsrun');
    expect(() => mergeResourceUpdate(current, { network: { classID: 5 } })).toThrow('linux.resources.network.classID cannot be updated');
    expect(() => mergeResourceUpdate(current, { hugepageLimits: [{ pageSize: '2MB', limit: 0 }] })).toThrow('linux.resources.hugepageLimits cannot be updated');
    expect(() => mergeResourceUpdate(undefined, [] as never)).toThrow('must be a JSON object');
  });

  test("runc 1.1's update fields merge; kernel memory is ignored with runc's warning", () => {
    const merged = mergeResourceUpdate(current, {
      blockIO: { weight: 300 },
      cpu: { realtimeRuntime: 5000, realtimePeriod: 100000 },
      memory: { kernel: 1 << 20 },
      unified: { 'pids.max': '5' },
    });
    expect(merged.blockIO).toEqual({ weight: 300 });
    expect(merged.cpu).toMatchObject({ realtimeRuntime: 5000, realtimePeriod: 100000 });
    expect(merged.memory).toEqual(current.memory);
    expect(merged.unified).toEqual({ 'pids.max': '5' });
    expect(ignoredUpdates({ memory: { kernelTCP: 1 } })).toEqual(['Kernel memory settings are ignored and will be removed']);
    expect(ignoredUpdates({ memory: { limit: 1 } })).toEqual([]);
  });
});
