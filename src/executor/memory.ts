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

/**
 * CPU time (user + system) a process has used, in ms, or null. /proc/PID/stat counts in clock
 * ticks, 100 per second on every Linux this runs on (USER_HZ is fixed at 100 for user space).
 */
export function cpuTimeMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : null;
  } catch {
    return null;
  }
}

/** Whether this machine lets the supervisor watch resident memory at all. */
export const memoryWatchAvailable: boolean = residentBytes(process.pid) !== null;

export const mib = 1024 * 1024;
