// Entry of the embedded SIP server's worker thread. The app runs its
// TypeScript through tsx, whose loader a worker thread does not inherit
// (Node 20 runs neither `--import tsx` nor tsx's CLI hooks in workers), so
// the worker registers it for itself.
const { register } = await import('tsx/esm/api');
register();
await import('./sip-edge-worker.ts');
