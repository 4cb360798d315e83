#!/usr/bin/env node
// The `loss-atlas` command: TypeScript sources run through tsx (a dependency), as `npm start` runs them.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
