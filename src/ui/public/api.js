// The API as the page uses it: same-origin fetches with the bearer token when the API has one
// (asked once, kept in sessionStorage: this tab only, gone when it closes), JSON errors made into
// Error objects, and live watches of listings (core/live.js decides blocking vs polling).
import { afterFailure, afterSuccess, watchUrl } from './core/live.js';

const TOKEN_KEY = 'maestro.token';
let asking;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function headers(extra = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

/** Shows the token dialog once, however many requests are waiting for it. */
function askToken(wrong) {
  asking ??= new Promise((resolve) => {
    const dialog = document.getElementById('token-dialog');
    const form = document.getElementById('token-form');
    const input = document.getElementById('token-input');
    const error = document.getElementById('token-error');
    error.hidden = !wrong;
    error.textContent = wrong ? 'The API refused that token; try again.' : '';
    input.value = '';
    const submit = (ev) => {
      ev.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      sessionStorage.setItem(TOKEN_KEY, token);
      form.removeEventListener('submit', submit);
      dialog.close();
      asking = undefined;
      resolve();
    };
    form.addEventListener('submit', submit);
    // Without a token nothing works: Escape does not close the dialog.
    dialog.addEventListener('cancel', (ev) => ev.preventDefault(), { once: true });
    dialog.showModal();
    input.focus();
  });
  return asking;
}

/** One API request; resolves to { json, headers } or throws ApiError. 401 asks for the token and retries. */
export async function api(path, { method = 'GET', body, signal } = {}) {
  for (;;) {
    const sent = sessionStorage.getItem(TOKEN_KEY);
    const res = await fetch(path, {
      method,
      signal,
      cache: 'no-store',
      headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (res.status === 401) {
      await askToken(Boolean(sent));
      continue;
    }
    const json = await res.json().catch(() => undefined);
    if (!res.ok) throw new ApiError(res.status, json?.error?.code ?? 'http', json?.error?.message ?? `HTTP ${res.status}`);
    return { json, headers: res.headers };
  }
}

/** The raw response of a streaming request (logs), after the same token handling. */
export async function stream(path, signal) {
  for (;;) {
    const sent = sessionStorage.getItem(TOKEN_KEY);
    const res = await fetch(path, { signal, cache: 'no-store', headers: headers() });
    if (res.status === 401) {
      await askToken(Boolean(sent));
      continue;
    }
    if (!res.ok) {
      const json = await res.json().catch(() => undefined);
      throw new ApiError(res.status, json?.error?.code ?? 'http', json?.error?.message ?? `HTTP ${res.status}`);
    }
    return res;
  }
}

/** Sets the header's indicator of how the page follows the cluster. */
export function setLive(mode, detail = '') {
  const el = document.getElementById('live');
  if (!el) return;
  el.dataset.mode = mode;
  el.textContent = mode === 'blocking' ? 'live' : mode === 'polling' ? 'live (every 2 s)' : `reconnecting… ${detail}`;
  el.title = mode === 'blocking' ? 'following changes with the API’s blocking queries' : mode === 'polling' ? 'this API has no blocking queries: asking every 2 s' : detail;
}

const sleep = (ms, signal) => new Promise((resolve) => {
  if (signal.aborted) return resolve();
  const t = setTimeout(resolve, ms);
  signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
});

/**
 * Follows a listing until `signal` aborts: onData(json, index) after every answer (the first at
 * once; index: its X-Maestro-Index, 0 without one),
 * onError(err) when a request fails (it is retried with back-off). `from`: the view index of data
 * the page already shows (the map the server put in the page): the first request then blocks until
 * the listing changes past it.
 */
export async function watch(path, signal, onData, onError = () => {}, from = 0) {
  let step = { index: from, delayMs: 0, blocking: from > 0 };
  if (from > 0) setLive('blocking');
  let failures = 0;
  while (!signal.aborted) {
    const started = performance.now();
    try {
      const { json, headers: h } = await api(watchUrl(path, step), { signal });
      if (signal.aborted) return;
      failures = 0;
      step = afterSuccess(step.index, h.get('x-maestro-index'), performance.now() - started);
      setLive(step.blocking ? 'blocking' : 'polling');
      onData(json, step.index);
    } catch (err) {
      if (signal.aborted) return;
      step = afterFailure(++failures);
      setLive('error', err.message);
      onError(err);
    }
    await sleep(step.delayMs, signal);
  }
}

/** Watches several listings; render(results) once all have answered, then after each change. */
export function watchAll(paths, signal, render, onError) {
  const results = new Array(paths.length);
  let have = 0;
  paths.forEach((path, i) => {
    void watch(path, signal, (json) => {
      if (results[i] === undefined) have++;
      results[i] = json;
      if (have === paths.length) render(results);
    }, onError);
  });
}

let settings;
/** The zone and DNS server, for names and dig lines (asked once). */
export function uiSettings() {
  settings ??= api('settings.json').then((r) => r.json, () => ({ zone: 'cluster' }));
  return settings;
}

/** An API path, relative to the page (/ui/), so a reverse proxy may mount Maestro under a prefix. */
export const v1 = (path) => `../v1${path}`;
