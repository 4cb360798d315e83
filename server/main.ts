import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';

const config = loadConfig();
const app = await buildApp(config).catch((err: Error) => {
  // A refusal to start (no keys on a public address, a malformed key list) is one line, not a stack trace.
  process.stderr.write(`loss-atlas API: ${err.message}\n`);
  process.exit(1);
});
closeWithGrace({ delay: 10_000 }, async ({ err }) => {
  if (err) app.log.error({ err }, 'closing after an error');
  await app.close();
});
await app.listen({ port: config.PORT, host: config.HOST });
