// A Node program that logs through pino with the `sluice/pino` transport (used by sources-pino.test.ts).
import pino from 'pino';

const count = Number(process.env.PINO_LINES ?? '20');
const logger = pino({
  transport: { target: 'sluice/pino', options: { url: process.env.SLUICE_URL, token: process.env.SLUICE_LOG_TOKEN, dyno: 'web.7' } },
});
for (let i = 0; i < count; i++) logger.info({ i }, 'hello from pino');
logger.error('last words');
// No explicit flush: pino ends the transport at exit and the transport delivers before closing.
