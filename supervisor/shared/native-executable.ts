/** Where tsrund's C programs are: cmake-js builds them beside the addon (CMakeLists.txt). */
import * as fs from 'fs';
import * as path from 'path';
import { addonPath } from '../../runtime/native/binding';

export function nativeExecutable(name: string): string {
  const binary = path.join(path.dirname(addonPath), name);
  if (!fs.existsSync(binary)) {
    throw new Error(`${binary} not found: build it with \`npx cmake-js compile --out build/native\``);
  }
  return binary;
}
