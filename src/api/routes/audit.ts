// PLACEHOLDER until the audit work lands: GET /audit and a task's history.
import { makeRouter } from "../router.ts";

export const audit = makeRouter();
