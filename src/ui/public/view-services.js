// Services: instances with health, addresses and tags, the L4 proxy port when there is one, and
// the DNS names that answer for the service with a copyable dig line each.
import { uiSettings, v1, watch } from './api.js';
import { digLine, dnsServer, serviceNames } from './core/dns.js';
import { h, errorBox } from './dom.js';

const HEALTH_TONE = { passing: 'ok', warning: 'starting', critical: 'bad' };

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'copied';
  } catch {
    // No clipboard (an insecure origin, or permission refused): select the text for Ctrl+C instead.
    const code = button.previousElementSibling;
    getSelection().selectAllChildren(code);
    button.textContent = 'selected: press Ctrl+C';
  }
  setTimeout(() => (button.textContent = 'copy'), 2000);
}

function dnsTable(svc, settings) {
  const server = dnsServer(settings.dns);
  return h('table.dns', {}, h('tbody', {}, serviceNames(svc, settings.zone).map((n) => {
    const line = digLine(n, server);
    return h('tr', {},
      h('td', {}, h('code', {}, n.name), ' ', h('span.chip', {}, n.type)),
      h('td.hint', {}, n.what),
      h('td.dig', {}, h('code.dig-line', {}, line), ' ', h('button.copy', { type: 'button', onclick: (ev) => copy(line, ev.currentTarget) }, 'copy')));
  })));
}

function serviceCard(svc, settings) {
  const proxyPorts = [...new Set(svc.instances.map((i) => i.meta?.proxy_port).filter(Boolean))];
  return h('article.service', { dataset: { service: svc.name } },
    h('header', {},
      h('h2', {}, svc.name),
      h(`span.badge.tone-${svc.healthy === svc.total ? 'ok' : svc.healthy ? 'starting' : 'bad'}`, {}, `${svc.healthy}/${svc.total} healthy`),
      svc.tags.length ? svc.tags.map((t) => h('span.chip', {}, t)) : null,
      proxyPorts.length ? h('span.proxy', { title: 'every host’s L4 proxy listens on this port for the service' }, `L4 proxy :${proxyPorts.join(', :')}`) : null),
    h('table.instances', {},
      h('thead', {}, h('tr', {}, ['instance', 'address', 'host', 'health', 'tags'].map((c) => h('th', {}, c)))),
      h('tbody', {}, svc.instances.map((i) => h('tr', { dataset: { instance: i.name } },
        h('td', {}, i.name),
        h('td', {}, h('code', {}, `${i.address}:${i.port}`)),
        h('td', {}, i.host),
        h('td', {}, h(`span.badge.tone-${HEALTH_TONE[i.health] ?? 'off'}`, {}, i.health)),
        h('td', {}, (i.tags ?? []).map((t) => h('span.chip', {}, t))))))),
    h('details.dns-names', { open: true }, h('summary', {}, 'DNS names'), dnsTable(svc, settings)));
}

export function servicesView(el, signal) {
  const body = h('section.services');
  const problem = h('div.problem');
  el.replaceChildren(h('h1', {}, 'Services'), problem, body);
  void uiSettings().then((settings) => watch(v1('/services'), signal, (json) => {
    problem.replaceChildren();
    const services = json.services ?? [];
    body.replaceChildren(...(services.length ? services.map((s) => serviceCard(s, settings)) : [h('p.hint', {}, 'no services registered')]));
  }, (err) => problem.replaceChildren(errorBox(err))));
}
