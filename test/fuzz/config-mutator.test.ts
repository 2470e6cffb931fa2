/** The config mutator itself: it reaches every field of the schemas, and a seed is a case. */
import config from '../../spec/schema/config.schema.json';
import defs from '../../spec/schema/defs.schema.json';
import defsLinux from '../../spec/schema/defs-linux.schema.json';
import { defaultSpec } from '../../spec/default-config';
import { configText, mutateConfig, schemaFields } from './config-mutator';
import { seededRandom } from '../helpers/seeded-random';

test('every property of every schema definition is a field the mutator sets', () => {
  const fields = schemaFields();
  const reached = new Set(fields.map((f) => String(f.path[f.path.length - 1])));
  const declared = new Set<string>();
  for (const schema of [config, defs, defsLinux] as { definitions?: Record<string, { properties?: object }>; properties?: object }[]) {
    for (const key of Object.keys(schema.properties ?? {})) declared.add(key);
    for (const def of Object.values(schema.definitions ?? {})) for (const key of Object.keys(def.properties ?? {})) declared.add(key);
  }
  expect([...declared].filter((k) => !reached.has(k))).toEqual([]);
  expect(fields.length).toBeGreaterThan(200);
});

test('the same seed makes the same config, and another seed another', () => {
  const fields = schemaFields();
  const base = defaultSpec() as never;
  const text = (seed: number) => configText(mutateConfig(base, seededRandom(seed), fields, 't', '/c').config);
  expect(text(42)).toBe(text(42));
  const distinct = new Set(Array.from({ length: 50 }, (_, i) => text(i)));
  expect(distinct.size).toBeGreaterThan(45);
});

test('linux.cgroupsPath only takes forms of the case cgroup', () => {
  const fields = schemaFields();
  for (let i = 0; i < 300; i++) {
    const { config: c } = mutateConfig(defaultSpec() as never, seededRandom(i), fields, 't', '/case-cg');
    const p = (c.linux as Record<string, unknown> | undefined)?.cgroupsPath;
    if (typeof p === 'string' && p !== '' && p !== '/' && p !== '..') expect(p).toContain('case-cg');
  }
});
