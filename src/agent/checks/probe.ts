/**
 * The I/O edge of the agent's checks: one HTTP GET or one TCP connect from the host to a container,
 * under one deadline (`timeoutMs`) that covers connecting, the response head and the part of the
 * body kept. What a container answers is not trusted: Node's HTTP parser (llhttp) reads the head
 * with its 16 KiB limit, at most BODY_KEPT bytes of the body are read before the socket is dropped,
 * and nothing it sends can keep a probe past its deadline. The outcome's output is what a user reads
 * in `maestro status`: the status line (plus the body's start on failure), or the error.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import type { CheckSpec, ProbeAddress } from './policy.js';

/** Result of one probe, before timing is attached. */
export interface ProbeResult {
  ok: boolean;
  output: string;
}

export type Prober = (spec: CheckSpec, address: ProbeAddress, signal?: AbortSignal) => Promise<ProbeResult>;

/** Body bytes read from a failing answer (for its output); the rest is not read. */
export const BODY_KEPT = 512;
/** Output shown for a body: at most this many characters. */
const BODY_SHOWN = 200;

export const probe: Prober = (spec, address, signal) => (spec.kind === 'http' ? httpProbe(spec, address, signal) : tcpProbe(spec, address, signal));

/** `[::1]:80` for IPv6, `10.0.0.1:80` otherwise. */
function hostPort(a: ProbeAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** 200–399 pass (the kubelet's rule; redirects are not followed: a 3xx answer is a live server). */
export function httpPassed(status: number): boolean {
  return status >= 200 && status < 400;
}

/** Printable, one line, bounded: a body or an error text as the output shows it. */
export function printable(text: string, max = BODY_SHOWN): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function httpProbe(spec: CheckSpec, address: ProbeAddress, signal?: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      req.destroy();
      resolve(r);
    };
    const req = request({
      host: address.host,
      port: address.port,
      path: spec.path ?? '/',
      method: 'GET',
      agent: false,
      headers: { host: hostPort(address), 'user-agent': 'maestro-health-check/1', accept: 'text/plain, */*;q=0.8', connection: 'close' },
    });
    const timer = setTimeout(() => finish({ ok: false, output: `timed out after ${seconds(spec.timeoutMs)}` }), spec.timeoutMs);
    const onAbort = () => finish({ ok: false, output: 'probe cancelled' });
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, output: printable(err.message || String(err.code)) }));
    req.on('response', (res) => {
      const code = res.statusCode ?? 0;
      const line = `HTTP ${code}${res.statusMessage ? ` ${printable(res.statusMessage, 60)}` : ''}`;
      if (httpPassed(code)) return finish({ ok: true, output: line });
      // A failing answer: keep the start of its body, which usually says why.
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        const body = printable(Buffer.concat(chunks).subarray(0, BODY_KEPT).toString('utf8'));
        finish({ ok: false, output: body ? `${line}: ${body}` : line });
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= BODY_KEPT) done();
      });
      res.on('end', done);
      res.on('error', done);
      res.on('aborted', done);
    });
    req.end();
  });
}

function tcpProbe(spec: CheckSpec, address: ProbeAddress, signal?: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect({ host: address.host, port: address.port });
    const finish = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, output: `timed out after ${seconds(spec.timeoutMs)}` }), spec.timeoutMs);
    const onAbort = () => finish({ ok: false, output: 'probe cancelled' });
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('connect', () => finish({ ok: true, output: `TCP connect ${hostPort(address)}: connected` }));
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, output: printable(err.message || String(err.code)) }));
  });
}
