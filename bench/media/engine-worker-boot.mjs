// Entry of the media benchmark's engine thread: a worker thread does not
// inherit tsx's loader under Node 20, so it registers it for itself.
const { register } = await import('tsx/esm/api');
register();
await import('./engine-worker.ts');
