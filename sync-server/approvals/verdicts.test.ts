// Signature verdicts survive a restart: the relay checks a decision's signature once, ever.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { StoredVerdicts } from './verdicts';

const dirs: string[] = [];
afterEach(() => {
	for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open() {
	const dir = mkdtempSync(join(tmpdir(), 'sitepass-verdicts-'));
	dirs.push(dir);
	return join(dir, 'relay.db');
}

describe('StoredVerdicts', () => {
	it('keeps what was learnt, in one transaction, and reads it back after a restart', async () => {
		const file = open();
		const db = new Database(file);
		const first = new StoredVerdicts(db);
		first.set('a'.repeat(64), true);
		first.set('b'.repeat(64), 'BAD_SIGNATURE');
		// Written on the next turn of the event loop (one transaction per pass).
		expect(
			(db.prepare('SELECT count(*) AS n FROM decision_verdicts').get() as { n: number }).n
		).toBe(0);
		await new Promise((r) => setImmediate(r));
		expect(
			(db.prepare('SELECT count(*) AS n FROM decision_verdicts').get() as { n: number }).n
		).toBe(2);
		first.set('c'.repeat(64), true);
		first.close();
		db.close();

		const again = new StoredVerdicts(new Database(file));
		expect(again.get('a'.repeat(64))).toBe(true);
		expect(again.get('b'.repeat(64))).toBe('BAD_SIGNATURE');
		// Flushed on close.
		expect(again.get('c'.repeat(64))).toBe(true);
		expect(again.size).toBe(3);
	});

	it('a write after close is kept in memory only, never thrown', () => {
		const db = new Database(open());
		const v = new StoredVerdicts(db);
		v.close();
		db.close();
		expect(() => v.set('d'.repeat(64), true)).not.toThrow();
		expect(v.get('d'.repeat(64))).toBe(true);
	});
});
