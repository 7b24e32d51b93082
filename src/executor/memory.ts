// What the kernel says a process holds. V8's heap limit does not bound everything an isolate
// allocates (large objects, flattened strings and array buffers have been seen to pass it by
// gigabytes: see docs/limits.md), so the supervisor trusts only the process's resident memory.
//
// Linux only: /proc/PID/statm (current resident pages, one short read) and /proc/PID/status
// (VmHWM, the peak since the process started). Elsewhere both answer null and the memory watch
// is off; docs/limits.md says so.
import { readFileSync } from 'node:fs';

const pageBytes = 4096;

/** Resident bytes of a process, or null where /proc cannot tell (not Linux, process gone). */
export function residentBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ');
    const pages = Number(fields[1]);
    return Number.isFinite(pages) ? pages * pageBytes : null;
  } catch {
    return null;
  }
}

/** The highest resident bytes a process ever had (VmHWM), or null. */
export function peakResidentBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Whether this machine lets the supervisor watch resident memory at all. */
export const memoryWatchAvailable: boolean = residentBytes(process.pid) !== null;

export const mib = 1024 * 1024;
