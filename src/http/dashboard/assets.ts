// The dashboard's stylesheet and scripts, from templates/dashboard/, and the few browser libraries it uses from
// node_modules (uPlot, for charts): all served by Herald itself, no CDN, no build step.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { loadTemplate } from '../../runtime/templates.js';
import { notFound } from '../errors.js';

const TYPES: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' };
const require = createRequire(import.meta.url);

/** Browser libraries by the name the pages ask for: the npm package and its file. Nothing else in node_modules is served. */
const VENDOR: Record<string, { pkg: string; file: string }> = {
  'uplot.js': { pkg: 'uplot', file: 'dist/uPlot.iife.min.js' },
  'uplot.css': { pkg: 'uplot', file: 'dist/uPlot.min.css' },
};

const versions = new Map<string, string>();
function packageVersion(pkg: string): string {
  let version = versions.get(pkg);
  if (version === undefined) {
    version = (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
    versions.set(pkg, version);
  }
  return version;
}

/**
 * The path under /dashboard/assets/ of a vendored file, with the package's version in it: a new version is a new URL,
 * so the file itself can be cached for a year.
 */
export function vendorAsset(name: keyof typeof VENDOR & string): string {
  const { pkg } = VENDOR[name];
  return `vendor/${packageVersion(pkg)}/${name}`;
}

/** Read once, on first request. */
const vendorFiles = new Map<string, string>();
function vendorFile(name: string): string | undefined {
  const entry = VENDOR[name];
  if (!entry) return undefined;
  let body = vendorFiles.get(name);
  if (body === undefined) {
    body = readFileSync(require.resolve(`${entry.pkg}/${entry.file}`), 'utf8');
    vendorFiles.set(name, body);
  }
  return body;
}

export function assetRoutes(app: FastifyInstance) {
  app.get('/dashboard/assets/:file', async (request, reply) => {
    const { file } = request.params as { file: string };
    // A bare name with a known extension: nothing outside templates/dashboard/ can be asked for.
    const match = /^[a-z-]+\.(css|js)$/.exec(file);
    if (!match) throw notFound('asset');
    let body: string;
    try {
      body = loadTemplate(`dashboard/${file}`);
    } catch {
      throw notFound('asset');
    }
    return reply
      .header('content-type', TYPES[match[1]])
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });

  app.get('/dashboard/assets/vendor/:version/:file', async (request, reply) => {
    const { version, file } = request.params as { version: string; file: string };
    const entry = VENDOR[file];
    // Only the installed version: an old URL must not be cached for a year with the new file under it.
    if (!Object.hasOwn(VENDOR, file) || version !== packageVersion(entry.pkg)) throw notFound('asset');
    return reply
      .header('content-type', TYPES[file.endsWith('.css') ? 'css' : 'js'])
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(vendorFile(file));
  });
}
