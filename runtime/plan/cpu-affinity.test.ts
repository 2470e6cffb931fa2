import { MAX_AFFINITY_CPUS, finalAffinitySteps, initialAffinitySteps, parseCpuList } from './cpu-affinity';
import { PlanError } from './plan-error';

describe('parseCpuList', () => {
  test.each([
    ['0', [0]],
    ['1', [1]],
    ['0-3,7', [0, 1, 2, 3, 7]],
    ['7,0-3', [0, 1, 2, 3, 7]],
    ['2-2', [2]],
    ['1,1,0-1', [0, 1]],
    [' 0 - 2 , 5 ', [0, 1, 2, 5]],
    ['1023', [1023]],
  ])('%j names CPUs %j', (text, cpus) => {
    expect(parseCpuList(text, 'at')).toEqual(cpus);
  });

  test.each([
    ['a', /"a" is not a CPU list such as "0-3,7" \(bad item "a"\)/],
    ['0,', /bad item ""/],
    ['-1', /bad item "-1"/],
    ['1-', /bad item "1-"/],
    ['0-1-2', /bad item "0-1-2"/],
    ['3-1', /the range 3-1 runs backwards/],
    [String(MAX_AFFINITY_CPUS), /CPU 1024 is beyond the 1024 CPUs an affinity mask holds/],
    ['0-5000', /CPU 5000 is beyond/],
  ])('%j is refused, naming the field', (text, message) => {
    const parse = () => parseCpuList(text, 'process.execCPUAffinity.final');
    expect(parse).toThrow(PlanError);
    expect(parse).toThrow(message);
    expect(parse).toThrow(/^process\.execCPUAffinity\.final: /);
  });
});

describe('execCPUAffinity steps', () => {
  const proc = (execCPUAffinity?: { initial?: string; final?: string }) => ({ cwd: '/', args: ['sh'], execCPUAffinity });

  test('initial and final each become a step naming their field', () => {
    const p = proc({ initial: '0', final: '0-1' });
    expect(initialAffinitySteps(p)).toEqual([{ op: 'setAffinity', cpus: [0], purpose: 'process.execCPUAffinity.initial' }]);
    expect(finalAffinitySteps(p)).toEqual([{ op: 'setAffinity', cpus: [0, 1], purpose: 'process.execCPUAffinity.final' }]);
  });

  test('absent or empty fields change nothing (the kernel decides, as the spec says)', () => {
    for (const p of [proc(), proc({}), proc({ initial: '', final: ' ' })]) {
      expect(initialAffinitySteps(p)).toEqual([]);
      expect(finalAffinitySteps(p)).toEqual([]);
    }
  });
});
