-- Full-text search over tasks' title and description (see src/db/task-search.ts).
-- External content: the index keeps no copy of the text; it points at tasks'
-- implicit rowid, and the triggers below keep it in step with every change.
-- The tokenizer keeps diacritics, as Postgres' 'simple' configuration does.
-- Caveats: VACUUM may renumber implicit rowids, and a later migration that makes
-- drizzle-kit rebuild `tasks` drops these triggers; either must be followed by
-- re-creating the triggers and INSERT INTO tasks_fts(tasks_fts) VALUES('rebuild').
-- Never INSERT OR REPLACE into tasks: its implicit delete skips the delete trigger.
CREATE VIRTUAL TABLE `tasks_fts` USING fts5(
	title,
	description,
	content='tasks',
	content_rowid='rowid',
	tokenize='unicode61 remove_diacritics 0'
);
--> statement-breakpoint
CREATE TRIGGER `tasks_fts_after_insert` AFTER INSERT ON `tasks` BEGIN
	INSERT INTO tasks_fts(rowid, title, description) VALUES (new.rowid, new.title, new.description);
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_fts_after_delete` AFTER DELETE ON `tasks` BEGIN
	INSERT INTO tasks_fts(tasks_fts, rowid, title, description) VALUES ('delete', old.rowid, old.title, old.description);
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_fts_after_update` AFTER UPDATE OF title, description ON `tasks` BEGIN
	INSERT INTO tasks_fts(tasks_fts, rowid, title, description) VALUES ('delete', old.rowid, old.title, old.description);
	INSERT INTO tasks_fts(rowid, title, description) VALUES (new.rowid, new.title, new.description);
END;
--> statement-breakpoint
-- Indexes any task that existed before this migration.
INSERT INTO tasks_fts(tasks_fts) VALUES ('rebuild');
