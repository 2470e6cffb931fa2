/** Block the thread for `ms`: tsrun is a short-lived command and its waits (a dying process, a busy cgroup) are brief. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
