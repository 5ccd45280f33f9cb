/**
 * The page as served (pure): index.html with its stylesheet and its early script put inline, and
 * the CSP hashes that allow exactly those two blocks. Inline, the header paints as soon as the
 * document arrives (no render-blocking stylesheet request) and the map's data request starts while
 * the document is parsed (no round trip for a script first). A `script-src 'self'` page may run an
 * inline block only by its hash, so nothing else inline (an injected `<script>`) can ever run.
 */
import { createHash } from 'node:crypto';

export interface InlinedPage {
  html: string;
  /** CSP source expressions (`'sha256-…'`) of the inline scripts and styles. */
  scriptHashes: string[];
  styleHashes: string[];
}

const hashOf = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Replaces each `<link rel="stylesheet" href="NAME">` and `<script src="NAME"></script>` of `html`
 * whose NAME `files` has by the file's text in a `<style>` / `<script>` block. A file that would
 * close its own block early (`</style`, `</script`) is an error, not silently broken markup.
 */
export function inlinePage(html: string, files: ReadonlyMap<string, string>): InlinedPage {
  const scriptHashes: string[] = [];
  const styleHashes: string[] = [];
  const take = (name: string, closer: RegExp): string | undefined => {
    const text = files.get(name);
    if (text !== undefined && closer.test(text)) throw new Error(`${name} cannot be inlined: it contains ${closer.source}`);
    return text;
  };
  let out = html.replace(/<link rel="stylesheet" href="([a-z0-9-]+\.css)">/g, (tag, name: string) => {
    const css = take(name, /<\/style/i);
    if (css === undefined) return tag;
    styleHashes.push(hashOf(css));
    return `<style>${css}</style>`;
  });
  out = out.replace(/<script src="([a-z0-9-]+\.js)"><\/script>/g, (tag, name: string) => {
    const js = take(name, /<\/script|<!--/i);
    if (js === undefined) return tag;
    scriptHashes.push(hashOf(js));
    return `<script>${js}</script>`;
  });
  return { html: out, scriptHashes, styleHashes };
}

const HTML_OPEN = '<html lang="en">';
const HEAD_END = '</head>';
const MAIN = '<main id="view" aria-live="polite"></main>';

/** The page split where the map goes: the map is put between the two, on each request. */
export type PageAroundMap = readonly [before: string, after: string];

/**
 * The page made ready for the cluster map (map-html.ts), once at start: `data-inline-map` on
 * `<html>` tells early.js not to ask for it, the map goes inside `<main>` (split there), where the
 * map view adopts it, and the head gets `<link rel="expect" href="#inline-map-end"
 * blocking="render">`, the marker after the hosts of the first frame. Without that link the browser
 * paints after each slice of the document its parser takes (a few ms each): three or more frames,
 * each laying out and painting a larger part of the map (35–65 ms of the renderer's CPU each),
 * before the first window is whole; with it, one frame. (The page has no module script tag and no
 * module preloads: early.js loads app.js once that frame is shown.) A page without these places is
 * an error at start, not a page served without its map.
 */
export function pageAroundMap(html: string): PageAroundMap {
  const open = html.indexOf(HTML_OPEN);
  const headEnd = html.indexOf(HEAD_END);
  const main = html.indexOf(MAIN);
  if (open < 0 || headEnd < 0 || main < 0 || !(open < headEnd && headEnd < main)) {
    throw new Error(`the page has no ${HTML_OPEN}, ${HEAD_END} and ${MAIN} (in that order) to put the map in`);
  }
  const at = main + MAIN.length - '</main>'.length;
  return [
    `${html.slice(0, open)}<html lang="en" data-inline-map>${html.slice(open + HTML_OPEN.length, headEnd)}`
      + `<link rel="expect" href="#inline-map-end" blocking="render">\n${html.slice(headEnd, at)}`,
    html.slice(at),
  ];
}

