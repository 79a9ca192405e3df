// PLACEHOLDER until the live-sync work lands: SSE at /users/{user_id}/events and WebSocket at /ws.
import { makeRouter } from "../router.ts";

export const live = makeRouter();
