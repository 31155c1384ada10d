/**
 * Proof that a LISTEN connection really owns its PostgreSQL session.
 *
 * The caches fed by the change feed (src/db/change-feed.ts) trust entries only while notifications reach them. Through a pooler in
 * transaction mode (PgBouncer's usual setting) a client holds a server session only for one transaction: `LISTEN`
 * succeeds, but on a session the client immediately gives back, and later notifications go to whoever holds that
 * session then, or make the pooler drop it. Nothing fails, the caches simply never hear of a change: a revoked role
 * would stay visible on the other replicas until the TTL. So the listener proves delivery once per connection, the
 * way it relies on it afterwards: a second connection NOTIFYs a channel only this listener listens on and commits,
 * then the listener's next statement must find the notification delivered (PostgreSQL sends a listening session its
 * pending notifications before it answers). On a direct connection (or a session-mode pooler) this always holds;
 * through a transaction pooler the notification is never delivered to this client.
 */
import { randomBytes } from 'node:crypto';
import { Client, type Notification } from 'pg';

export class NotificationDeliveryError extends Error {}

/** Resolves when `listener` receives notifications committed elsewhere; throws {@link NotificationDeliveryError} if not. */
export async function checkNotificationDelivery(listener: Client, connectionString: string): Promise<void> {
  const channel = `ds_listen_check_${randomBytes(8).toString('hex')}`;
  let delivered = false;
  const onNotification = (message: Notification) => {
    if (message.channel === channel) delivered = true;
  };
  listener.on('notification', onNotification);
  try {
    await listener.query(`LISTEN ${channel}`);
    const sender = new Client({ connectionString, application_name: 'ds-access-gateway listen check' });
    // A session ended between two of its statements (a restart, pg_terminate_backend) is reported as an 'error' event;
    // without a listener that event would end the process. The statement or `end()` below still fails or finishes.
    sender.on('error', () => undefined);
    await sender.connect();
    try {
      await sender.query(`NOTIFY ${channel}`);
    } finally {
      await sender.end().catch(() => undefined);
    }
    await listener.query(`UNLISTEN ${channel}`);
  } finally {
    listener.off('notification', onNotification);
  }
  if (!delivered) {
    throw new NotificationDeliveryError(
      'notifications do not reach this connection (a pooler in transaction mode?): point LISTEN_DATABASE_URL at PostgreSQL directly',
    );
  }
}
