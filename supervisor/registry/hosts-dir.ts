/** Reading a registry config directory in containerd's layout: <dir>/<host>/hosts.toml, one per registry. */
import * as fs from 'fs';
import * as path from 'path';
import { MirrorConfigError } from './mirrors';

/** The hosts.toml files under `dir` (none when it does not exist), by the host their directory names. */
export function readHostsDir(dir: string): { host: string; text: string; file: string }[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new MirrorConfigError(`--registry-config-dir ${dir}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const out: { host: string; text: string; file: string }[] = [];
  for (const host of names.sort()) {
    const file = path.join(dir, host, 'hosts.toml');
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new MirrorConfigError(`${file}: cannot read it (${code ?? (err as Error).message})`);
    }
    out.push({ host, text, file });
  }
  return out;
}
