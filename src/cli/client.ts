import type { Agent } from 'undici';
import type { ErrorBody } from '../api/index.js';
import { CliError, EXIT, usageError } from './errors.js';

export const DEFAULT_API = 'http://127.0.0.1:4680';

const START_HINT =
  'Is `maestro up` running? Start it with `maestro up` (one host), or point --api / MAESTRO_ADDR at a running `maestro server`.';

/** An error answer of the API, with its stable code. */
export class ApiCallError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
    hint?: string,
  ) {
    super(message, { exitCode: code === 'invalid_spec' || code === 'bad_request' ? EXIT.usage : EXIT.failure, hint });
  }
}

/** The HTTP client of the API (undici), one keep-alive pool per CLI run. */
export class ApiClient {
  readonly base: URL;
  /** The `X-Maestro-Index` of the last answer (the API's blocking-query index), when it had one. */
  lastIndex?: number;
  private agent?: Agent;

  constructor(
    api: string,
    private readonly token?: string,
  ) {
    const text = /^[a-z]+:\/\//i.test(api) ? api : `http://${api}`;
    try {
      this.base = new URL(text);
    } catch {
      throw usageError(`--api: "${api}" is not a URL`, `e.g. --api ${DEFAULT_API}`);
    }
    if (!/^https?:$/.test(this.base.protocol)) throw usageError(`--api: "${api}" must be an http(s) URL`);
  }

  get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, v);
    const qs = params.toString();
    return this.call<T>('GET', qs ? `${path}?${qs}` : path);
  }

  async call<T>(method: string, path: string, body?: string, contentType = 'application/json'): Promise<T> {
    const url = new URL(path.replace(/^\//, ''), this.base.href.endsWith('/') ? this.base : `${this.base.href}/`);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = contentType;
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    // Loaded on first use: undici is the slowest import of the CLI, and help or usage errors never need it.
    const undici = await import('undici');
    this.agent ??= new undici.Agent({ connect: { timeout: 5_000 } });
    let res;
    try {
      res = await undici.request(url, { method: method as 'GET', headers, body, dispatcher: this.agent, headersTimeout: 30_000, bodyTimeout: 30_000 });
    } catch (err) {
      const code = (err as { code?: string }).code ?? (err as Error).message;
      throw new CliError(`cannot reach the Maestro API at ${this.base.origin} (${code})`, { hint: START_HINT });
    }
    const text = await res.body.text();
    const index = Number(res.headers['x-maestro-index']);
    this.lastIndex = Number.isSafeInteger(index) && index > 0 ? index : undefined;
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new CliError(`the API at ${this.base.origin} answered ${res.statusCode} with something other than JSON`, {
        hint: 'Check that --api / MAESTRO_ADDR points at a Maestro API.',
      });
    }
    if (res.statusCode >= 400) throw this.toError(res.statusCode, json);
    return json as T;
  }

  private toError(status: number, json: unknown): ApiCallError {
    const e = (json as Partial<ErrorBody> | undefined)?.error;
    const code = e?.code ?? `http_${status}`;
    const message = e?.message ?? `the API answered ${status}`;
    const hints: Record<string, string> = {
      unauthorized: 'Pass the API token with --token or MAESTRO_API_TOKEN.',
      conflict: 'The job changed at the same moment; run the command again.',
      unavailable: 'The catalog is unreachable from the API server; check its logs, then retry.',
      internal: 'This is a bug or an outage on the server; its logs say more.',
    };
    return new ApiCallError(status, code, message, e?.details, hints[code]);
  }

  async close(): Promise<void> {
    await this.agent?.close();
  }
}
