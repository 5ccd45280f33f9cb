/**
 * Splits a log stream (`GET /v1/allocations/:id/logs`, NDJSON) into records as its chunks arrive
 * (pure). A record split across chunks is kept until its newline; blank lines are keep-alives; a
 * line that is not a JSON object of the expected shape becomes a visible `garbled` record rather
 * than an exception, and a line that grows past `maxLine` without a newline is cut, so a broken or
 * hostile stream can neither stop the page nor make it hold unbounded text.
 */

export type LogRecord =
  | { kind: 'output'; stream: 'stdout' | 'stderr'; text: string }
  | { kind: 'error'; message: string }
  | { kind: 'garbled'; text: string };

export class NdjsonSplitter {
  private pending = '';
  /** A line was cut: the rest of it, up to its newline, is dropped (it would read as garbage). */
  private skipping = false;
  constructor(private readonly maxLine = 1 << 20) {}

  /** The complete records in `chunk` (with what was left of the previous ones). */
  push(chunk: string): LogRecord[] {
    const records: LogRecord[] = [];
    let text = this.pending + chunk;
    if (this.skipping) {
      const nl = text.indexOf('\n');
      if (nl === -1) return records;
      this.skipping = false;
      text = text.slice(nl + 1);
    }
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n')) {
      const line = text.slice(0, nl);
      text = text.slice(nl + 1);
      const record = parseLine(line);
      if (record) records.push(record);
    }
    if (text.length > this.maxLine) {
      records.push({ kind: 'garbled', text: `${text.slice(0, 200)}… (a line longer than ${this.maxLine} characters was cut)` });
      text = '';
      this.skipping = true;
    }
    this.pending = text;
    return records;
  }

  /** At the end of the stream: a last line without a newline. */
  end(): LogRecord[] {
    const rest = this.pending;
    this.pending = '';
    const record = parseLine(rest);
    return record ? [record] : [];
  }
}

export function parseLine(line: string): LogRecord | undefined {
  if (line.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'garbled', text: line.slice(0, 500) };
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if ((v.stream === 'stdout' || v.stream === 'stderr') && typeof v.text === 'string') return { kind: 'output', stream: v.stream, text: v.text };
    if (typeof v.error === 'string') return { kind: 'error', message: v.error };
  }
  return { kind: 'garbled', text: line.slice(0, 500) };
}
