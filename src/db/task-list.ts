// Listing tasks: filters plus keyset pagination. A page continues strictly after the last row of
// the previous one by (sort key, id), so rows inserted meanwhile never make a page skip or repeat.
import { and, asc, desc, eq, exists, gt, gte, isNull, lt, or, sql, type Column, type SQL } from "drizzle-orm";
import type { TASK_SORTS } from "../domain/task-input.ts";
import type { Db } from "./store.ts";
import { taskSearch, type TaskSearch } from "./task-search.ts";
import type { TaskRow } from "./tasks.ts";

export type TaskSort = (typeof TASK_SORTS)[number];

export interface TaskFilter {
  userId: string;
  status?: "pending" | "completed";
  priority?: "low" | "medium" | "high" | "urgent";
  tags: string[];
  q?: string;
  dueBefore?: Date;
  dueAfter?: Date;
  overdue?: boolean;
  seriesId?: string;
  now: Date;
}

/** Where the previous page ended: its last row's sort key (ms for times; null for "no due date") and id. */
export interface Position {
  key: number | null;
  id: string;
}

export interface PageRequest {
  sort: TaskSort;
  order: "asc" | "desc";
  limit: number;
  after?: Position;
}

/** How to read, order and compare one sort key. Times compare as Dates so drizzle encodes them per dialect. */
type SortKey = { isTime: true; expr: Column; nullable: boolean } | { isTime: false; expr: SQL; nullable: false };

function sortKey(db: Db, sort: TaskSort, search: TaskSearch | undefined): SortKey {
  const { tasks } = db.t;
  switch (sort) {
    case "created_at":
      return { expr: tasks.createdAt, nullable: false, isTime: true };
    case "updated_at":
      return { expr: tasks.updatedAt, nullable: false, isTime: true };
    case "due_at":
      return { expr: tasks.dueAt, nullable: true, isTime: true };
    case "priority":
      return {
        expr: sql`(CASE ${tasks.priority} WHEN 'urgent' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 ELSE 1 END)`,
        nullable: false,
        isTime: false,
      };
    case "relevance":
      return { expr: search?.relevance ?? sql`0`, nullable: false, isTime: false };
  }
}

function filterConditions(db: Db, f: TaskFilter, search: TaskSearch | undefined): SQL[] {
  const { tasks, taskTags } = db.t;
  const conditions: Array<SQL | undefined> = [eq(tasks.userId, f.userId)];
  if (f.status) conditions.push(eq(tasks.status, f.status));
  if (f.priority) conditions.push(eq(tasks.priority, f.priority));
  for (const tag of f.tags) {
    const tagged = db.orm.select({ one: sql`1` }).from(taskTags).where(and(eq(taskTags.taskId, tasks.id), eq(taskTags.tag, tag)));
    conditions.push(exists(tagged));
  }
  if (search) conditions.push(search.where);
  if (f.dueBefore) conditions.push(lt(tasks.dueAt, f.dueBefore));
  if (f.dueAfter) conditions.push(gte(tasks.dueAt, f.dueAfter));
  if (f.seriesId) conditions.push(eq(tasks.seriesId, f.seriesId));
  const overdue = and(eq(tasks.status, "pending"), lt(tasks.dueAt, f.now));
  if (f.overdue === true) conditions.push(overdue);
  if (f.overdue === false) conditions.push(or(eq(tasks.status, "completed"), isNull(tasks.dueAt), gte(tasks.dueAt, f.now)));
  return conditions.filter((c): c is SQL => c !== undefined);
}

/** Rows strictly after `after` in (key, id) order; NULL keys (no due date) come last either way. */
function afterCondition(db: Db, key: SortKey, order: "asc" | "desc", after: Position): SQL {
  const { tasks } = db.t;
  const beyond = order === "asc" ? gt : lt;
  const idBeyond = beyond(tasks.id, after.id);
  if (after.key === null) return and(isNull(key.expr), idBeyond)!;
  const at = after.key;
  const compare = (op: typeof gt) => (key.isTime ? op(key.expr, new Date(at)) : op(key.expr, sql`${at}`));
  const tail = or(compare(beyond), and(compare(eq), idBeyond));
  return key.nullable ? or(tail, isNull(key.expr))! : tail!;
}

export async function listTaskRows(db: Db, filter: TaskFilter, page: PageRequest): Promise<{ rows: TaskRow[]; next: Position | null }> {
  const { tasks } = db.t;
  const search = filter.q ? taskSearch(db, filter.q) : undefined;
  if (search === null) return { rows: [], next: null };
  const key = sortKey(db, page.sort, search);
  const conditions = filterConditions(db, filter, search);
  if (page.after) conditions.push(afterCondition(db, key, page.order, page.after));
  const direction = page.order === "asc" ? asc : desc;
  const ordering = [...(key.nullable ? [sql`(${key.expr} IS NULL)`] : []), direction(key.expr), direction(tasks.id)];
  let query = db.orm.select({ task: tasks, key: sql<unknown>`${key.expr}` }).from(tasks).$dynamic();
  if (search?.join) query = query.innerJoin(search.join.table, search.join.on);
  const rows = await query
    .where(and(...conditions))
    .orderBy(...ordering)
    .limit(page.limit + 1);
  const pageRows = rows.slice(0, page.limit);
  const last = pageRows.at(-1);
  const next = rows.length > page.limit && last ? { key: keyValue(last.task, page.sort, last.key), id: last.task.id } : null;
  return { rows: pageRows.map((r) => r.task), next };
}

/** The sort key of a row as the cursor carries it: epoch ms for times, a number otherwise. */
function keyValue(task: TaskRow, sort: TaskSort, raw: unknown): number | null {
  if (sort === "created_at") return task.createdAt.getTime();
  if (sort === "updated_at") return task.updatedAt.getTime();
  if (sort === "due_at") return task.dueAt ? task.dueAt.getTime() : null;
  return Number(raw);
}
