import type { AlertEvent } from "../core/alert-events";
import type { App } from "./context";
import { writeIntents } from "../store/outbox";

/**
 * A chat message through the outbox. The key makes it once-only: the same key twice (two polls
 * inside one warning window, a retried job) is one message. `event` is the kind of alert it is:
 * each chat decides per kind whether it gets it, silently or not at all (/settings).
 */
export async function sendText(app: App, key: string, text: string, event: AlertEvent): Promise<boolean> {
  const existed = await app.db.intent.findUnique({ where: { id: `text-${key}` }, select: { id: true } });
  if (existed) return false;
  const ids = await writeIntents(app.db, [{ kind: "text", key, text, event }], app.clock());
  await app.dispatch(ids);
  return true;
}
