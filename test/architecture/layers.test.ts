/** The shipped tree keeps its layers: the rules of ./imports.ts on the real import graph, and on planted ones. */
import * as path from 'path';
import { importsOf, layerViolations, packageCycles, separationViolations, shippedFiles, type Import } from './imports';

const ROOT = path.join(__dirname, '..', '..');

describe('the shipped tree', () => {
  const imports = importsOf(ROOT, shippedFiles(ROOT));

  test('is read: every layer has files and imports', () => {
    const files = shippedFiles(ROOT);
    expect(files).toContain('supervisor/daemon/main.ts');
    expect(files).toContain('runtime/cli/main.ts');
    expect(files.some((f) => f.endsWith('.test.ts'))).toBe(false);
    expect(imports).toContainEqual({ from: 'supervisor/daemon/daemon.ts', to: 'supervisor/services/supervisor.ts' });
  });

  test('imports only down the layers (daemon, services, domain, shared, runtime, spec, common), and nothing of the tests', () => {
    expect(layerViolations(imports)).toEqual([]);
  });

  test('has no cycle among supervisor packages', () => {
    expect(packageCycles(imports)).toEqual([]);
  });

  test("keeps tsctl's side and tsrund's apart", () => {
    expect(separationViolations(imports)).toEqual([]);
  });
});

describe('the rules catch a planted violation', () => {
  const fine: Import[] = [
    { from: 'supervisor/daemon/daemon.ts', to: 'supervisor/services/tasks.ts' },
    { from: 'supervisor/services/tasks.ts', to: 'supervisor/tasks/manager.ts' },
    { from: 'supervisor/tasks/manager.ts', to: 'supervisor/shared/logger.ts' },
    { from: 'supervisor/tasks/manager.ts', to: 'runtime/native/index.ts' },
    { from: 'runtime/plan/build.ts', to: 'spec/types.ts' },
  ];

  test('nothing in a tree that keeps the rules', () => {
    expect(layerViolations(fine)).toEqual([]);
    expect(packageCycles(fine)).toEqual([]);
    expect(separationViolations(fine)).toEqual([]);
  });

  test('an import up a layer: the domain reaching the daemon, the runtime reaching the supervisor', () => {
    const planted = [
      ...fine,
      { from: 'supervisor/tasks/manager.ts', to: 'supervisor/daemon/logger.ts' },
      { from: 'runtime/container/create.ts', to: 'supervisor/tasks/manager.ts' },
    ];
    expect(layerViolations(planted)).toEqual([
      'supervisor/tasks/manager.ts (domain) imports supervisor/daemon/logger.ts (front ends): up a layer',
      'runtime/container/create.ts (runtime) imports supervisor/tasks/manager.ts (domain): up a layer',
    ]);
  });

  test('a file outside every layer, and a shipped import of test code', () => {
    const planted = [
      { from: 'supervisor/supervisor.ts', to: 'supervisor/tasks/manager.ts' },
      { from: 'runtime/native/index.ts', to: 'test/helpers/test-native.ts' },
    ];
    expect(layerViolations(planted)).toEqual([
      expect.stringMatching(/^supervisor\/supervisor\.ts is in no layer/),
      'runtime/native/index.ts imports test/helpers/test-native.ts, which only tests may use',
    ]);
  });

  test('a cycle between two domain packages (same layer, so only the cycle check sees it)', () => {
    const planted = [
      ...fine,
      { from: 'supervisor/images/bundle-container.ts', to: 'supervisor/snapshots/overlay.ts' },
      { from: 'supervisor/snapshots/overlay.ts', to: 'supervisor/content/digest.ts' },
      { from: 'supervisor/content/store.ts', to: 'supervisor/images/store.ts' },
    ];
    expect(layerViolations(planted)).toEqual([]);
    expect(packageCycles(planted)).toEqual([['supervisor/content', 'supervisor/images', 'supervisor/snapshots']]);
  });

  test('tsctl importing a service of tsrund', () => {
    const planted = [...fine, { from: 'supervisor/tsctl/main.ts', to: 'supervisor/services/version.ts' }];
    expect(layerViolations(planted)).toEqual([]);
    expect(separationViolations(planted)).toEqual([expect.stringMatching(/^supervisor\/tsctl\/main\.ts imports supervisor\/services\/version\.ts/)]);
  });
});
