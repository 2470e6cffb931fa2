/**
 * Cases on config.json as a document (config.md: version, extensibility, valid values).
 */
import { Case, expect } from '../case';
import { PROBE_IN_CONTAINER } from '../probe';

export const configCases: Case[] = [
  {
    id: 'config.unknown-properties',
    clause: 'config.md § Extensibility',
    level: 'MUST',
    requirement: 'properties the runtime does not know (top level, in process, in linux) are ignored, not errors',
    async check(ctx) {
      const report = await ctx.probe((c) => {
        Object.assign(c, { 'org.example.conformance': { nested: [1, 2] } });
        Object.assign(c.process, { 'org.example.unknown': true });
        Object.assign(c.linux, { 'org.example.unknown': 'x' });
      });
      expect(report.args[0] === PROBE_IN_CONTAINER, `the probe did not run as expected: ${JSON.stringify(report.args)}`);
    },
  },
  {
    id: 'config.oci-version-older-1x',
    clause: 'config.md § Specification version',
    level: 'MUST',
    requirement: 'a bundle declaring an earlier 1.x version (1.0.2) runs: ociVersion only states what the bundle complies with',
    async check(ctx) {
      const report = await ctx.probe((c) => {
        c.ociVersion = '1.0.2';
      });
      expect(report.args[0] === PROBE_IN_CONTAINER, `the probe did not run as expected: ${JSON.stringify(report.args)}`);
    },
  },
  {
    id: 'config.oci-version-not-semver',
    clause: 'config.md § Specification version',
    level: 'MUST',
    requirement: 'ociVersion must be SemVer 2.0.0; a value that is not ("one") is invalid and create fails',
    async check(ctx) {
      const bundle = ctx.bundle(['true'], (c) => {
        c.ociVersion = 'one';
      });
      const r = ctx.runtime.create(ctx.runtime.newId('badver'), bundle.dir);
      expect(r.code !== 0, 'create with ociVersion "one" succeeded');
    },
  },
  {
    id: 'config.unknown-namespace-type',
    clause: 'config.md § Valid values',
    level: 'MUST',
    requirement: 'a value outside its allowed set (namespace type "conformance") is an error',
    async check(ctx) {
      const bundle = ctx.bundle(['true'], (c) => {
        c.linux.namespaces.push({ type: 'conformance' as 'pid' });
      });
      const r = ctx.runtime.create(ctx.runtime.newId('badns'), bundle.dir);
      expect(r.code !== 0, 'create with namespace type "conformance" succeeded');
    },
  },
  {
    id: 'config.unknown-capability',
    clause: 'config.md § Valid values',
    level: 'MUST',
    requirement: 'a capability name the runtime does not know ("CAP_CONFORMANCE") is an error, not silently dropped',
    async check(ctx) {
      const bundle = ctx.bundle(['true'], (c) => {
        c.process.capabilities.bounding = ['CAP_CONFORMANCE'];
      });
      const r = ctx.runtime.create(ctx.runtime.newId('badcap'), bundle.dir);
      expect(r.code !== 0, 'create with capability CAP_CONFORMANCE succeeded');
    },
  },
];
