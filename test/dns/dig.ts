/** Runs bind9's `dig` against a local port and parses what it printed. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const COMMON = ['+norec', '+time=2', '+tries=1', '+noall', '+comments', '+answer', '+authority', '+additional'];

export async function dig(port: number, ...args: string[]): Promise<DigResult> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), ...COMMON, ...args]);
  return parseDig(stdout);
}

/**
 * Many queries in one dig process (`dig -f`): one line of arguments per query (name, type and a few
 * options), one result per line in order, with the question section, the message size and `opt` (the
 * OPT pseudosection). Throws unless every query got an answer.
 */
export async function digBatch(port: number, lines: string[][], global: string[] = []): Promise<(DigResult & { opt?: { version: number; flags: string[]; udp: number } })[]> {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-dig-'));
  try {
    const file = join(dir, 'batch');
    // dig reads only a few arguments per batch line, and some (+tcp) only from the command line: the
    // shared ones go there (`global`).
    writeFileSync(file, lines.map((l) => l.join(' ')).join('\n') + '\n');
    const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), ...COMMON, '+question', '+stats', ...global, '-f', file], { maxBuffer: 64 * 2 ** 20 });
    const chunks = stdout.split(/^(?=;; ->>HEADER<<-)/m).filter((c) => c.startsWith(';; ->>HEADER<<-'));
    if (chunks.length !== lines.length) throw new Error(`dig answered ${chunks.length} of ${lines.length} queries:\n${stdout.slice(0, 2000)}`);
    return chunks.map((c) => {
      const r = parseDig(c);
      const e = /; EDNS: version: (\d+), flags:([^;]*); udp: (\d+)/.exec(c);
      return { ...r, opt: e ? { version: Number(e[1]), flags: e[2]!.trim().split(/\s+/).filter(Boolean), udp: Number(e[3]) } : undefined };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseDig(stdout: string): DigResult {
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
