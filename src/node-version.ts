// teejs needs Node 24 or later (isolated-vm 7's prebuilt binaries, type stripping, the
// permission model its executors run under). Imported first by the package's entry, so that an
// older Node gets one clear sentence instead of a failure deep inside a dependency.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  throw new Error(`teejs needs Node.js 24 or later; this is Node.js ${process.versions.node}`);
}
if (!process.execArgv.includes('--no-node-snapshot')) {
  throw new Error('teejs needs Node.js started with --no-node-snapshot (isolated-vm requires it): node --no-node-snapshot your-program.js');
}
