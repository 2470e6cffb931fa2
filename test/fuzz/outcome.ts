/** What the config fuzzers (tsrun's and tsrund's) accept as an answer to a mutated config, what they look for as leaks, and their settings. */
import * as fs from 'fs';
import * as path from 'path';

/** What must never reach a user: stack frames and the words of JavaScript's own errors. */
export const CRASH =
  /^\s+at |\bat .*\(.*:\d+:\d+\)|TypeError|ReferenceError|RangeError|Cannot read propert|Cannot set propert|is not a function|is not iterable|Maximum call stack|\[object Object\]|got undefined|Unexpected token|ERR_[A-Z_]+/m;

/**
 * A message names where: a JSON path into config.json (a top-level field followed by . [ or :),
 * or the file, or a step of create with its path or errno, or runc's words for a process that
 * cannot be executed (`exec: "x": executable file not found in $PATH`, which tools match on).
 */
export const NAMES_WHERE =
  /(^|[\s"'(])(ociVersion|root|mounts|process|hostname|domainname|hooks|annotations|linux|\(root\))([.[:]| \(|$)|config\.json|: E[A-Z0-9]+\b|\((E[A-Z0-9]+|No such|Permission|Invalid|Operation)|(^|: )exec: "/m;

/** FUZZ_SEED (a number, or "random"), FUZZ_CASES and FUZZ_CASE, as the fuzzers' file comments describe. */
export function fuzzSettings(defaultCases: number): { SEED: number; CASES: number; ONLY: number | null } {
  const seed = process.env.FUZZ_SEED;
  return {
    SEED: seed === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(seed ?? 20261201),
    CASES: Number(process.env.FUZZ_CASES ?? defaultCases),
    ONLY: process.env.FUZZ_CASE === undefined ? null : Number(process.env.FUZZ_CASE),
  };
}

/** Directories under the cgroup hierarchies whose names carry `tag` (a fuzz run's). */
export function cgroupsTagged(tag: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const sub = path.join(dir, e.name);
      if (e.name.includes(tag)) found.push(sub);
      else if (depth < 4) walk(sub, depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return found;
}
