// Process entry of the `herald` command (bin/herald.js runs the compiled copy of this file).
import { existsSync } from 'node:fs';
import { main } from './main.js';

// A .env in the working directory fills in what the environment does not already set (Node's own parser).
if (existsSync('.env')) process.loadEnvFile('.env');

await main(process.argv);
