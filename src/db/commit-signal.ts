// The "a write committed" signal behind Store.onCommit: the relay listens to it
// so an outbox row is published right after its transaction, without polling.
import type { Logger } from "pino";

export interface CommitSignal {
  listen(listener: () => void): () => void;
  /** Calls every listener; one that throws is logged and does not stop the others, nor fail the write. */
  notify(): void;
}

export function makeCommitSignal(log: Logger): CommitSignal {
  const listeners = new Set<() => void>();
  return {
    listen(listener) {
      // Wrapped so the same function can subscribe twice and unsubscribe each independently.
      const entry = () => listener();
      listeners.add(entry);
      return () => listeners.delete(entry);
    },
    notify() {
      for (const listener of listeners) {
        try {
          listener();
        } catch (err) {
          log.error({ err }, "onCommit listener failed");
        }
      }
    },
  };
}
