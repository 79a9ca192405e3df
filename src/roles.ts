/** The roles one taskjet process can run (DESIGN.md "Processes and roles"). */
export const ROLES = ["api", "relay", "scheduler", "recurring", "notifier", "audit"] as const;

export type Role = (typeof ROLES)[number];
