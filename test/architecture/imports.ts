/**
 * The import graph of the shipped tree (runtime/, supervisor/, spec/ without their tests) and the
 * rules it must keep: each package imports only its own layer or the layers below, supervisor's
 * packages form no cycle, and the client side never reaches into the server side. The rules are
 * pure functions of a list of imports, so that a test can show them failing on a planted one.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

export interface Import {
  /** Repo-relative file that imports ("supervisor/tasks/manager.ts"). */
  from: string;
  /** Repo-relative file it names. */
  to: string;
}

export interface Layer {
  name: string;
  /** Repo-relative directories (packages, or a tree of them) that make up the layer. */
  dirs: string[];
}

/** tsrun's layers, top first: a package may import its own layer and those below it. */
export const LAYERS: Layer[] = [
  { name: 'front ends', dirs: ['supervisor/daemon', 'supervisor/tsctl'] },
  // cri/: the Kubernetes CRI's handlers, beside tsrund's own services (it uses their handler shapes).
  { name: 'services', dirs: ['supervisor/services', 'supervisor/cri', 'supervisor/client'] },
  {
    name: 'domain',
    dirs: [
      'supervisor/containers',
      'supervisor/tasks',
      'supervisor/images',
      'supervisor/snapshots',
      'supervisor/content',
      'supervisor/registry',
      'supervisor/events',
      'supervisor/volumes',
      'supervisor/network',
      'supervisor/cri/streaming',
      // build/: the Dockerfile language and the builder (tsctl's side of a build, the context it sends, is in tsctl/).
      'supervisor/build',
    ],
  },
  // archive/ is the tar and compression codec, used by tsctl (cp) and tsrund alike.
  { name: 'shared', dirs: ['supervisor/shared', 'supervisor/api', 'supervisor/archive'] },
  { name: 'runtime', dirs: ['runtime'] },
  { name: 'spec', dirs: ['spec'] },
  { name: 'common', dirs: ['common'] },
];

/** Packages that must not import each other in either direction (tsctl's side and tsrund's). */
export const SEPARATE: [string[], string[]][] = [
  [
    ['supervisor/tsctl', 'supervisor/client'],
    ['supervisor/daemon', 'supervisor/services', 'supervisor/cri', ...LAYERS[2].dirs],
  ],
];

/** The trees no shipped module may import: what only tests, benchmarks and conformance use. */
export const TEST_ONLY_TREES = ['test', 'conformance', 'bench'];

export const SHIPPED_TREES = ['runtime', 'supervisor', 'spec', 'common'];

const within = (file: string, dir: string) => file === dir || file.startsWith(`${dir}/`);

/** The layer (index into `layers`, 0 at the top) that holds `file`, or -1. */
export function layerOf(file: string, layers: Layer[]): number {
  return layers.findIndex((l) => l.dirs.some((d) => within(file, d)));
}

/**
 * The package of a file: its directory right under a layer's directory ("supervisor/tasks",
 * "runtime/cgroups"); a file directly in a top-level tree is its own package ("runtime/errors.ts").
 */
export function packageOf(file: string): string {
  const parts = file.split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : file;
}

/** Every import that runs up a layer, from a file in no layer, or into a test-only tree. */
export function layerViolations(imports: Import[], layers: Layer[] = LAYERS): string[] {
  const out: string[] = [];
  for (const { from, to } of imports) {
    if (TEST_ONLY_TREES.some((t) => within(to, t))) {
      out.push(`${from} imports ${to}, which only tests may use`);
      continue;
    }
    const a = layerOf(from, layers);
    const b = layerOf(to, layers);
    if (a < 0) out.push(`${from} is in no layer (move it into one of ${layers.flatMap((l) => l.dirs).join(', ')})`);
    else if (b < 0) out.push(`${from} imports ${to}, which is in no layer`);
    else if (b < a) out.push(`${from} (${layers[a].name}) imports ${to} (${layers[b].name}): up a layer`);
  }
  return [...new Set(out)];
}

/** Imports between packages that SEPARATE keeps apart. */
export function separationViolations(imports: Import[], separate = SEPARATE): string[] {
  const side = (file: string, dirs: string[]) => dirs.some((d) => within(file, d));
  return imports
    .filter(({ from, to }) => separate.some(([a, b]) => (side(from, a) && side(to, b)) || (side(from, b) && side(to, a))))
    .map(({ from, to }) => `${from} imports ${to}: tsctl's side and tsrund's share only api/, shared/ and below`);
}

/** Each cycle among the packages under `tree` (a strongly connected set of two or more), sorted. */
export function packageCycles(imports: Import[], tree = 'supervisor'): string[][] {
  const edges = new Map<string, Set<string>>();
  for (const { from, to } of imports) {
    if (!within(from, tree) || !within(to, tree)) continue;
    const a = packageOf(from);
    const b = packageOf(to);
    if (a === b) continue;
    if (!edges.has(a)) edges.set(a, new Set());
    if (!edges.has(b)) edges.set(b, new Set());
    edges.get(a)!.add(b);
  }
  // Tarjan's strongly connected components.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/** The shipped .ts files (tests left out) under `root`'s SHIPPED_TREES, repo-relative. */
export function shippedFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) out.push(child);
    }
  };
  SHIPPED_TREES.forEach(walk);
  return out.sort();
}

/** Every relative import (import, export from, require, import()) of `files`, resolved to a file. */
export function importsOf(root: string, files: string[]): Import[] {
  const out: Import[] = [];
  for (const from of files) {
    const info = ts.preProcessFile(fs.readFileSync(path.join(root, from), 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), fileName));
      const to = [`${target}.ts`, `${target}/index.ts`, target].find((f) => fs.existsSync(path.join(root, f)) && fs.statSync(path.join(root, f)).isFile());
      if (!to) throw new Error(`${from}: cannot resolve ${fileName}`);
      out.push({ from, to });
    }
  }
  return out;
}
