/** `npm start`: runs the gateway until SIGINT or SIGTERM, then stops it cleanly. */
import 'reflect-metadata';
import { ConfigError, loadConfig } from './config';
import { startGateway } from './gateway';
import { createLogger } from './logger';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      // Every problem at once, each naming its variable, so one restart fixes them all.
      const { problems } = error;
      process.stderr.write(
        problems.length === 1 ? `Configuration error: ${problems[0]}\n` : `Configuration errors (${problems.length}):\n${problems.map((p) => `- ${p}\n`).join('')}`,
      );
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger(config);
  const gateway = await startGateway(config, log);
  log.info({ url: `${gateway.url}/graphql` }, `Datasentinel access gateway ready at ${gateway.url}/graphql`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping: draining in-flight requests');
    try {
      await gateway.stop();
      log.info('stopped');
      process.exit(0);
    } catch (error) {
      log.error({ err: error }, 'error while stopping');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
