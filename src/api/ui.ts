/**
 * Mounts the web UI (src/ui/) on the API server: `/` and `/ui` redirect to `/ui/`, which serves the
 * page and its assets. The same web-page guards as the API apply first (guard.ts: a token-less API
 * answers only its loopback Host; a foreign Origin is refused). The page's files are public (they
 * hold no cluster data), so they need no token: the page asks the user for it and sends it on its
 * API requests. `/ui/settings.json` and `/ui/map.html` tell about the cluster and need the token like
 * the API. An API without a token puts the cluster map in the page itself (map-html.ts), so it
 * paints as the document is parsed; with a token the page cannot carry it, and the page asks
 * `/ui/map.html` for the same markup with the token it keeps.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadAssets, type Asset } from '../ui/assets.js';
import { isUiPath, PRIVATE_UI_PATHS, uiAnswer, type UiSettings } from '../ui/serve.js';
import { ApiError, sendError, toApiError } from './errors.js';
import { checkLoopbackHost, checkOrigin } from './guard.js';

export type { UiSettings } from '../ui/serve.js';

export interface UiMountOptions {
  token?: string;
  /** The port the API listens on, once it does (for the Host check). */
  port: () => number;
  authorize: (path: string, authorization: string | undefined) => void;
  settings: UiSettings;
  /** The cluster map as HTML (map-html.ts), or undefined when the page must build it. */
  mapHtml?: () => string | undefined;
}

/** A request handler that answers UI paths and returns true, or returns false for the API's own. */
export function uiMount(opts: UiMountOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  // A package without the page's files (a trimmed install) still serves the API; /ui/ says why.
  let assets = new Map<string, Asset>();
  let missing: string | undefined;
  try {
    assets = loadAssets();
  } catch (err) {
    missing = (err as Error).message;
  }
  return (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://api');
    } catch {
      return false; // the API's handler answers an unparsable target with its own error
    }
    if (!isUiPath(url.pathname)) return false;
    try {
      if (!opts.token) checkLoopbackHost(req.headers.host, opts.port());
      checkOrigin(req.headers.origin, req.headers.host);
      if (missing) throw new ApiError('unavailable', missing);
      if (PRIVATE_UI_PATHS.has(url.pathname)) opts.authorize(url.pathname, req.headers.authorization);
      const answer = uiAnswer(req.method ?? 'GET', url.pathname, req.headers['if-none-match'], assets, opts.settings, opts.mapHtml && { html: opts.mapHtml, inPage: !opts.token });
      const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
      const bodiless = answer.status === 304 || answer.status === 204; // RFC 9110: no Content-Length either
      res.writeHead(answer.status, { ...answer.headers, ...(bodiless ? {} : { 'content-length': body.length }) });
      res.end(req.method === 'HEAD' || bodiless ? undefined : body);
    } catch (err) {
      sendError(res, toApiError(err));
    }
    return true;
  };
}
