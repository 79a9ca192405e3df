-- Full-text search over tasks' title and description (see src/db/task-search.ts):
-- a generated tsvector, 'simple' configuration (no stemming, no stop words, so it
-- matches whole words the way SQLite's FTS5 unicode61 does), title weighted
-- above description for ranking. Not in the drizzle schema, so queries never
-- select it.
ALTER TABLE "tasks" ADD COLUMN "search" tsvector GENERATED ALWAYS AS (
	setweight(to_tsvector('simple', "title"), 'A') || setweight(to_tsvector('simple', "description"), 'B')
) STORED;
--> statement-breakpoint
CREATE INDEX "tasks_search_idx" ON "tasks" USING gin ("search");
