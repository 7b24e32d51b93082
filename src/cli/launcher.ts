// The link to bin/teejs.js when it had to spawn this process (a Node without process.execve):
// the launcher holds the write end of a pipe at the fd named by TEEJS_LAUNCHER_FD and never
// writes. EOF on it means the launcher is gone (SIGKILL included), and this process then
// stops as if it had received SIGTERM: `teejs serve` stops gracefully and frees the data
// directory, `teejs run` ends; executors follow their host (they exit when it disconnects).
import net from 'node:net';

export function watchLauncher(env: NodeJS.ProcessEnv = process.env): void {
  const given = env.TEEJS_LAUNCHER_FD;
  // Not for our children: the fd is ours alone.
  delete env.TEEJS_LAUNCHER_FD;
  if (given === undefined || !/^\d+$/.test(given) || Number(given) < 3) return;
  let link: net.Socket;
  try {
    link = new net.Socket({ fd: Number(given), readable: true, writable: false });
  } catch {
    return;
  }
  let lost = false;
  const onLost = () => {
    if (lost) return;
    lost = true;
    link.destroy();
    process.kill(process.pid, 'SIGTERM');
  };
  link.on('end', onLost);
  link.on('error', onLost);
  link.on('close', onLost);
  link.resume();
  // The link never keeps the process alive by itself: `teejs run` exits when its work is done.
  link.unref();
}
