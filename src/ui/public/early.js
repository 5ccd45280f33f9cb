// Inlined into index.html by assets.ts (a classic script, allowed by its hash in the page's CSP):
// starts the map's data request while the document is still being parsed, before the page's
// modules are even requested, so the request overlaps their download and evaluation instead of
// waiting for them; its body is read and parsed as soon as it arrives, so the modules find the
// answer ready and the map is built in the same task that runs them. Only for the map (the page
// opened at #/). api.js takes the answer for the same path, once (`maestroEarly`), in place of its
// first request; a 401 or a failure is handled there like any other answer of that request.
// The server may have put the map in the page (map-html.ts, `data-inline-map` on <html>): then
// nothing is asked for, and the page's modules are loaded after the first frame is shown (the page
// then has no module script tag, inline.ts): the map needs no script to paint, and the modules'
// evaluation (~10–20 ms of the renderer's CPU) would otherwise run before that frame, as soon as
// the short document is parsed. When the page opens on another view the map stays hidden (style.css) until
// app.js replaces it.
(() => {
  const inline = document.documentElement.hasAttribute('data-inline-map');
  const onMap = (location.hash.replace(/^#/, '') || '/') === '/';
  if (inline) {
    requestAnimationFrame(() => setTimeout(() => {
      // The renderer has produced the map's first frame (bench/ui prints this mark beside the
      // frame's paint, map-marks.js's maestro-map-painted).
      performance.mark('maestro-map-frame');
      // The modules load once that frame is on the screen (its hosts' names have a paint time):
      // loaded and run while the frame is rasterised and shown, they took the CPU it needed
      // (on this 2-core machine it was shown 150–250 ms after it was produced). A hidden map (the
      // page opened on another view) or one without hosts has no such paint: load at once.
      const load = () => import('./app.js');
      if (!onMap || !document.querySelector('#view .host-name') || !PerformanceObserver.supportedEntryTypes?.includes('element')) return void load();
      const shown = new PerformanceObserver(() => {
        shown.disconnect();
        setTimeout(load, 0);
      });
      shown.observe({ type: 'element', buffered: true });
    }, 0));
  }
  if (!onMap) {
    document.documentElement.dataset.route = 'other';
    return;
  }
  if (inline) return;
  const path = '../v1/map';
  const sent = sessionStorage.getItem('maestro.token');
  const answer = fetch(path, { cache: 'no-store', headers: sent ? { authorization: `Bearer ${sent}` } : {} })
    .then(async (res) => ({ res, json: await res.json().catch(() => undefined) }));
  answer.catch(() => {}); // a failure is the taker's to handle; never an unhandled rejection
  window.maestroEarly = { path, sent, answer };
})();
