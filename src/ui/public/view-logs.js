// A replica's log: the last 200 lines, then following live (the API's NDJSON stream, read as it
// arrives). Only the newest MAX_LINES stay on the page, so a chatty replica cannot grow it forever.
import { stream, v1 } from './api.js';
import { NdjsonSplitter } from './core/ndjson.js';
import { h } from './dom.js';

const MAX_LINES = 5000;

export function logsView(el, signal, id) {
  const out = h('pre.log', { tabindex: 0 });
  const state = h('p.status', { role: 'status' }, 'connecting…');
  el.replaceChildren(h('p', {}, h('a', { href: '#/', onclick: (ev) => { ev.preventDefault(); history.back(); } }, '← back')),
    h('h1', {}, 'Logs of ', h('code', {}, id)), state, out);
  const add = (records) => {
    const stick = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
    for (const r of records) {
      if (r.kind === 'output') out.append(h(`span.${r.stream}`, {}, r.text.endsWith('\n') ? r.text : `${r.text}\n`));
      else if (r.kind === 'error') state.textContent = `the stream broke: ${r.message}`;
      else out.append(h('span.garbled', {}, `${r.text}\n`));
    }
    while (out.childNodes.length > MAX_LINES) out.firstChild.remove();
    if (stick) out.scrollTop = out.scrollHeight;
  };
  void (async () => {
    try {
      const res = await stream(v1(`/allocations/${encodeURIComponent(id)}/logs?follow=true&tail=200`), signal);
      state.textContent = 'following';
      state.dataset.following = '1';
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      const splitter = new NdjsonSplitter();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        add(splitter.push(value));
      }
      add(splitter.end());
      if (!state.textContent.startsWith('the stream broke')) state.textContent = 'ended: the replica stopped';
    } catch (err) {
      if (!signal.aborted) state.textContent = `cannot follow the log: ${err.message}`;
    } finally {
      delete state.dataset.following;
    }
  })();
}
