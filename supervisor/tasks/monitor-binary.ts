/** Where the tsrun-monitor executable is: cmake-js builds it beside the addon (CMakeLists.txt). */
import * as fs from 'fs';
import * as path from 'path';
import { addonPath } from '../../runtime/native/binding';

export function monitorBinaryPath(): string {
  const binary = path.join(path.dirname(addonPath), 'tsrun-monitor');
  if (!fs.existsSync(binary)) {
    throw new Error(`${binary} not found: build it with \`npx cmake-js compile --out build/native\``);
  }
  return binary;
}
