// What the notifier reads for one firing of a reminder: the reminder as it is now, its task's text,
// its owner's address and, when the firing asks for push, the owner's devices. The firings that
// reach this step in the same turn are read together: one query for all their reminders (with task
// and owner joined), one for the devices of their owners.
import { pushSubscriptionsOfUsers, type PushSubscriptionRow } from "../../db/push-subscriptions.ts";
import { remindersToDeliver, type ReminderToDeliver } from "../../db/reminders.ts";
import type { Store } from "../../db/store.ts";
import { batchPerTurn } from "./batch.ts";

export interface FiringRef {
  reminderId: string;
  /** The owner named by the event: a reminder now owned by someone else is not theirs to get. */
  userId: string;
  wantsPush: boolean;
}

export interface Firing {
  /** Null when the reminder, its task or its owner no longer exist. */
  reminder: ReminderToDeliver | null;
  /** Empty unless the firing wants push. */
  subscriptions: PushSubscriptionRow[];
}

/** Reads one firing's facts; concurrent calls share their queries. */
export type ReadFiring = (ref: FiringRef) => Promise<Firing>;

export function makeFiringReader(store: Store): ReadFiring {
  return batchPerTurn((refs: FiringRef[]) =>
    store.read(async (db) => {
      const reminders = new Map((await remindersToDeliver(db, refs.map((r) => r.reminderId))).map((r) => [r.id, r]));
      const found = refs.map((ref) => {
        const reminder = reminders.get(ref.reminderId.toLowerCase());
        return reminder?.userId === ref.userId ? reminder : null;
      });
      const pushTo = [...new Set(refs.filter((ref, i) => ref.wantsPush && found[i]).map((ref) => ref.userId))];
      const devices = new Map<string, PushSubscriptionRow[]>();
      for (const device of await pushSubscriptionsOfUsers(db, pushTo)) devices.set(device.userId, [...(devices.get(device.userId) ?? []), device]);
      return refs.map((ref, i) => ({ reminder: found[i] ?? null, subscriptions: (ref.wantsPush && devices.get(ref.userId)) || [] }));
    }),
  );
}
