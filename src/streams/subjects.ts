// Subject naming shared by every stream: `<entity>.<event>.<user_id>`.

/** NATS subject tokens can't hold '.', '*', '>' or whitespace; an external IdP's `sub` might. */
export function subjectToken(value: string): string {
  return value.replace(/[.*>\s]/g, "_");
}

/** `task.completed` + user → `task.completed.<user>`. */
export function eventSubject(eventType: string, userId: string): string {
  return `${eventType}.${subjectToken(userId)}`;
}
