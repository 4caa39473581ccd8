// The relay's durable store (SQLite, WAL, synchronous=FULL): per document an append-only update log
// plus a snapshot that compaction folds the log into; also settings, one-time enrolment codes and
// which documents reference which blobs (blobs.ts).
import Database from 'better-sqlite3';
import * as Y from 'yjs';

/** An enrolment code as stored: only its hash, the principal it enrols, and its lifetime. */
export interface EnrolmentRow {
	codeHash: string;
	/** The Principal record (JSON) the code enrols. */
	principal: string;
	/** Lifetime in seconds of the token the code turns into. */
	tokenTtl: number;
	createdAt: number;
	expiresAt: number;
	createdBy: string;
	usedAt: number | null;
	usedJti: string | null;
}

export type ConsumeResult =
	| { ok: true; row: EnrolmentRow }
	| {
			ok: false;
			code: 'ENROLMENT_CODE_INVALID' | 'ENROLMENT_CODE_USED' | 'ENROLMENT_CODE_EXPIRED';
	  };

const SCHEMA_VERSION = 1;
const BUSY_TIMEOUT_MS = 5000;

/** Buffers are what better-sqlite3 binds as BLOBs; a Uint8Array view is wrapped without copying. */
const blob = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export class Storage {
	readonly db: Database.Database;
	/** Log lengths per document, so the hot path does not count rows. */
	private logLengths = new Map<string, number>();

	constructor(file: string) {
		this.db = new Database(file);
		this.db.pragma('journal_mode = WAL');
		// FULL: a commit is on disk before `append` returns, which is what lets the relay forward it.
		this.db.pragma('synchronous = FULL');
		this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
		// Deleted rows and freed pages are overwritten with zeros, so erased content (consent
		// withdrawal) does not linger in free space of the database file.
		this.db.pragma('secure_delete = ON');
		const version = this.db.pragma('user_version', { simple: true }) as number;
		if (version > SCHEMA_VERSION) {
			throw new Error(
				`${file} was written by a newer SitePass (schema ${version}); this build knows ${SCHEMA_VERSION}`
			);
		}
		this.db.exec(`
			CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
			CREATE TABLE IF NOT EXISTS snapshots (
				doc TEXT PRIMARY KEY, data BLOB NOT NULL, compacted_at INTEGER NOT NULL);
			CREATE TABLE IF NOT EXISTS updates (
				id INTEGER PRIMARY KEY AUTOINCREMENT, doc TEXT NOT NULL, data BLOB NOT NULL,
				at INTEGER NOT NULL);
			CREATE INDEX IF NOT EXISTS updates_by_doc ON updates (doc, id);
			CREATE TABLE IF NOT EXISTS enrolments (
				code_hash TEXT PRIMARY KEY, principal TEXT NOT NULL, token_ttl INTEGER NOT NULL,
				created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, created_by TEXT NOT NULL,
				used_at INTEGER, used_jti TEXT);
			CREATE TABLE IF NOT EXISTS blob_refs (
				hash TEXT NOT NULL, doc TEXT NOT NULL, type TEXT NOT NULL, size INTEGER NOT NULL,
				at INTEGER NOT NULL, PRIMARY KEY (hash, doc)) WITHOUT ROWID;
			CREATE INDEX IF NOT EXISTS blob_refs_by_doc ON blob_refs (doc);
		`);
		this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
	}

	transaction<T>(fn: () => T): T {
		try {
			return this.db.transaction(fn)();
		} catch (err) {
			// A rolled-back append must not stay counted.
			this.logLengths.clear();
			throw err;
		}
	}

	getSetting(key: string): string | undefined {
		const row = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as
			{ value: string } | undefined;
		return row?.value;
	}

	setSetting(key: string, value: string): void {
		this.db
			.prepare(
				'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'
			)
			.run(key, value);
	}

	/** Appends one update to a document's log; it is committed (on disk) when this returns. */
	append(doc: string, update: Uint8Array): number {
		const length = this.logLength(doc) + 1;
		this.db
			.prepare('INSERT INTO updates (doc, data, at) VALUES (?, ?, ?)')
			.run(doc, blob(update), Date.now());
		this.logLengths.set(doc, length);
		return length;
	}

	logLength(doc: string): number {
		let length = this.logLengths.get(doc);
		if (length === undefined) {
			const row = this.db.prepare('SELECT count(*) AS n FROM updates WHERE doc = ?').get(doc) as {
				n: number;
			};
			length = row.n;
			this.logLengths.set(doc, length);
		}
		return length;
	}

	/** The snapshot (if any) followed by the log, read in one transaction so they agree. */
	readDoc(doc: string): { updates: Uint8Array[]; lastId: number } {
		return this.transaction(() => {
			const snap = this.db.prepare('SELECT data FROM snapshots WHERE doc = ?').get(doc) as
				{ data: Buffer } | undefined;
			const rows = this.db
				.prepare('SELECT id, data FROM updates WHERE doc = ? ORDER BY id')
				.all(doc) as { id: number; data: Buffer }[];
			return {
				updates: [...(snap ? [snap.data] : []), ...rows.map((r) => r.data)],
				lastId: rows.length ? rows[rows.length - 1]!.id : 0
			};
		});
	}

	/**
	 * The stored document as a Y.Doc with garbage collection on. `prepare` runs before the stored
	 * updates are applied (the relay defines the document's root maps there).
	 */
	loadDoc(doc: string, prepare?: (ydoc: Y.Doc) => void): Y.Doc {
		return buildDoc(this.readDoc(doc).updates, prepare);
	}

	hasDoc(doc: string): boolean {
		return !!(
			this.db.prepare('SELECT 1 FROM snapshots WHERE doc = ?').get(doc) ||
			this.db.prepare('SELECT 1 FROM updates WHERE doc = ? LIMIT 1').get(doc)
		);
	}

	private hasSnapshot(doc: string): boolean {
		return !!this.db.prepare('SELECT 1 FROM snapshots WHERE doc = ?').get(doc);
	}

	docNames(): string[] {
		const rows = this.db
			.prepare('SELECT doc FROM snapshots UNION SELECT DISTINCT doc FROM updates ORDER BY 1')
			.all() as { doc: string }[];
		return rows.map((r) => r.doc);
	}

	/**
	 * Folds a document's log into its snapshot, in one transaction. `live` is the relay's in-memory
	 * copy, which by construction holds exactly what is stored (updates are stored before they are
	 * applied anywhere else); without it the document is loaded from storage with gc on. Either way
	 * deleted content is gone from the new snapshot, which is what erasure relies on.
	 */
	compact(doc: string, live?: Y.Doc): { before: number; after: number } {
		const result = this.transaction(() => {
			const before = this.logLength(doc);
			const stored = live ? null : this.readDoc(doc);
			const lastId = live
				? ((
						this.db.prepare('SELECT max(id) AS id FROM updates WHERE doc = ?').get(doc) as {
							id: number | null;
						}
					).id ?? 0)
				: stored!.lastId;
			if (!live && stored!.updates.length === 0) return { before: 0, after: 0 };
			if (live && lastId === 0 && this.hasSnapshot(doc)) return { before: 0, after: 0 };
			const source = live ?? buildDoc(stored!.updates);
			const snapshot = Y.encodeStateAsUpdate(source);
			if (!live) source.destroy();
			this.db
				.prepare(
					'INSERT INTO snapshots (doc, data, compacted_at) VALUES (?, ?, ?) ON CONFLICT(doc) DO UPDATE SET data = excluded.data, compacted_at = excluded.compacted_at'
				)
				.run(doc, blob(snapshot), Date.now());
			this.db.prepare('DELETE FROM updates WHERE doc = ? AND id <= ?').run(doc, lastId);
			return { before, after: 0 };
		});
		this.logLengths.delete(doc);
		return { before: result.before, after: this.logLength(doc) };
	}

	/**
	 * Copies every WAL frame into the database and truncates the WAL to zero bytes (after an
	 * erasure, so old page images with erased content are not left in `-wal`). `busy`: a reader
	 * kept it from finishing; try again later.
	 */
	checkpoint(): { busy: boolean } {
		// TRUNCATE waits for readers through the busy handler: never block the relay on another
		// process's read (a backup, `sitepass token`); report busy and let the caller retry.
		this.db.pragma('busy_timeout = 0');
		try {
			const [row] = this.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
			return { busy: !!row && row.busy !== 0 };
		} finally {
			this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
		}
	}

	addEnrolment(row: Omit<EnrolmentRow, 'usedAt' | 'usedJti'>): void {
		this.db
			.prepare(
				'INSERT INTO enrolments (code_hash, principal, token_ttl, created_at, expires_at, created_by) VALUES (?, ?, ?, ?, ?, ?)'
			)
			.run(row.codeHash, row.principal, row.tokenTtl, row.createdAt, row.expiresAt, row.createdBy);
	}

	/** Marks a code used (once, atomically) and returns what it enrols. */
	consumeEnrolment(codeHash: string, now: number, jti: string): ConsumeResult {
		return this.transaction((): ConsumeResult => {
			const raw = this.db.prepare('SELECT * FROM enrolments WHERE code_hash = ?').get(codeHash) as
				Record<string, unknown> | undefined;
			if (!raw) return { ok: false, code: 'ENROLMENT_CODE_INVALID' };
			const row = toRow(raw);
			if (row.usedAt !== null) return { ok: false, code: 'ENROLMENT_CODE_USED' };
			if (row.expiresAt <= now) return { ok: false, code: 'ENROLMENT_CODE_EXPIRED' };
			this.db
				.prepare('UPDATE enrolments SET used_at = ?, used_jti = ? WHERE code_hash = ?')
				.run(now, jti, codeHash);
			return { ok: true, row: { ...row, usedAt: now, usedJti: jti } };
		});
	}

	/** Gives a code back when the enrolment failed after it was consumed. */
	releaseEnrolment(codeHash: string): void {
		this.db
			.prepare('UPDATE enrolments SET used_at = NULL, used_jti = NULL WHERE code_hash = ?')
			.run(codeHash);
	}

	close(): void {
		if (this.db.open) this.db.close();
	}
}

function toRow(raw: Record<string, unknown>): EnrolmentRow {
	return {
		codeHash: raw.code_hash as string,
		principal: raw.principal as string,
		tokenTtl: raw.token_ttl as number,
		createdAt: raw.created_at as number,
		expiresAt: raw.expires_at as number,
		createdBy: raw.created_by as string,
		usedAt: (raw.used_at as number | null) ?? null,
		usedJti: (raw.used_jti as string | null) ?? null
	};
}

function buildDoc(updates: Uint8Array[], prepare?: (ydoc: Y.Doc) => void): Y.Doc {
	const doc = new Y.Doc({ gc: true });
	prepare?.(doc);
	doc.transact(() => {
		for (const update of updates) Y.applyUpdate(doc, update);
	});
	return doc;
}
