/**
 * What the API answers for the web UI's paths (pure): `/` and `/ui` redirect to `/ui/`, `/ui/` is the
 * page, `/ui/<file>` and `/ui/core/<file>` its assets, `/ui/settings.json` what the page cannot learn
 * from the API's listings (the DNS zone and server, for the names and `dig` lines it shows), and
 * `/ui/map.html` the cluster map's first screen as HTML (map-html.ts) for a page loaded without it.
 * Every answer carries a Content-Security-Policy that lets the page run only its own scripts and
 * talk only to its own origin, and refuses to be framed: a page of another site cannot load the UI
 * in a frame and trick a user into clicking Stop (clickjacking).
 */
import type { Asset } from './assets.js';

export interface UiSettings {
  /** The cluster's DNS zone (`--zone`), e.g. `cluster`. */
  zone: string;
  /** A DNS server of the cluster as `host:port` (this host's `--dns-addr`), for `dig @host -p port`. */
  dns?: string;
}

export interface UiAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** The CSP of a page with inline blocks: `'self'` plus exactly their hashes. */
export function cspWith(scriptHashes: readonly string[], styleHashes: readonly string[]): string {
  const add = (directive: string, hashes: readonly string[]): string => (hashes.length ? `${directive} ${hashes.join(' ')}` : directive);
  return CSP.replace("script-src 'self'", add("script-src 'self'", scriptHashes)).replace("style-src 'self'", add("style-src 'self'", styleHashes));
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/** The cluster map as HTML (map-html.ts), for the page or for `/ui/map.html`. */
export interface MapSource {
  /** The map's markup now, or undefined when the page must build it (too large, a string HTML cannot carry). */
  html: () => string | undefined;
  /**
   * Put it in the page itself: only when the API has no token. A page is loaded without one (a
   * navigation carries no bearer token) and the map is cluster data; behind a token the page asks
   * `/ui/map.html` with it.
   */
  inPage: boolean;
}

/**
 * UI paths that tell about the cluster: the caller checks the token before asking uiAnswer (the
 * one place the UI's token is checked), so a request without it costs no map rendering.
 */
export const PRIVATE_UI_PATHS: ReadonlySet<string> = new Set(['/ui/settings.json', '/ui/map.html']);

/** True for the paths the UI answers; everything else is the API's. */
export function isUiPath(pathname: string): boolean {
  return pathname === '/' || pathname === '/ui' || pathname.startsWith('/ui/');
}

function text(status: number, message: string, extra: Record<string, string> = {}): UiAnswer {
  return { status, headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra }, body: `${message}\n` };
}

/** The answer to one request for a UI path (call only when `isUiPath`). */
export function uiAnswer(
  method: string,
  pathname: string,
  ifNoneMatch: string | undefined,
  assets: ReadonlyMap<string, Asset>,
  settings: UiSettings,
  map?: MapSource,
): UiAnswer {
  if (method !== 'GET' && method !== 'HEAD') return text(405, `${method} is not allowed on ${pathname.slice(0, 100)} (allowed: GET, HEAD)`, { allow: 'GET, HEAD' });
  // Relative to the request, so it works behind a reverse proxy that mounts the API under a prefix.
  if (pathname === '/') return text(302, 'the web UI is at /ui/', { location: 'ui/' });
  if (pathname === '/ui') return text(302, 'the web UI is at /ui/', { location: 'ui/' });
  if (pathname === '/ui/settings.json') {
    const body = JSON.stringify({ zone: settings.zone, ...(settings.dns ? { dns: settings.dns } : {}) });
    return { status: 200, headers: { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body };
  }
  if (pathname === '/ui/map.html') {
    // What the page would have carried: early.js puts it into <main> before the modules load.
    // 204: the page builds the map from /v1/map instead. Never stored: it is the cluster now.
    const html = map?.html();
    const headers = { ...SECURITY_HEADERS, 'cache-control': 'no-store' };
    if (html === undefined) return { status: 204, headers, body: '' };
    return { status: 200, headers: { ...headers, 'content-type': 'text/html; charset=utf-8' }, body: html };
  }
  const asset = assets.get(pathname === '/ui/' ? '/ui/index.html' : pathname);
  if (!asset) return text(404, `no such file in the web UI: ${pathname.slice(0, 100)}`);
  const fileHeaders = { ...SECURITY_HEADERS, ...(asset.csp ? { 'content-security-policy': asset.csp } : {}), 'content-type': asset.contentType };
  // The page with the map in it (map-html.ts) paints the map as it is parsed. It shows the
  // cluster, so it is never stored; `inPage` only where no token is needed (a page is loaded
  // without one: it cannot be a PRIVATE_UI_PATH).
  const inPage = asset.aroundMap && map?.inPage ? map.html() : undefined;
  if (inPage !== undefined) {
    const [before, after] = asset.aroundMap!;
    return { status: 200, headers: { ...fileHeaders, 'cache-control': 'no-store' }, body: before + inPage + after };
  }
  // no-cache, not max-age: an upgraded Maestro serves new files at the same names; the ETag makes
  // the revalidation a 304 without a body.
  const headers = { ...fileHeaders, 'cache-control': 'no-cache', etag: asset.etag };
  if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === asset.etag)) {
    return { status: 304, headers, body: '' };
  }
  return { status: 200, headers, body: asset.body };
}
