/**
 * spec/generated must be what the schemas produce: `gen-types.js --check` (also run by CI) passes
 * on the committed files and fails on a copy that differs.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const GENERATOR = path.join(__dirname, 'tools', 'gen-types.js');
const GENERATED = path.join(__dirname, 'generated');

const check = (...extra: string[]) =>
  spawnSync(process.execPath, [GENERATOR, '--check', ...extra], { encoding: 'utf8' });

let scratch: string;
beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-gen-'));
});
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

test('the committed generated types match the schemas', () => {
  const result = check();
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
});

test('the check fails on an edited or missing generated file', () => {
  for (const f of fs.readdirSync(GENERATED)) fs.copyFileSync(path.join(GENERATED, f), path.join(scratch, f));
  expect(check('--out', scratch).status).toBe(0);

  fs.appendFileSync(path.join(scratch, 'config.ts'), 'export type Edited = 1;\n');
  fs.rmSync(path.join(scratch, 'state.ts'));
  const result = check('--out', scratch);
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/config\.ts: missing or stale/);
  expect(result.stderr).toMatch(/state\.ts: missing or stale/);
});

test('every generated file starts with the do-not-edit banner', () => {
  for (const f of fs.readdirSync(GENERATED)) {
    expect(fs.readFileSync(path.join(GENERATED, f), 'utf8')).toMatch(
      /^\/\* Generated from spec\/schema\/.* do not edit\./,
    );
  }
});
