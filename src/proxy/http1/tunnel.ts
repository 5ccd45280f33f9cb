/**
 * After a 101 the two sockets are a plain byte relay both ways (WebSocket or any other upgrade
 * protocol): back-pressure per direction, half-close passed through, an error or a full close on
 * either side tears both down. Both sockets are registered in `tunnels` so stop() can cut them.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipe } from '../l4-relay.js';
import type { UpConn } from './pool.js';

/** Relays until both sides closed, then calls `done` once. `conn` leaves its pool here. */
export function relay(client: Socket, conn: UpConn, tunnels: Set<Duplex>, done: () => void): void {
  // The instance side reads through its connection's reusable buffer (see pool.ts).
  const resumeUp = () => up.resume();
  const up = conn.detach((chunk) => {
    const ok = client.write(chunk);
    conn.wrote(client);
    if (!ok) {
      up.pause();
      client.once('drain', resumeUp);
    }
  });
  up.once('end', () => client.end());
  pipe(client, up);
  const cut = () => {
    client.destroy();
    up.destroy();
  };
  client.on('error', cut);
  up.on('error', cut);
  let open = 2;
  const closed = function (this: Socket) {
    tunnels.delete(this);
    if (--open === 1) cut();
    else done();
  };
  client.once('close', closed);
  up.once('close', closed);
  tunnels.add(client);
  tunnels.add(up);
  if (client.destroyed || up.destroyed) cut();
}
