// The data directory (SQLite file, master key file), private to the user running the server,
// and its lock, so that two servers never share one SQLite store (each would take the other's
// running executions for leftovers of a crash).
//
// The lock is the kernel's: an exclusive SQLite lock (fcntl) on `server.lock`, held by an open
// connection for the server's life. The kernel drops it when the process ends, however it ends,
// and it holds between processes that see the same file whatever their pids: two containers
// sharing a volume, both pid 1, which a pid file (the lock before this one) could not tell
// apart. `server.pid` only names the holder in the refusal.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

export class DataDirLockedError extends Error {
  constructor(dir: string, holder: string) {
    super(`another teejs server (${holder}) is using the data directory ${dir}`);
    this.name = 'DataDirLockedError';
  }
}

export function prepareDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Takes the directory's lock, or throws DataDirLockedError; returns what releases it. */
export function lockDataDir(dir: string): () => void {
  const pidFile = path.join(dir, 'server.pid');
  const lock = new DatabaseSync(path.join(dir, 'server.lock'), { timeout: 0 });
  try {
    lock.exec('PRAGMA locking_mode = EXCLUSIVE');
    // Kept after the commit, until the connection closes (locking_mode EXCLUSIVE).
    lock.exec('BEGIN EXCLUSIVE');
    lock.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER)');
    lock.exec('COMMIT');
  } catch (error) {
    lock.close();
    if (!/locked|busy/i.test((error as Error).message)) throw error;
    throw new DataDirLockedError(dir, holderOf(pidFile));
  }
  writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
  let released = false;
  return () => {
    if (released) return;
    released = true;
    // While the lock is still held: no other server can have written its pid meanwhile.
    rmSync(pidFile, { force: true });
    lock.close();
  };
}

function holderOf(pidFile: string): string {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0) return `pid ${pid}, as it wrote`;
  } catch {
    // No name given: say so.
  }
  return 'its pid unknown';
}
