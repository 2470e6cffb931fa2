/**
 * Pressure stall information of a cgroup v2 directory (cpu.pressure, memory.pressure,
 * io.pressure): the share of time some (or all) of its tasks waited for the resource, over 10, 60
 * and 300 seconds, and the total wait in microseconds. On a hybrid host the unified hierarchy
 * holds them (the controllers are v1's); a v1-only host, or a kernel without PSI, has none.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { CgroupManager } from './manager';

export interface PressureFigures {
  avg10: number;
  avg60: number;
  avg300: number;
  /** Microseconds. */
  total: number;
}

export interface Pressure {
  some: PressureFigures | null;
  full: PressureFigures | null;
}

export interface CgroupPressure {
  cpu: Pressure | null;
  memory: Pressure | null;
  io: Pressure | null;
}

/** "some avg10=0.12 avg60=0.05 avg300=0.01 total=1234\nfull ..." (a line that is not one is passed over). */
export function parsePressure(text: string): Pressure {
  const out: Pressure = { some: null, full: null };
  for (const line of text.split('\n')) {
    const m = /^(some|full) avg10=(\d+(?:\.\d+)?) avg60=(\d+(?:\.\d+)?) avg300=(\d+(?:\.\d+)?) total=(\d+)$/.exec(line.trim());
    if (m) out[m[1] as 'some' | 'full'] = { avg10: Number(m[2]), avg60: Number(m[3]), avg300: Number(m[4]), total: Number(m[5]) };
  }
  return out;
}

/** The cgroup's pressure files, each null where the host has none. */
export function readPressure(m: CgroupManager): CgroupPressure {
  const v2 = m.controllerDir('cgroup');
  const read = (resource: string): Pressure | null => {
    if (v2?.version !== 2) return null;
    try {
      return parsePressure(fs.readFileSync(path.join(v2.dir, `${resource}.pressure`), 'utf8'));
    } catch {
      return null;
    }
  };
  return { cpu: read('cpu'), memory: read('memory'), io: read('io') };
}
