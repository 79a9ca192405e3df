// PLACEHOLDER until the auth work lands.
import { makeRouter } from "../router.ts";

export const auth = makeRouter();
