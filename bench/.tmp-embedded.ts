import { articleInput } from '../src/articles/article-input.js';
import { fixturePayload } from '../tests/support/articles.js';
import { embedded } from './herald-runs.js';
import { startSink } from './sinks.js';
const readers = Number(process.argv[2] ?? 50000);
const sink = await startSink({ preferPostfix: true });
try {
  const article = fixturePayload('seed-article');
  void articleInput;
  const f = await embedded({ sink, smtpPort: sink.port, readers, poolSize: 8, article, nodeOptions: process.env.NO || undefined });
  console.log(JSON.stringify(f), (await import('node:os')).loadavg());
} finally { await sink.stop(); }
