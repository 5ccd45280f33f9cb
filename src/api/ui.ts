/**
 * Mounts the web UI (src/ui/) on the API server: `/` and `/ui` redirect to `/ui/`, which serves the
 * page and its assets. The same web-page guards as the API apply first (guard.ts: a token-less API
 * answers only its loopback Host; a foreign Origin is refused). The page's files are public (they
 * hold no cluster data), so they need no token: the page asks the user for it and sends it on its
 * API requests. `/ui/settings.json` tells about the cluster and needs the token like the API. An
 * API without a token puts the cluster map in the page itself (map-html.ts), so it paints as the
 * document is parsed; with a token the page cannot carry it and asks `/v1/map` once it has one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadAssets, type Asset } from '../ui/assets.js';
import { isUiPath, uiAnswer, type UiSettings } from '../ui/serve.js';
import { ApiError, sendError, toApiError } from './errors.js';
import { checkLoopbackHost, checkOrigin } from './guard.js';

export type { UiSettings } from '../ui/serve.js';

export interface UiMountOptions {
  token?: string;
  /** The port the API listens on, once it does (for the Host check). */
  port: () => number;
  authorize: (path: string, authorization: string | undefined) => void;
  settings: UiSettings;
  /**
   * The cluster map as HTML for the page (map-html.ts), or undefined when the page must build it.
   * Used only when the API has no token: a page is loaded without one, and the map is cluster data.
   */
  inlineMap?: () => string | undefined;
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
      const answer = uiAnswer(req.method ?? 'GET', url.pathname, req.headers['if-none-match'], assets, opts.settings, opts.token ? undefined : opts.inlineMap);
      if (answer.private) opts.authorize(url.pathname, req.headers.authorization);
      const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
      res.writeHead(answer.status, { ...answer.headers, ...(answer.status === 304 ? {} : { 'content-length': body.length }) });
      res.end(req.method === 'HEAD' || answer.status === 304 ? undefined : body);
    } catch (err) {
      sendError(res, toApiError(err));
    }
    return true;
  };
}
