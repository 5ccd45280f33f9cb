/**
 * Waits until the machine is at rest: its CPUs were idle for at least `idle` of a `windowMs` span
 * (/proc/stat), as a browser in use is when its user opens a page. After a page closes, chromium
 * tears its renderer down and starts a spare one for the next navigation (~100–300 ms of CPU on
 * these 2 cores); a round started at once measures that start-up, not the page. 95% over 500 ms:
 * with 90% over 250 ms a round sometimes started in a lull of that work, and the worst of 9 rounds
 * was 300–360 ms instead of 250–300. Returns whether rest was reached within `timeoutMs` (false:
 * the caller goes on and says so).
 */
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

async function cpuTicks(): Promise<{ idle: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!; // "cpu  user nice system idle iowait irq softirq steal …"
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  return { idle: fields[3]! + (fields[4] ?? 0), total };
}

export async function machineAtRest({ idle = 0.95, windowMs = 500, timeoutMs = 15_000 } = {}): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let before = await cpuTicks();
  while (Date.now() < deadline) {
    await sleep(windowMs);
    const now = await cpuTicks();
    const span = now.total - before.total;
    if (span > 0 && (now.idle - before.idle) / span >= idle) return true;
    before = now;
  }
  return false;
}
