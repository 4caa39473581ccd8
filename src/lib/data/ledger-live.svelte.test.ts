// The live ledger updates only what changed; after any sequence of edits it must equal a full
// rebuild from the same documents.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { residentIdCheckChar } from '../domain';
import { ledgerFromDocs, type LedgerRow } from './ledger';
import { LiveLedger } from './ledger-live.svelte';

const idFor = (seq: number) => {
	const f17 = `11010519900101${String(seq).padStart(3, '0')}`;
	return f17 + residentIdCheckChar(f17);
};
const at = '2026-01-01T00:00:00.000Z';
const worker = (id: string, seq: number, name = `工人${id}`) => ({
	schema: 2,
	id,
	contractorId: 'C',
	name,
	docType: 'resident_id',
	docNumber: idFor(seq),
	createdAt: at,
	updatedAt: at
});
const cert = (id: string, workerId: string, expiresOn: string) => ({
	schema: 1,
	id,
	workerId,
	regime: 'special_operation',
	catalogueVersion: 'order30',
	code: 'SO-ELEC-LV',
	number: `N${id}`,
	issuedOn: '2023-01-01',
	expiresOn,
	nextReviewOn: '2026-12-31',
	verification: { outcome: 'genuine', checkedAt: at, source: 't' },
	createdAt: at,
	updatedAt: at
});
const view = (rows: readonly LedgerRow[]) =>
	[...rows]
		.map((r) => ({
			key: r.key,
			name: r.worker.name,
			certs: r.certificates.map((c) => c.record.id).sort(),
			worst: r.worst,
			duplicate: r.duplicate,
			blacklisted: r.blacklisted,
			search: r.search
		}))
		.sort((a, b) => a.key.localeCompare(b.key));
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('LiveLedger', () => {
	it('stays equal to a full rebuild through adds, edits, moves and deletes', async () => {
		const c1 = new Y.Doc();
		const c2 = new Y.Doc();
		const blacklist = new Y.Doc();
		for (let i = 0; i < 30; i++) c1.getMap('workers').set(`W${i}`, worker(`W${i}`, i));
		for (let i = 0; i < 30; i += 2)
			c1.getMap('certificates').set(`K${i}`, cert(`K${i}`, `W${i}`, '2030-01-01'));
		const docs = [
			{ contractorId: 'C1', contractorName: '甲', doc: c1 },
			{ contractorId: 'C2', contractorName: '乙', doc: c2 }
		];
		const live = new LiveLedger(docs, blacklist);
		const full = () => view(ledgerFromDocs(docs, blacklist, new Date()));
		expect(view(live.rows)).toEqual(full());

		const rand = (() => {
			let s = 7;
			return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
		})();
		for (let step = 0; step < 200; step++) {
			const r = rand();
			const w = `W${Math.floor(rand() * 40)}`;
			const k = `K${Math.floor(rand() * 40)}`;
			if (r < 0.2) c1.getMap('workers').set(w, worker(w, Math.floor(rand() * 50)));
			else if (r < 0.3) c1.getMap('workers').delete(w);
			else if (r < 0.5)
				c1.getMap('certificates').set(k, cert(k, w, rand() < 0.5 ? '2030-01-01' : '2020-01-01'));
			else if (r < 0.6) c1.getMap('certificates').delete(k);
			else if (r < 0.75) c2.getMap('workers').set(w, worker(w, Math.floor(rand() * 50), '他单位'));
			else if (r < 0.8)
				blacklist.getMap('entries').set(`B${step}`, {
					schema: 1,
					id: `B${step}`,
					docNumber: idFor(Math.floor(rand() * 50)),
					reason: '违章',
					since: '2025-01-01',
					by: 's',
					at
				});
			else c1.getMap('workers').set(w, worker(w, Math.floor(rand() * 50), `改名${step}`));
			if (step % 7 === 0) {
				await tick();
				expect(view(live.rows), `step ${step}`).toEqual(full());
			}
		}
		await tick();
		expect(view(live.rows)).toEqual(full());
		expect(live.rows.some((r) => r.duplicate)).toBe(true);
		expect(live.rows.some((r) => r.blacklisted)).toBe(true);
		live.destroy();
	});
});
