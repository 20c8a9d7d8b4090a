/**
 * `npm start`: load and validate the configuration (a bad value stops here
 * with a message naming the key), lock the data folder and check every port
 * (another instance or a busy port stops here, before anything starts),
 * start the app, stop gracefully on SIGINT/SIGTERM. A second signal during
 * shutdown exits at once.
 */
import { ConfigError, loadConfig } from './settings/config.ts';
import { productionLayers } from './layers.ts';
import { createLogger } from './runtime/logger.ts';
import { preflight, StartupError } from './preflight/index.ts';
import { startApp } from './start-app.ts';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`open-acd: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.log.level });
  const exit = (code: number) => logger.flush(() => process.exit(code));

  let lock: Awaited<ReturnType<typeof preflight>>;
  try {
    lock = await preflight(config);
  } catch (err) {
    if (err instanceof StartupError) {
      logger.fatal(err.message);
      process.stderr.write(`open-acd: ${err.message}\n`);
      exit(1);
      return;
    }
    throw err;
  }
  // Released on every exit path, also a crash (process 'exit' runs it last).
  process.once('exit', () => lock.release());

  let app: Awaited<ReturnType<typeof startApp>>;
  try {
    app = await startApp(config, { logger, telephony: true, layers: productionLayers() });
  } catch (err) {
    logger.fatal({ err }, 'start failed');
    exit(1);
    return;
  }
  logger.info({ url: app.httpUrl }, 'open-acd started');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal during shutdown: exiting now');
      exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app.close().then(
      () => {
        logger.info('stopped');
        exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // A bug that escaped every handler: log it and stop rather than run in an unknown state.
  const crash = (err: unknown) => {
    logger.fatal({ err }, 'unexpected error; exiting');
    exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

await main();
