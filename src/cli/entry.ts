// Process entry of the `herald` command (bin/herald.js runs the compiled copy of this file).
import { main } from './main.js';

await main(process.argv);
