/**
 * Field lines of an HTTP/1.1 head (RFC 9112 §5), checked strictly: one linear regex pass over all of
 * them, then only the names this engine acts on (semantics.ts) are sliced.
 * The full list is split only for a head that must be rebuilt (`fieldsOf`).
 */

import { firstMayHaveRole, lengthMayHaveRole, Role, roleOf } from './semantics.js';

/** A head that must be refused: the client gets `status` and the connection closes. */
export class HeadError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** tchar (RFC 9110 §5.6.2). */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters other than HTAB: bare CR and LF included. */
export const CTL = /[\x00-\x08\x0a-\x1f\x7f]/;
const DIGITS = /^[0-9]{1,15}$/;

export const MAX_FIELDS = 200;

/**
 * Every field line after the start line, as RFC 9112 §5 allows it: a token, a colon, then HTAB, SP,
 * VCHAR or obs-text only (so no bare CR/LF, no control character, no obs-fold). One linear pass;
 * only a head that fails it goes through `fieldError` for a precise message.
 */
const FIELD_LINES = /(?:\r\n[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[\t\x20-\x7e\x80-\xff]*)*$/y;

export interface Fields {
  host: string | undefined;
  length: number;
  chunked: boolean;
  te: string;
  connection: string | undefined;
  hasUpgrade: boolean;
  keepAliveHint: string;
  /** `[from, to)` of each hop-by-hop field line in the head, its leading CRLF included. */
  cuts: number[];
  /** X-Forwarded-For, -Host or -Proto is present. */
  forwarded: boolean;
  /** Content-Length came as a list or more than once (all equal): the head is rebuilt with one value. */
  lengthRewrite: boolean;
}

/**
 * Checks the field lines after the start line (`from` = index of its CRLF) and reads the few this
 * engine acts on; the others are not even sliced (`fieldsOf` splits them when a head is rebuilt).
 */
export function parseFields(head: string, from: number, isRequest: boolean): Fields {
  FIELD_LINES.lastIndex = from;
  if (!FIELD_LINES.test(head)) fieldError(head, from);
  const f: Fields = {
    host: undefined,
    length: -1,
    chunked: false,
    te: '',
    connection: undefined,
    hasUpgrade: false,
    keepAliveHint: '',
    cuts: [],
    forwarded: false,
    lengthRewrite: false,
  };
  let count = 0;
  let pos = from;
  while (pos < head.length) {
    const start = pos + 2;
    let end = head.indexOf('\r\n', start);
    if (end === -1) end = head.length;
    pos = end;
    if (++count > MAX_FIELDS) throw new HeadError(431, 'too many header fields');
    // Most names have no role: they are not even sliced.
    if (!firstMayHaveRole(head.charCodeAt(start) | 0x20)) continue;
    const colon = head.indexOf(':', start);
    if (!lengthMayHaveRole(colon - start)) continue;
    switch (roleOf(head.slice(start, colon).toLowerCase())) {
      case Role.Host:
        if (!isRequest) break;
        if (f.host !== undefined) throw new HeadError(400, 'more than one Host header');
        f.host = head.slice(colon + 1, end).trim();
        break;
      case Role.Length: {
        const value = head.slice(colon + 1, end).trim();
        // A list (`5, 5`) or a repeated field is valid when all agree; it goes on as one value.
        if (f.length !== -1 || !DIGITS.test(value)) f.lengthRewrite = true;
        f.length = contentLength(value, f.length);
        break;
      }
      case Role.TransferEncoding: {
        f.cuts.push(start - 2, end);
        const value = head.slice(colon + 1, end).trim();
        f.te = f.te ? `${f.te}, ${value}` : value;
        f.chunked = finalChunked(f.te);
        break;
      }
      case Role.Connection: {
        f.cuts.push(start - 2, end);
        const value = head.slice(colon + 1, end).trim();
        f.connection = f.connection === undefined ? value : `${f.connection}, ${value}`;
        break;
      }
      case Role.KeepAlive:
        f.cuts.push(start - 2, end);
        f.keepAliveHint = head.slice(colon + 1, end).trim();
        break;
      case Role.Upgrade:
        f.cuts.push(start - 2, end);
        f.hasUpgrade = true;
        break;
      case Role.HopByHop:
        f.cuts.push(start - 2, end);
        break;
      case Role.Forwarded:
        f.forwarded = true;
        break;
    }
  }
  return f;
}

/** Why FIELD_LINES refused a head: throws the first problem found, line by line. */
function fieldError(head: string, from: number): never {
  let pos = from;
  while (pos < head.length) {
    const start = pos + 2;
    let end = head.indexOf('\r\n', start);
    if (end === -1) end = head.length;
    pos = end;
    const first = head.charCodeAt(start);
    if (first === 32 || first === 9) throw new HeadError(400, 'obsolete line folding');
    const colon = head.indexOf(':', start);
    if (colon === -1 || colon > end) throw new HeadError(400, 'header line without colon');
    if (!TOKEN.test(head.slice(start, colon))) throw new HeadError(400, 'invalid header name');
    if (CTL.test(head.slice(colon + 1, end))) throw new HeadError(400, 'invalid character in header value');
  }
  throw new HeadError(400, 'malformed header section');
}

/** Flat `[name, value, …]` as sent (names keep their case, values trimmed), for heads that are rebuilt. */
export function fieldsOf(h: { raw: string; fieldsFrom: number }): string[] {
  const out: string[] = [];
  const head = h.raw;
  let pos = h.fieldsFrom;
  while (pos < head.length) {
    const start = pos + 2;
    let end = head.indexOf('\r\n', start);
    if (end === -1) end = head.length;
    pos = end;
    const colon = head.indexOf(':', start);
    out.push(head.slice(start, colon), head.slice(colon + 1, end).trim());
  }
  return out;
}

/** `5`, or a list of identical values (`5, 5`); anything else is an attack or a bug. */
function contentLength(value: string, previous: number): number {
  let n: number;
  if (DIGITS.test(value)) n = Number(value);
  else {
    const parts = value.split(',').map((s) => s.trim());
    if (!parts.every((p) => DIGITS.test(p)) || new Set(parts).size !== 1) throw new HeadError(400, 'invalid Content-Length');
    n = Number(parts[0]);
  }
  if (previous !== -1 && previous !== n) throw new HeadError(400, 'conflicting Content-Length headers');
  return n;
}

/** Only a final `chunked` delimits a body we can find the end of; `chunked` twice is invalid. */
function finalChunked(te: string): boolean {
  const codings = te.split(',').map((s) => s.trim().toLowerCase());
  const last = codings.length - 1;
  for (let i = 0; i < last; i++) if (codings[i] === 'chunked' || codings[i] === '') throw new HeadError(400, 'invalid Transfer-Encoding');
  return codings[last] === 'chunked';
}
