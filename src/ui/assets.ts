/**
 * The web UI's files, read once at start into memory: the page (`src/ui/public/`, plain HTML, CSS
 * and ES modules, shipped as written) and its pure core (`src/ui/core/`, TypeScript compiled by the
 * project's tsc next to this module, so the browser and the node tests run the same code).
 * Only names from these two listings are ever served: a request path is looked up in a map, never
 * joined onto a directory, so no `..`, encoded slash or symlink can reach another file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inlinePage, pageAroundMap, type PageAroundMap } from './inline.js';
import { cspWith } from './serve.js';

export interface Asset {
  body: Buffer;
  contentType: string;
  /** Strong validator of the body, for `If-None-Match`. */
  etag: string;
  /** The page's own CSP, when it has inline blocks (their hashes); else serve.ts's CSP. */
  csp?: string;
  /** The page (index.html) split where the map goes (serve.ts puts it in); only the page has it. */
  aroundMap?: PageAroundMap;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** File names the UI serves: lowercase words, one known extension (compiled `.js.map`s are not served). */
const SERVABLE = /^[a-z0-9][a-z0-9-]*\.(html|js|css|svg)$/;

const HERE = dirname(fileURLToPath(import.meta.url));

/** The package root: the nearest folder up with a package.json (dist/, or a private .build/<x>/ tree). */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

export interface AssetDirs {
  /** The page's own files, served at /ui/<name>. */
  publicDir: string;
  /** The compiled core, served at /ui/core/<name>. */
  coreDir: string;
}

export function defaultAssetDirs(): AssetDirs {
  return { publicDir: join(packageRoot(HERE), 'src/ui/public'), coreDir: join(HERE, 'core') };
}

/** Every servable file, keyed by its URL path (`/ui/index.html`, `/ui/core/live.js`). */
export function loadAssets(dirs: AssetDirs = defaultAssetDirs()): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const asset = (name: string, body: Buffer): Asset => ({
    body,
    contentType: TYPES[name.slice(name.lastIndexOf('.'))]!,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  });
  const add = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir)) {
      if (SERVABLE.test(name)) assets.set(`${prefix}${name}`, asset(name, readFileSync(join(dir, name))));
    }
  };
  add(dirs.publicDir, '/ui/');
  add(dirs.coreDir, '/ui/core/');
  const index = assets.get('/ui/index.html');
  if (!index) throw new Error(`the web UI's index.html is missing from ${dirs.publicDir}`);
  // The page's own files it names, as text, for inlinePage (the files stay served by name too).
  const files = new Map([...assets].filter(([path]) => /^\/ui\/[^/]+\.(css|js)$/.test(path)).map(([path, a]) => [path.slice(4), a.body.toString('utf8')]));
  const page = inlinePage(index.body.toString('utf8'), files);
  // Split once here (a page without the places for the map fails now); serve.ts puts the map in.
  assets.set('/ui/index.html', { ...asset('index.html', Buffer.from(page.html)), csp: cspWith(page.scriptHashes, page.styleHashes), aroundMap: pageAroundMap(page.html) });
  return assets;
}
