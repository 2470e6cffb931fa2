/**
 * .dockerignore as Docker's client reads and matches it: the reference's examples and
 * patternmatcher's documented rules.
 */
import { TsrunError } from '../../common/errors';
import { ignoreMatcher, keepBuildFiles, parseDockerignore } from '../../supervisor/tsctl/dockerignore';
import { SeededRandom } from '../helpers/seeded-choices';

describe('parseDockerignore', () => {
  test('comments in the first column, trimming, cleaning, leading slashes', () => {
    const text = '\uFEFF# comment\n  # not a comment  \n\n   \n*/temp*\r\n./a/\n/b//c/../d\n!  /keep \n!\n**/*.go\n/\n';
    expect(parseDockerignore(text)).toEqual(['# not a comment', '*/temp*', 'a', 'b/d', '!keep', '!', '**/*.go', '/']);
  });
});

describe('ignoreMatcher', () => {
  // [patterns, path, ignored]
  test.each<[string, string, boolean]>([
    // The reference's example file.
    ['# comment\n*/temp*\n*/*/temp*\ntemp?', 'somedir/temporary.txt', true],
    ['*/temp*', 'somedir/temp', true],
    ['*/temp*', 'temp', false],
    ['*/temp*', 'a/b/temp', false],
    ['*/*/temp*', 'somedir/subdir/temporary.txt', true],
    ['temp?', 'tempa', true],
    ['temp?', 'temp', false],
    ['temp?', 'tempab', false],
    ['temp?', 'temp/x', false],
    // ** any number of directories, none included.
    ['**/*.go', 'main.go', true],
    ['**/*.go', 'a/b/c/main.go', true],
    ['**/*.go', 'a/main.golang', false],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**', 'a/x/y', true],
    ['a/**', 'ab', false],
    ['a**', 'ab', true], // patternmatcher's prefix match: "a**" is "a" + anything, "/" too
    ['a**', 'a/b/c', true],
    ['**', 'anything/at/all', true],
    ['**/foo', 'foo', true],
    ['**/foo', 'x/foo', true],
    ['**/foo', 'xfoo', false],
    // Plain names, parents.
    ['node_modules', 'node_modules', true],
    ['node_modules', 'node_modules/x/y.js', true], // a matching parent excludes its contents
    ['node_modules', 'src/node_modules', false],
    ['*.md', 'README.md', true],
    ['*.md', 'docs/README.md', false],
    ['docs/*.md', 'docs/README.md', true],
    // Character classes and escapes.
    ['[abc].txt', 'b.txt', true],
    ['[abc].txt', 'd.txt', false],
    ['[a-c]?.txt', 'bx.txt', true],
    ['[^a].txt', 'a.txt', false],
    ['[^a].txt', 'z.txt', true],
    ['\\*.txt', '*.txt', true],
    ['\\*.txt', 'x.txt', false],
    ['a\\ b', 'a b', true],
    ['file.txt', 'fileXtxt', false], // . is literal
    ['a+(b)|c{1}$', 'a+(b)|c{1}$', true],
    ['*', 'é', true],
    ['?', '😀', true],
    // Exceptions, in order: the last match wins.
    ['*.md\n!README.md', 'README.md', false],
    ['*.md\n!README.md', 'CHANGES.md', true],
    ['*.md\n!README*.md\nREADME-secret.md', 'README-secret.md', true],
    ['*.md\nREADME-secret.md\n!README*.md', 'README-secret.md', false],
    ['dir\n!dir/keep', 'dir/keep', false],
    ['dir\n!dir/keep', 'dir/other', true],
    ['dir\n!dir/keep', 'dir/keep/inside', false],
    ['!x\nx', 'x', true],
    // The context root is never ignored.
    ['*', '.', false],
  ])('%j: %s → %s', (patterns, file, ignored) => {
    expect(ignoreMatcher(parseDockerignore(patterns)).ignores(file)).toBe(ignored);
  });

  test.each<[string, string, boolean]>([
    ['dir', 'dir', true],
    ['dir\n!dir/keep', 'dir', false],
    ['dir\n!dir/sub/keep', 'dir/sub', false],
    ['dir\n!dir/keep', 'dir/other', true],
    ['dir\n!other', 'dir', true],
    ['dir\n!dirx', 'dir', true],
    // Docker's prefix test sees no wildcard: an exception like this one does not keep the directory read.
    ['dir\n!*/keep', 'dir', true],
  ])('skipsDir %j, %s → %s', (patterns, dir, skips) => {
    expect(ignoreMatcher(parseDockerignore(patterns)).skipsDir(dir)).toBe(skips);
  });

  test('errors name the file and say what to do', () => {
    expect(() => ignoreMatcher(['!'])).toThrow('.dockerignore: "!" alone is no pattern (write !PATH to re-include PATH)');
    expect(() => ignoreMatcher(['a[b'], 'ctx/.dockerignore')).toThrow('ctx/.dockerignore: bad pattern "a[b" (close every [');
  });

  test('the Dockerfile and .dockerignore are kept even when ignored', () => {
    expect(keepBuildFiles(['*'], 'Dockerfile')).toEqual(['*', '!.dockerignore', '!Dockerfile']);
    expect(keepBuildFiles(['docker'], 'docker/Dockerfile.dev')).toEqual(['docker', '!docker/Dockerfile.dev']);
    expect(keepBuildFiles(['src'], 'Dockerfile')).toEqual(['src']);
    const m = ignoreMatcher(keepBuildFiles(['*'], 'Dockerfile'));
    expect([m.ignores('Dockerfile'), m.ignores('.dockerignore'), m.ignores('other')]).toEqual([false, false, true]);
  });
});

describe('fuzz: patterns and paths', () => {
  const pieces = ['*', '**', '?', '[', ']', '^', '\\', '!', '/', './', '../', '.', 'a', 'b', 'é', '😀', ' ', '#', '{', '}', '(', ')', '|', '+', '$', '-', '\n'];
  test('2000 random .dockerignore texts: a TsrunError or a matcher that answers every path', () => {
    const rnd = new SeededRandom(1415);
    const paths = ['a', 'a/b', 'b/a/b', 'é/😀', '.a', 'a b', '[', 'a/[b]', '*'];
    for (let n = 0; n < 2000; n++) {
      let text = '';
      const count = rnd.int(30);
      for (let i = 0; i < count; i++) text += rnd.pick(pieces);
      let m;
      try {
        m = ignoreMatcher(parseDockerignore(text));
      } catch (err) {
        if (!(err instanceof TsrunError)) throw new Error(`case ${n} (${JSON.stringify(text)}) threw ${String(err)}`);
        expect(err.message).toMatch(/^\.dockerignore: /);
        continue;
      }
      for (const p of paths) {
        expect(typeof m.ignores(p)).toBe('boolean');
        expect(typeof m.skipsDir(p)).toBe('boolean');
      }
    }
  });
});
