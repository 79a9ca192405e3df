// The delivery ledger as the notifier writes it: the claims and outcomes of many deliveries go to
// the database together, one transaction for all that queued since the last one, and that
// transaction starts at most every LEDGER_SPACING_MS.
import { claimNotifications, finishNotifications, type NotificationClaim, type NotificationOutcome, type NotificationRow } from "../../db/notifications.ts";
import type { Store } from "../../db/store.ts";
import { batchPerTurn } from "./batch.ts";

/**
 * With SQLite's synchronous=full every COMMIT is an fsync that holds the event loop, and a ledger
 * write per turn made the notifier the cause of most commits in B5. Spaced this way a delivery
 * waits up to this long for its claim and again for its outcome (far inside the 1 s goal), the
 * notifier's writes fall to a fifth and the commits to about half.
 */
export const LEDGER_SPACING_MS = 20;

export interface Ledger {
  /** Resolves once the claim is committed: its row, and whether this call claimed it (see claimNotifications). */
  claim(claim: NotificationClaim): Promise<{ row: NotificationRow; claimed: boolean }>;
  /** Resolves once the outcome is committed. */
  record(outcome: NotificationOutcome): Promise<void>;
}

type Entry = { claim: NotificationClaim; outcome?: undefined } | { outcome: NotificationOutcome; claim?: undefined };

export function makeLedger(store: Store): Ledger {
  const write = batchPerTurn(
    (entries: Entry[]) =>
      store.write(async (tx) => {
        const claimed = await claimNotifications(tx, entries.flatMap((e) => (e.claim ? [e.claim] : [])));
        await finishNotifications(tx, entries.flatMap((e) => (e.outcome ? [e.outcome] : [])));
        let next = 0;
        return entries.map((e) => (e.claim ? claimed[next++]! : null));
      }),
    { spacingMs: LEDGER_SPACING_MS },
  );
  return {
    claim: async (claim) => (await write({ claim }))!,
    record: async (outcome) => void (await write({ outcome })),
  };
}
