// PLACEHOLDER: the tasks resource is being written.
import { makeRouter } from "../router.ts";

export const tasks = makeRouter();
