// Inlined into index.html by assets.ts (a classic script, allowed by its hash in the page's CSP),
// and the one script the page names: it loads the page's modules (app.js), and on the map it first
// gets the map on the screen without them.
// * The server put the map in the page (map-html.ts, `data-inline-map` on <html>; an API without a
//   token): nothing to ask for.
// * Behind a token (the page has one from an earlier visit of this tab): the same markup from
//   /ui/map.html with the token, put into <main> as it arrives. Building the map from /v1/map needs
//   the modules first (eight files, then their evaluation): 316–336 ms to the map's paint against
//   240–288 ms this way (bench/ui, medians of runs). A 204 (too large for HTML, a name HTML cannot carry), a
//   401 or a failure: app.js builds the map from /v1/map, as without this.
// Either way the modules load once that first frame is shown: loaded and run while it was rasterised,
// they took the CPU it needed (on this 2-core machine it was shown ~60 ms later, and ~20–40 ms more
// with the modules preloaded). The map view adopts the markup (view-map.js). A page opened on another
// view keeps an inline map hidden (style.css) until app.js replaces it.
(() => {
  const onMap = () => (location.hash.replace(/^#/, '') || '/') === '/';
  const load = () => import('./app.js');
  const loadOnceShown = () => requestAnimationFrame(() => setTimeout(() => {
    // The renderer has produced the map's first frame (bench/ui prints this mark beside the frame's
    // paint, map-marks.js's maestro-map-painted).
    performance.mark('maestro-map-frame');
    // Shown: its hosts' names have a paint time. A map without hosts has no such paint: load at once.
    if (!document.querySelector('#view .host-name') || !PerformanceObserver.supportedEntryTypes?.includes('element')) return void load();
    const shown = new PerformanceObserver(() => {
      shown.disconnect();
      setTimeout(load, 0);
    });
    shown.observe({ type: 'element', buffered: true });
  }, 0));

  if (!onMap()) {
    document.documentElement.dataset.route = 'other';
    return void load();
  }
  if (document.documentElement.hasAttribute('data-inline-map')) return void loadOnceShown();
  const token = sessionStorage.getItem('maestro.token');
  if (!token) return void load(); // a token-less API that left the map to the page, or a first visit: app.js asks
  const parsed = document.readyState === 'loading' ? new Promise((resolve) => document.addEventListener('DOMContentLoaded', resolve, { once: true })) : undefined;
  fetch('map.html', { cache: 'no-store', headers: { authorization: `Bearer ${token}` } })
    .then(async (res) => (res.status === 200 ? res.text() : undefined))
    .catch(() => undefined)
    .then(async (html) => {
      await parsed;
      const main = document.getElementById('view');
      // Still on the map, and nothing there yet: app.js has not run (it is loaded below).
      if (html === undefined || !main || main.childElementCount || !onMap()) return void load();
      main.innerHTML = html; // the server's escaped markup (map-html.ts), as it would be in the page
      performance.mark('maestro-map-inserted');
      loadOnceShown();
    });
})();
