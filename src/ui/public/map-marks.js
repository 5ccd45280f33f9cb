// The first-paint marks of the map, for the benchmark in bench/ui and for tests (the page does
// not read them).

/**
 * Marks `maestro-map-painted` (once per page, for the first-paint benchmark in bench/ui and for
 * tests) at the time the first window of the map was painted: the latest paint time (Element
 * Timing, `elementtiming="host"` on each host's name) of the hosts whose box starts inside the
 * window, once the hosts reach past the window or all are in. The same measure for a map the
 * server put in the page and for one built here.
 */
export function markPainted(section, grid) {
  if (!PerformanceObserver.supportedEntryTypes?.includes('element')) return;
  const paintedAt = new Map();
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.identifier === 'host' && e.element) paintedAt.set(e.element, e.renderTime || e.loadTime);
    const names = [];
    let filled = section.dataset.complete !== undefined;
    for (const host of grid.children) {
      if (host.getBoundingClientRect().top >= innerHeight) {
        filled = true;
        break;
      }
      names.push(host.querySelector('.host-name'));
    }
    if (!filled || !names.length || !names.every((n) => paintedAt.has(n))) return;
    observer.disconnect();
    if (performance.getEntriesByName('maestro-map-painted').length) return;
    performance.mark('maestro-map-painted', { startTime: Math.max(...names.map((n) => paintedAt.get(n))), detail: { hosts: names.length, filled: true } });
  });
  observer.observe({ type: 'element', buffered: true });
}

