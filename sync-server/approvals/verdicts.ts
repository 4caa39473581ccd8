// Signature verdicts on signed decisions, by record hash, kept in the relay's database. A verdict
// is a fact about immutable bytes (this record, under this hash, carries a valid signature of its
// key — or does not), so it never needs checking again: without this, every restart re-verified
// every approval at the site (~1.3 ms each: 26 s of blocked event loop for 20,000 workers), and the
// timers, the integration API and the relay's own intake each verified the same records again.
// Whether the key still counted when the record was made is re-checked on every read (keys are
// revoked later); only the signature's verdict is kept (see checkDecision's cache).
import type Database from 'better-sqlite3';
import type { Forgery } from '../../src/lib/data/approvals';

const OK = 'ok';

export class StoredVerdicts extends Map<string, true | Forgery> {
	#db: Database.Database | null = null;
	#pending: [string, string][] = [];
	#flushing = false;

	constructor(db: Database.Database) {
		super();
		db.exec(`CREATE TABLE IF NOT EXISTS decision_verdicts (
			hash TEXT PRIMARY KEY, verdict TEXT NOT NULL) WITHOUT ROWID;`);
		for (const row of db
			.prepare('SELECT hash, verdict FROM decision_verdicts')
			.iterate() as Iterable<{
			hash: string;
			verdict: string;
		}>)
			if (row.verdict === OK || row.verdict === 'BAD_SIGNATURE')
				super.set(row.hash, row.verdict === OK ? true : 'BAD_SIGNATURE');
		this.#db = db;
	}

	override set(hash: string, verdict: true | Forgery): this {
		if (this.#db && !super.has(hash)) {
			this.#pending.push([hash, verdict === true ? OK : verdict]);
			// One transaction for a whole pass (the database syncs every commit to disk).
			if (!this.#flushing) {
				this.#flushing = true;
				setImmediate(() => this.flush());
			}
		}
		return super.set(hash, verdict);
	}

	/** Writes what was learnt since the last flush (also called when the relay closes). */
	flush(): void {
		this.#flushing = false;
		const rows = this.#pending;
		this.#pending = [];
		if (!this.#db || rows.length === 0) return;
		try {
			const insert = this.#db.prepare(
				'INSERT OR IGNORE INTO decision_verdicts (hash, verdict) VALUES (?, ?)'
			);
			this.#db.transaction(() => {
				for (const [hash, verdict] of rows) insert.run(hash, verdict);
			})();
		} catch {
			// A closed database (relay shutting down): the verdicts are simply checked again next time.
		}
	}

	/** Stops writing (the database is about to close). */
	close(): void {
		this.flush();
		this.#db = null;
	}
}
