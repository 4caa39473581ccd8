// The relay's store: appends are durable and ordered, compaction folds the log into a snapshot in
// one step, enrolment codes are used once, and a data folder is held by one relay at a time.
import { join } from 'node:path';
import * as Y from 'yjs';
import { tempDir } from './testing';
import { describe, expect, it } from 'vitest';
import { openDataDir } from './datadir';
import { Storage } from './storage';

const file = () => join(tempDir('sitepass-db-'), 'sitepass.db');

function updates(n: number): Uint8Array[] {
	const doc = new Y.Doc();
	const out: Uint8Array[] = [];
	doc.on('update', (u: Uint8Array) => out.push(u));
	for (let i = 0; i < n; i++) doc.getMap('zones').set(`Z${i}`, { i });
	doc.getMap('zones').delete('Z0');
	return out;
}

describe('Storage', () => {
	it('keeps appended updates across reopening and loads them in order', () => {
		const path = file();
		const a = new Storage(path);
		for (const u of updates(10)) a.append('site:S1:control', u);
		expect(a.logLength('site:S1:control')).toBe(11);
		a.close();
		const b = new Storage(path);
		expect(b.logLength('site:S1:control')).toBe(11);
		const doc = b.loadDoc('site:S1:control');
		expect(doc.getMap('zones').size).toBe(9);
		expect(b.docNames()).toEqual(['site:S1:control']);
		b.close();
	});

	it('compacts (from storage or a live copy) into one snapshot with the same content', () => {
		const s = new Storage(file());
		for (const u of updates(30)) s.append('d', u);
		const before = s.loadDoc('d').getMap('zones').toJSON();
		expect(s.compact('d')).toEqual({ before: 31, after: 0 });
		expect(s.readDoc('d').updates).toHaveLength(1);
		expect(s.loadDoc('d').getMap('zones').toJSON()).toEqual(before);
		// Nothing to fold: nothing changes.
		expect(s.compact('d')).toEqual({ before: 0, after: 0 });
		const live = s.loadDoc('d');
		live.on('update', (u: Uint8Array) => s.append('d', u));
		live.getMap('zones').set('NEW', 1);
		expect(s.compact('d', live)).toEqual({ before: 1, after: 0 });
		expect(s.loadDoc('d').getMap('zones').get('NEW')).toBe(1);
		s.close();
	});

	it('refuses a database written by a newer schema', () => {
		const path = file();
		const s = new Storage(path);
		s.db.pragma('user_version = 99');
		s.close();
		expect(() => new Storage(path)).toThrow(/newer SitePass/);
	});

	it('uses an enrolment code once, and not after it expires', () => {
		const s = new Storage(file());
		const row = {
			codeHash: 'h1',
			principal: '{}',
			tokenTtl: 60,
			createdAt: 0,
			expiresAt: 1000,
			createdBy: 't'
		};
		s.addEnrolment(row);
		s.addEnrolment({ ...row, codeHash: 'h2' });
		expect(s.consumeEnrolment('h1', 500, 'j1')).toMatchObject({ ok: true, row: { usedJti: 'j1' } });
		expect(s.consumeEnrolment('h1', 501, 'j2')).toEqual({ ok: false, code: 'ENROLMENT_CODE_USED' });
		expect(s.consumeEnrolment('h2', 1000, 'j3')).toEqual({
			ok: false,
			code: 'ENROLMENT_CODE_EXPIRED'
		});
		expect(s.consumeEnrolment('nope', 1, 'j4')).toEqual({
			ok: false,
			code: 'ENROLMENT_CODE_INVALID'
		});
		s.releaseEnrolment('h1');
		expect(s.consumeEnrolment('h1', 502, 'j5').ok).toBe(true);
		s.close();
	});
});

describe('data folder', () => {
	it('creates the org once and is held by one relay at a time', () => {
		const dir = tempDir('sitepass-dir-');
		const first = openDataDir(dir, { lock: true, orgName: 'X' });
		expect(first.created?.adminCode).toMatch(/^[A-Za-z0-9_-]{32}$/);
		expect(() => openDataDir(dir, { lock: true })).toThrow(/another relay/);
		// Reading keys without the lock is fine while the relay runs.
		const reader = openDataDir(dir);
		expect(reader.created).toBeNull();
		expect(reader.orgId).toBe(first.orgId);
		reader.close();
		first.close();
		const again = openDataDir(dir, { lock: true });
		expect(again.created).toBeNull();
		expect(again.orgId).toBe(first.orgId);
		again.close();
	});
});
