/** What starting a role returns: stopping drains in-flight work, then resolves. */
export type Stop = () => Promise<void>;
