// Listing tasks: filters plus keyset pagination. A page continues strictly after the last row of
// the previous one by (sort key, id), so rows inserted meanwhile never make a page skip or repeat.
import { and, asc, desc, eq, exists, gt, gte, isNull, lt, or, sql, type Column, type SQL } from "drizzle-orm";
import type { TASK_SORTS } from "../domain/task-input.ts";
import { bound, prepared } from "./prepared.ts";
import type { Db, Dialect } from "./store.ts";
import { searchQuery, taskSearch, type TaskSearch } from "./task-search.ts";
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

/**
 * The values a list query binds, by placeholder name. Which names are present, with the sort and
 * order, is the query's shape: its prepared statement is built once per shape and cached.
 */
type ListParams = {
  userId: string;
  status?: TaskFilter["status"];
  priority?: TaskFilter["priority"];
  [tag: `tag${number}`]: string;
  search?: string;
  dueBefore?: Date;
  dueAfter?: Date;
  seriesId?: string;
  /** The filter's `now` under overdue=true, or under overdue=false: two shapes, one value each. */
  overdueAt?: Date;
  notOverdueAt?: Date;
  /** Where the previous page ended; no afterKey when it ended on a null key (no due date). */
  afterKey?: Date | number;
  afterId?: string;
  limit: number;
};

/** The sorts by a time column: their cursor key (ms) is bound as a Date, for the column to encode. */
const TIME_SORTS = new Set<TaskSort>(["created_at", "updated_at", "due_at"]);

/** The query's values, or null when it can match nothing (a search without a word). */
function listParams(dialect: Dialect, f: TaskFilter, page: PageRequest): ListParams | null {
  const params: ListParams = { userId: f.userId, limit: page.limit + 1 };
  if (f.status) params.status = f.status;
  if (f.priority) params.priority = f.priority;
  f.tags.forEach((tag, i) => (params[`tag${i}`] = tag));
  if (f.q) {
    const search = searchQuery(dialect, f.q);
    if (search === null) return null;
    params.search = search;
  }
  if (f.dueBefore) params.dueBefore = f.dueBefore;
  if (f.dueAfter) params.dueAfter = f.dueAfter;
  if (f.seriesId) params.seriesId = f.seriesId;
  if (f.overdue === true) params.overdueAt = f.now;
  if (f.overdue === false) params.notOverdueAt = f.now;
  if (page.after) {
    const { key, id } = page.after;
    if (key !== null) params.afterKey = TIME_SORTS.has(page.sort) ? new Date(key) : key;
    params.afterId = id;
  }
  return params;
}

/** How to read, order and compare one sort key. Times compare as Dates so their column encodes them per dialect. */
type SortKey = { isTime: true; expr: Column; nullable: boolean } | { isTime: false; expr: SQL; nullable: false };

/**
 * Which way ties on the sort key are broken by id. By relevance always ascending: FTS5 hands matches
 * over in rowid order (insertion order, as are the uuidv7 ids), so an ascending tiebreak lets SQLite's
 * top-N sorter drop a tied match at once, where a descending one made every tied match displace the
 * previous (+65 % per search in B2, whose words tie often). Otherwise the page's own order.
 */
function tiebreakOrder(page: PageRequest): "asc" | "desc" {
  return page.sort === "relevance" ? "asc" : page.order;
}

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

/** The filter's conditions, one for each value present in `p`, every value a placeholder. */
function filterConditions(db: Db, p: ListParams, search: TaskSearch | undefined): SQL[] {
  const { tasks, taskTags } = db.t;
  const conditions: Array<SQL | undefined> = [eq(tasks.userId, bound(tasks.userId, "userId"))];
  if (p.status) conditions.push(eq(tasks.status, bound(tasks.status, "status")));
  if (p.priority) conditions.push(eq(tasks.priority, bound(tasks.priority, "priority")));
  for (let i = 0; p[`tag${i}`] !== undefined; i++) {
    const tag = bound(taskTags.tag, `tag${i}`);
    const tagged = db.orm.select({ one: sql`1` }).from(taskTags).where(and(eq(taskTags.taskId, tasks.id), eq(taskTags.tag, tag)));
    conditions.push(exists(tagged));
  }
  if (search) conditions.push(search.where);
  if (p.dueBefore) conditions.push(lt(tasks.dueAt, bound(tasks.dueAt, "dueBefore")));
  if (p.dueAfter) conditions.push(gte(tasks.dueAt, bound(tasks.dueAt, "dueAfter")));
  if (p.seriesId) conditions.push(eq(tasks.seriesId, bound(tasks.seriesId, "seriesId")));
  if (p.overdueAt) conditions.push(and(eq(tasks.status, "pending"), lt(tasks.dueAt, bound(tasks.dueAt, "overdueAt"))));
  if (p.notOverdueAt) {
    conditions.push(or(eq(tasks.status, "completed"), isNull(tasks.dueAt), gte(tasks.dueAt, bound(tasks.dueAt, "notOverdueAt"))));
  }
  return conditions.filter((c): c is SQL => c !== undefined);
}

/** Rows strictly after the previous page's last in (key, id) order; NULL keys (no due date) come last either way. */
function afterCondition(db: Db, key: SortKey, page: PageRequest, p: ListParams): SQL {
  const { tasks } = db.t;
  const beyond = page.order === "asc" ? gt : lt;
  const idBeyond = (tiebreakOrder(page) === "asc" ? gt : lt)(tasks.id, bound(tasks.id, "afterId"));
  if (p.afterKey === undefined) return and(isNull(key.expr), idBeyond)!;
  const compare = (op: typeof gt) => (key.isTime ? op(key.expr, bound(key.expr, "afterKey")) : op(key.expr, sql.placeholder("afterKey")));
  const tail = or(compare(beyond), and(compare(eq), idBeyond));
  return key.nullable ? or(tail, isNull(key.expr))! : tail!;
}

/** The prepared statement of one shape: only which values `p` holds matters, not what they are. */
function listStatement(db: Db, page: PageRequest, p: ListParams) {
  const { tasks } = db.t;
  const search = p.search === undefined ? undefined : taskSearch(db, sql.placeholder("search"));
  const key = sortKey(db, page.sort, search);
  const conditions = filterConditions(db, p, search);
  if (p.afterId !== undefined) conditions.push(afterCondition(db, key, page, p));
  const direction = page.order === "asc" ? asc : desc;
  const tiebreak = tiebreakOrder(page) === "asc" ? asc : desc;
  const ordering = [...(key.nullable ? [sql`(${key.expr} IS NULL)`] : []), direction(key.expr), tiebreak(tasks.id)];
  let query = db.orm.select({ task: tasks, key: sql<unknown>`${key.expr}` }).from(tasks).$dynamic();
  if (search?.join) query = query.innerJoin(search.join.table, search.join.on);
  return query
    .where(and(...conditions))
    .orderBy(...ordering)
    .limit(sql.placeholder("limit"))
    .prepare("tasks_list");
}

export async function listTaskRows(db: Db, filter: TaskFilter, page: PageRequest): Promise<{ rows: TaskRow[]; next: Position | null }> {
  const params = listParams(db.dialect, filter, page);
  if (params === null) return { rows: [], next: null };
  const shape = `tasks.list.${page.sort}.${page.order}:${Object.keys(params).join(",")}`;
  const rows = await prepared(db, shape, (db) => listStatement(db, page, params)).execute(params);
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
