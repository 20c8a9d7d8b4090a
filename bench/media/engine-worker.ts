/** EngineHost on a worker thread: each message is a method call, answered with {id, result}. */
import { parentPort, workerData } from 'node:worker_threads';
import { EngineHost } from './engine-host.ts';

const host = new EngineHost(workerData.ports);
parentPort?.on(
  'message',
  async (m: {
    id: number;
    method: 'open' | 'mark' | 'stats' | 'closeAll' | 'prioritise';
    args: unknown[];
  }) => {
    const fn = host[m.method] as (...a: unknown[]) => unknown;
    const result = await fn.apply(host, m.args);
    parentPort?.postMessage({ id: m.id, result });
  },
);
