// Build step: compiles the MJML email template once, so running processes never load MJML (see edition-renderer.ts).
import { precompileDefaultTemplate } from './edition-renderer.js';

process.stdout.write(`compiled ${await precompileDefaultTemplate()}\n`);
