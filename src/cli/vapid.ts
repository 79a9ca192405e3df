// `taskjet vapid`: prints a new VAPID key pair as environment lines, ready for an .env file or
// docker secrets. Optional: without VAPID_* set, taskjet generates a pair into DATA_DIR itself;
// setting them pins the pair when DATA_DIR is not shared or not kept.
import { generateVapidKeyPair } from "../workers/notifier/vapid.ts";

export const VAPID_USAGE = `usage: taskjet vapid

Prints a new VAPID key pair (base64url) as VAPID_PUBLIC_KEY=… and VAPID_PRIVATE_KEY=… lines.
Changing the pair of a running installation invalidates every stored push subscription.
`;

/** Writes the pair to stdout; always succeeds (exit code 0). */
export function runVapid(): number {
  const { publicKey, privateKey } = generateVapidKeyPair();
  process.stdout.write(`VAPID_PUBLIC_KEY=${publicKey}\nVAPID_PRIVATE_KEY=${privateKey}\n`);
  return 0;
}
