/**
 * The reference of the user bench: one HAProxy process pinned to the same core as Maestro, in front
 * of the same containers' internal addresses, an HTTP frontend and a TCP listener. The settings are
 * bench/proxy's (least connections, `http-reuse always`), so the two benches compare alike.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { eventually } from '../../test/support/wait.js';

export interface HaproxyFront {
  pid: number;
  stop(): void;
}

export async function startHaproxy(o: { dir: string; cpu: number; httpPort: number; tcpPort: number; backends: string[] }): Promise<HaproxyFront> {
  const servers = o.backends.map((ip, i) => `  server s${i} ${ip}:80\n`).join('');
  const config =
    'global\n  nbthread 1\n  maxconn 4000\n' +
    'defaults\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n' +
    `frontend fe\n  mode http\n  bind 127.0.0.1:${o.httpPort}\n  default_backend be\n` +
    `backend be\n  mode http\n  balance leastconn\n  http-reuse always\n${servers}` +
    `listen tcp\n  mode tcp\n  bind 127.0.0.1:${o.tcpPort}\n  balance leastconn\n${servers}`;
  const file = join(o.dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const child: ChildProcess = spawn('taskset', ['-c', String(o.cpu), '/usr/sbin/haproxy', '-db', '-f', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  for (const port of [o.httpPort, o.tcpPort]) {
    await eventually(async () => {
      if (exited !== undefined) throw new Error(`haproxy exited with ${exited}`);
      return accepts(port);
    }, 10_000, `haproxy to listen on ${port}`);
  }
  return { pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

/** Whether a TCP connection to 127.0.0.1:port is accepted. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}
