/**
 * The side effects on cgroup directories that every hierarchy version shares: make a path
 * recording what was made, write and read control files, list member processes, remove.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CgroupError, errnoName } from './errors';
import type { Poll } from '../poll-wait';
import type { CgroupWrite } from './resources';

export interface MakeHooks {
  /** Runs on each directory from the mountpoint down to the target's parent, before its child is made. */
  beforeChild?(parent: string): void;
  /**
   * Runs on each directory below the mountpoint down to the target, parents first, whether this
   * call made it or found it (a create killed half-way leaves directories it never set up).
   */
  onEach?(dir: string): void;
}

function makeDir(dir: string, created: string[]): void {
  try {
    fs.mkdirSync(dir, 0o755);
  } catch (err) {
    if (errnoName(err) === 'EEXIST') return;
    throw new CgroupError(`cgroup: mkdir ${dir}: ${errnoName(err)}`, errnoName(err));
  }
  created.push(dir);
}

function exists(dir: string): boolean {
  try {
    fs.statSync(dir);
    return true;
  } catch (err) {
    if (errnoName(err) === 'ENOENT') return false;
    throw new CgroupError(`cgroup: stat ${dir}: ${errnoName(err)}`, errnoName(err));
  }
}

/**
 * Make `dir` and its missing parents below `mountpoint`. Each directory made is pushed onto
 * `created` as soon as it exists, so that a failure later still knows exactly what to undo; a
 * directory that already existed (or that another process made meanwhile) is never recorded.
 */
export function makeCgroupDirs(mountpoint: string, dir: string, created: string[], hooks: MakeHooks = {}): void {
  const parts = path.posix.relative(mountpoint, dir).split('/');
  let current = mountpoint;
  for (const part of parts) {
    hooks.beforeChild?.(current);
    current = path.posix.join(current, part);
    if (!exists(current)) makeDir(current, created);
    hooks.onEach?.(current);
  }
}

/** The directories from below `mountpoint` down to `dir` that do not exist, parents first. */
export function missingDirs(mountpoint: string, dir: string): string[] {
  const missing: string[] = [];
  let current = mountpoint;
  for (const part of path.posix.relative(mountpoint, dir).split('/')) {
    current = path.posix.join(current, part);
    if (missing.length > 0 || !exists(current)) missing.push(current);
  }
  return missing;
}

/** Write one value to a control file; `field` (a config path or a purpose) starts the message. */
export function writeCgroupFile(dir: string, file: string, value: string, field: string): void {
  const p = path.posix.join(dir, file);
  try {
    // O_WRONLY without O_CREAT/O_TRUNC: a missing file is the kernel saying "no such setting".
    const fd = fs.openSync(p, fs.constants.O_WRONLY);
    try {
      fs.writeSync(fd, value);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    throw new CgroupError(`${field}: write "${value}" to ${p}: ${errnoName(err)}`, errnoName(err));
  }
}

/**
 * Perform planned writes in order, each in the directory `dirOf` gives. A write marked
 * retryAfterNext that fails with EINVAL is tried again after the next write to its controller;
 * a write with readBack is checked against what the kernel stored.
 */
export function performWrites(writes: CgroupWrite[], dirOf: (w: CgroupWrite) => string): void {
  let retry: CgroupWrite | null = null;
  for (const w of writes) {
    const dir = dirOf(w);
    try {
      writeCgroupFile(dir, w.file, w.value, w.field);
    } catch (err) {
      if (!w.retryAfterNext || !(err instanceof CgroupError) || err.errno !== 'EINVAL') throw err;
      retry = w;
      continue;
    }
    const problem = w.readBack?.(readCgroupFile(dir, w.file));
    if (problem) throw new CgroupError(`${w.field}: ${problem}`);
    if (retry && retry.controller === w.controller) {
      writeCgroupFile(dirOf(retry), retry.file, retry.value, retry.field);
      retry = null;
    }
  }
  if (retry) writeCgroupFile(dirOf(retry), retry.file, retry.value, retry.field);
}

export function readCgroupFile(dir: string, file: string): string {
  const p = path.posix.join(dir, file);
  try {
    return fs.readFileSync(p, 'utf8');
  } catch (err) {
    throw new CgroupError(`cgroup: read ${p}: ${errnoName(err)}`, errnoName(err));
  }
}

function subdirectories(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.posix.join(dir, e.name));
  } catch (err) {
    if (errnoName(err) === 'ENOENT') return [];
    throw new CgroupError(`cgroup: read directory ${dir}: ${errnoName(err)}`, errnoName(err));
  }
}

/** Pids in the cgroup at `dir` and in the cgroups the container made beneath it. */
export function readProcsTree(dir: string, into: Set<number> = new Set()): Set<number> {
  let text: string;
  try {
    text = fs.readFileSync(path.posix.join(dir, 'cgroup.procs'), 'utf8');
  } catch (err) {
    if (errnoName(err) === 'ENOENT') return into; // removed meanwhile
    throw new CgroupError(`cgroup: read ${path.posix.join(dir, 'cgroup.procs')}: ${errnoName(err)}`, errnoName(err));
  }
  for (const line of text.split('\n')) if (line) into.add(Number(line));
  for (const sub of subdirectories(dir)) readProcsTree(sub, into);
  return into;
}

/**
 * rmdir `dir`, retrying while EBUSY until `deadline` (Date.now() value): processes that were just
 * killed leave the cgroup a moment after the signal. Returns the errno name of the last failure,
 * or null when the directory is gone (ENOENT counts as gone).
 */
function* rmdirRetrying(dir: string, deadline: number): Poll<string | null> {
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      fs.rmdirSync(dir);
      return null;
    } catch (err) {
      const code = errnoName(err);
      if (code === 'ENOENT') return null;
      if (code !== 'EBUSY' || Date.now() >= deadline) return code;
      yield delay;
    }
  }
}

/** rmdir `dir` once: true when it is gone (ENOENT counts as gone), false on any failure. */
function removedAtOnce(dir: string): boolean {
  try {
    fs.rmdirSync(dir);
    return true;
  } catch (err) {
    return errnoName(err) === 'ENOENT';
  }
}

/** Remove the cgroup at `dir` with every cgroup the container made beneath it, deepest first. */
export function* removeCgroupTree(dir: string, deadline: number): Poll<string | null> {
  // A cgroup seldom has cgroups beneath it: one rmdir first, the listing only when it fails.
  if (removedAtOnce(dir)) return null;
  for (const sub of subdirectories(dir)) {
    const failed = yield* removeCgroupTree(sub, deadline);
    if (failed) return failed;
  }
  const code = yield* rmdirRetrying(dir, deadline);
  return code === null ? null : `rmdir ${dir}: ${code}`;
}

/**
 * Remove a directory tsrun made above a container's cgroup. One that still has other cgroups in
 * it (made by other containers meanwhile) is shared now and stays.
 */
export function removeSharedParent(dir: string): string | null {
  try {
    fs.rmdirSync(dir);
    return null;
  } catch (err) {
    const code = errnoName(err);
    if (code === 'ENOENT') return null;
    if ((code === 'EBUSY' || code === 'ENOTEMPTY') && subdirectories(dir).length > 0) return null;
    return `rmdir ${dir}: ${code}`;
  }
}
