/** Runs bind9's `dig` against a local port and parses what it printed. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DigResult {
  status: string;
  flags: string[];
  /** Each record as [name, ttl, class, type, ...rdata]. */
  answer: string[][];
  authority: string[][];
  additional: string[][];
  raw: string;
}

export async function dig(port: number, ...args: string[]): Promise<DigResult> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+norec', '+time=2', '+tries=1', '+noall', '+comments', '+answer', '+authority', '+additional', ...args]);
  const result: DigResult = { status: '', flags: [], answer: [], authority: [], additional: [], raw: stdout };
  let section: string[][] | undefined;
  for (const line of stdout.split('\n')) {
    const status = /status: (\w+)/.exec(line);
    if (status) result.status = status[1]!;
    const flags = /^;; flags: ([^;]*);/.exec(line);
    if (flags) result.flags = flags[1]!.trim().split(/\s+/);
    if (line.startsWith(';; ANSWER SECTION')) section = result.answer;
    else if (line.startsWith(';; AUTHORITY SECTION')) section = result.authority;
    else if (line.startsWith(';; ADDITIONAL SECTION')) section = result.additional;
    else if (line.trim() === '' || line.startsWith(';')) section = line.trim() === '' ? undefined : section;
    else section?.push(line.trim().split(/\s+/));
  }
  return result;
}

/** The rdata of each record ("10.0.0.1", "1 1 6379 redis-0.redis.service.cluster."), sorted. */
export const rdata = (rrs: string[][]): string[] => rrs.map((r) => r.slice(4).join(' ')).sort();
