import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { residentIdCheckChar } from '../domain';
import { filterLedger, ledgerFromDocs, sortLedger } from './ledger';
import { certificateFingerprint } from './verification';

const idFor = (seq: number) => {
	const first17 = `11010519900101${String(seq).padStart(3, '0')}`;
	return first17 + residentIdCheckChar(first17);
};
const now = '2026-11-28T08:00:00+08:00';

function contractorDoc(workers: { id: string; name: string; seq: number; trade?: string }[]) {
	const doc = new Y.Doc();
	for (const w of workers) {
		doc.getMap('workers').set(w.id, {
			schema: 2,
			id: w.id,
			contractorId: 'C',
			name: w.name,
			docType: 'resident_id',
			docNumber: idFor(w.seq),
			phone: '1380000' + String(w.seq).padStart(4, '0'),
			trade: w.trade ?? '电工',
			createdAt: '2026-01-01T00:00:00.000Z',
			updatedAt: '2026-01-01T00:00:00.000Z'
		});
	}
	return doc;
}

/** The registry's answers, as the relay records them in a site's control document. */
const control = new Y.Doc();

function addCert(doc: Y.Doc, id: string, workerId: string, number: string, expiresOn: string) {
	const holder = doc.getMap('workers').get(workerId) as { name: string; docNumber: string };
	const ulid = `01JZZZZZZZZZZZZZZZZZZZZZ${id.padStart(2, '0').slice(-2)}`;
	control.getMap('verifications').set(ulid, {
		schema: 1,
		id: ulid,
		certificateId: id,
		contractorId: 'C1',
		workerId,
		fingerprint: certificateFingerprint({ code: 'SO-ELEC-HV', number }, holder),
		outcome: 'genuine',
		checkedAt: '2026-11-01T00:00:00.000Z',
		source: 'http:test',
		trigger: 'registration',
		evidence: { attempts: 1 },
		by: 'relay',
		recordedAt: '2026-11-01T00:00:00.000Z'
	});
	doc.getMap('certificates').set(id, {
		schema: 1,
		id,
		workerId,
		regime: 'special_operation',
		catalogueVersion: 'order30',
		code: 'SO-ELEC-HV',
		number,
		issuedOn: '2024-01-01',
		expiresOn,
		nextReviewOn: '2027-06-01',
		createdAt: '2026-01-01T00:00:00.000Z',
		updatedAt: '2026-01-01T00:00:00.000Z'
	});
}

describe('ledger', () => {
	const c1 = contractorDoc([
		{ id: 'W1', name: '王强', seq: 11 },
		{ id: 'W2', name: '李娜', seq: 12, trade: '焊工' }
	]);
	const c2 = contractorDoc([{ id: 'W9', name: '王强', seq: 11 }]); // same person, other contractor
	addCert(c1, 'K1', 'W1', 'T110105199001010111', '2030-01-01');
	addCert(c1, 'K2', 'W2', 'T220', '2026-12-10');
	const blacklist = new Y.Doc();
	blacklist.getMap('entries').set('B1', {
		schema: 1,
		id: 'B1',
		docNumber: idFor(12),
		reason: '两次违章',
		since: '2026-10-01',
		by: 's',
		at: '2026-10-01T00:00:00.000Z'
	});
	const rows = ledgerFromDocs(
		[
			{ contractorId: 'C1', contractorName: '华东焊接', doc: c1 },
			{ contractorId: 'C2', contractorName: '蓝天电力', doc: c2 }
		],
		blacklist,
		now,
		[control]
	);

	it('has one row per worker with certificate statuses from the domain', () => {
		expect(rows.map((r) => r.key)).toEqual(['C1/W1', 'C1/W2', 'C2/W9']);
		expect(rows[0]!.worst).toBe('valid');
		expect(rows[1]!.worst).toBe('expiring');
		expect(rows[2]!.worst).toBe('none');
	});

	it('flags the same identity number registered by two contractors, and the blacklist', () => {
		expect(rows.filter((r) => r.duplicate).map((r) => r.key)).toEqual(['C1/W1', 'C2/W9']);
		expect(rows.filter((r) => r.blacklisted).map((r) => r.key)).toEqual(['C1/W2']);
	});

	it('finds by name, ID suffix, certificate number, phone; every word must match', () => {
		const q = (query: string) => filterLedger(rows, { query }).map((r) => r.key);
		expect(q('王强')).toEqual(['C1/W1', 'C2/W9']);
		expect(q(idFor(12).slice(-4))).toEqual(['C1/W2']);
		expect(q('t220')).toEqual(['C1/W2']);
		expect(q('王强 蓝天')).toEqual(['C2/W9']);
		expect(q('nobody')).toEqual([]);
	});

	it('filters by contractor, trade, status, blacklist', () => {
		const keys = (f: Parameters<typeof filterLedger>[1]) => filterLedger(rows, f).map((r) => r.key);
		expect(keys({ contractorId: 'C2' })).toEqual(['C2/W9']);
		expect(keys({ trade: '焊工' })).toEqual(['C1/W2']);
		expect(keys({ status: 'attention' })).toEqual(['C1/W2']);
		expect(keys({ status: 'none' })).toEqual(['C2/W9']);
		expect(keys({ blacklisted: true })).toEqual(['C1/W2']);
	});

	it('sorts by nearest deadline and by worst status', () => {
		expect(sortLedger(rows, 'deadline')[0]!.key).toBe('C1/W2');
		expect(sortLedger(rows, 'status')[0]!.key).toBe('C1/W2');
	});
});

describe('duplicates registered offline on two devices', () => {
	it('both records survive the merge and both are flagged, never merged into one', async () => {
		const { createWorker } = await import('./ledger-commands');
		const org = { contractorSites: (c: string) => ({ C1: ['S1'] })[c] };
		const actor = {
			claims: {
				iss: 'o',
				sub: 'c1',
				role: 'contractor' as const,
				contractor: 'C1',
				jti: 'j',
				iat: 0,
				exp: 4102444800
			},
			org
		};
		const phoneA = new Y.Doc();
		const phoneB = new Y.Doc();
		// Each device checks duplicates locally and finds none: they cannot see each other offline.
		createWorker(phoneA, 'C1', actor, {
			name: '张伟',
			docType: 'resident_id',
			docNumber: idFor(77)
		});
		createWorker(phoneB, 'C1', actor, {
			name: '张伟',
			docType: 'resident_id',
			docNumber: idFor(77),
			phone: '13800001111'
		});
		Y.applyUpdate(phoneA, Y.encodeStateAsUpdate(phoneB));
		Y.applyUpdate(phoneB, Y.encodeStateAsUpdate(phoneA));
		for (const doc of [phoneA, phoneB]) {
			const rows = ledgerFromDocs([{ contractorId: 'C1', contractorName: '甲', doc }], null, now);
			expect(rows).toHaveLength(2);
			expect(rows.every((r) => r.duplicate)).toBe(true);
			expect(rows.some((r) => r.worker.phone === '13800001111')).toBe(true);
		}
	});
});
