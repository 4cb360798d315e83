// Imported first by every sandboxed processor. A sandbox outlives nothing: when its worker
// process dies (even by kill -9) the IPC channel closes and it exits too; the job it held is
// retried elsewhere once its lock expires.
process.on('disconnect', () => process.exit(0));
