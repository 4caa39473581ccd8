// Consent withdrawal on one document: the withdrawal is recorded, the covered data is deleted (and
// gone from the encoded state), access rules apply, and erasesContent tells erasing transactions.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import type { Claims } from './access';
import { AccessError } from './commands';
import {
	currentConsent,
	DEFAULT_WITHDRAWAL_TEXT,
	DEFAULT_WITHDRAWAL_VERSION,
	withdrawConsent
} from './consent-commands';
import { erasesContent, erasureMaps, ERASURE_MAPS } from './erasure';
import { registerWorker } from './ledger-commands';

const MARKER = 'ERASE-ME-7f3a花生过敏';
const contains = (update: Uint8Array, s: string) =>
	Buffer.from(update).includes(Buffer.from(s, 'utf8'));

const org = { contractorSites: (c: string) => ({ C1: ['S1'] })[c] };
const as = (c: Partial<Claims> & Pick<Claims, 'role'>) => ({
	claims: { iss: 'o', sub: 'u1', jti: 'j', iat: 0, exp: 0, ...c } as Claims,
	org
});
const contractor = as({ role: 'contractor', contractor: 'C1', sub: 'c1-admin' });
const staff = as({ role: 'staff', staffRole: 'safety', sites: ['S1'], sub: 'safety-1' });
const gate = as({ role: 'gate', sites: ['S1'] });
const otherContractor = as({ role: 'contractor', contractor: 'C2' });

function registered() {
	const doc = new Y.Doc();
	const worker = registerWorker(
		doc,
		'C1',
		contractor,
		{ name: '王建国', docType: 'passport', docNumber: 'E1234567' },
		null,
		{
			emergency: { name: '李秀英', phone: '13900001111' },
			health: {
				consentText: '同意收集血型与过敏史',
				consentVersion: 'health-1',
				bloodType: 'O',
				allergies: MARKER
			}
		},
		new Date('2026-05-01T08:00:00Z')
	);
	doc.getMap('medical').set('M1', {
		schema: 1,
		id: 'M1',
		workerId: worker.id,
		examDate: '2026-04-01',
		result: 'fit',
		validUntil: '2027-04-01',
		createdAt: '2026-04-01T08:00:00Z'
	});
	return { doc, worker };
}

describe('withdrawConsent', () => {
	it('records the withdrawal and deletes the health record; the encoded state loses it', () => {
		const { doc, worker } = registered();
		expect(contains(Y.encodeStateAsUpdate(doc), MARKER)).toBe(true);
		let updates = 0;
		doc.on('update', () => updates++);

		const at = new Date('2026-06-01T09:00:00Z');
		const result = withdrawConsent(doc, 'C1', contractor, worker.id, 'health', at);

		expect(updates).toBe(1); // one transaction
		expect(result.erased).toBe(true);
		expect(result.blobs).toEqual([]);
		expect(result.consent).toMatchObject({
			workerId: worker.id,
			purpose: 'health',
			granted: false,
			textShown: DEFAULT_WITHDRAWAL_TEXT.health,
			textVersion: DEFAULT_WITHDRAWAL_VERSION,
			at: at.toISOString(),
			recordedBy: 'c1-admin'
		});
		expect(doc.getMap('health').has(worker.id)).toBe(false);
		// The history is kept (both records), as are the worker, the contact and medical exams.
		const consents = [...doc.getMap('consents').values()] as { granted: boolean }[];
		expect(consents.map((c) => c.granted).sort()).toEqual([false, true]);
		expect(currentConsent(doc, worker.id, 'health')?.granted).toBe(false);
		expect(doc.getMap('workers').has(worker.id)).toBe(true);
		expect(doc.getMap('emergency').has(worker.id)).toBe(true);
		expect(doc.getMap('medical').has('M1')).toBe(true);
		// gc: the content is gone from the state any replica sends or stores.
		const state = Y.encodeStateAsUpdate(doc);
		expect(contains(state, MARKER)).toBe(false);
		expect(contains(state, 'ERASE-ME')).toBe(false);
		const copy = new Y.Doc();
		Y.applyUpdate(copy, state);
		expect(copy.getMap('workers').has(worker.id)).toBe(true);
		expect(copy.getMap('health').has(worker.id)).toBe(false);
	});

	it('keeps the text shown when one is given, and may be recorded by staff', () => {
		const { doc, worker } = registered();
		const result = withdrawConsent(doc, 'C1', staff, worker.id, 'health', new Date(), {
			textShown: '  本人撤回同意（现场版）  ',
			textVersion: 'site-7'
		});
		expect(result.consent).toMatchObject({
			textShown: '本人撤回同意（现场版）',
			textVersion: 'site-7',
			recordedBy: 'safety-1'
		});
		expect(doc.getMap('health').has(worker.id)).toBe(false);
	});

	it('deletes the face record and names blobs nothing else refers to', () => {
		const { doc, worker } = registered();
		const shared = 'a'.repeat(64);
		const own = 'b'.repeat(64);
		doc.getMap('workers').set(worker.id, {
			...(doc.getMap('workers').get(worker.id) as object),
			photo: shared
		});
		doc.getMap('faces').set(worker.id, {
			schema: 1,
			workerId: worker.id,
			template: 'FACE-TEMPLATE-BYTES',
			sources: [shared, own]
		});
		const result = withdrawConsent(doc, 'C1', contractor, worker.id, 'face');
		expect(result.erased).toBe(true);
		expect(result.blobs).toEqual([own]);
		expect(doc.getMap('faces').has(worker.id)).toBe(false);
		// The health record is another consent: untouched.
		expect(doc.getMap('health').has(worker.id)).toBe(true);
		expect(contains(Y.encodeStateAsUpdate(doc), 'FACE-TEMPLATE-BYTES')).toBe(false);
		expect(currentConsent(doc, worker.id, 'face')?.granted).toBe(false);
	});

	it('records a withdrawal even when there is nothing to delete', () => {
		const { doc, worker } = registered();
		const result = withdrawConsent(doc, 'C1', contractor, worker.id, 'face');
		expect(result.erased).toBe(false);
		expect(currentConsent(doc, worker.id, 'face')?.granted).toBe(false);
		expect(() => withdrawConsent(doc, 'C1', contractor, 'W-nobody', 'health')).toThrow(
			/unknown worker/
		);
	});

	it('refuses roles that may not write the document, writing nothing', () => {
		const { doc, worker } = registered();
		const before = Y.encodeStateVector(doc);
		for (const actor of [gate, otherContractor]) {
			expect(() => withdrawConsent(doc, 'C1', actor, worker.id, 'health')).toThrow(AccessError);
		}
		expect(Y.encodeStateVector(doc)).toEqual(before);
		expect(doc.getMap('health').has(worker.id)).toBe(true);
	});
});

describe('erasesContent', () => {
	const maps = erasureMaps('contractor');

	it('lists health and faces for contractor documents only', () => {
		expect(ERASURE_MAPS).toEqual({ contractor: ['health', 'faces'] });
		expect(erasureMaps('org')).toEqual([]);
		expect(erasureMaps(undefined)).toEqual([]);
	});

	it('is true for a deletion or an overwrite in an erasure map, false elsewhere', () => {
		const doc = new Y.Doc();
		const seen: boolean[] = [];
		doc.on('afterTransaction', (tr: Y.Transaction) => seen.push(erasesContent(tr, maps)));
		doc.getMap('health').set('W1', { allergies: 'x' });
		doc.getMap('workers').set('W1', { name: 'a' });
		doc.getMap('workers').set('W1', { name: 'b' });
		doc.getMap('workers').delete('W1');
		doc.getMap('health').set('W1', { allergies: 'y' });
		doc.getMap('health').delete('W1');
		expect(seen).toEqual([false, false, false, false, true, true]);
	});

	it('is false when garbage-collected content arrives (a compacted snapshot)', () => {
		const doc = new Y.Doc();
		doc.getMap('health').set('W1', { allergies: MARKER });
		doc.getMap('health').delete('W1');
		const other = new Y.Doc();
		const seen: boolean[] = [];
		other.on('afterTransaction', (tr: Y.Transaction) => seen.push(erasesContent(tr, maps)));
		Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
		expect(seen).toEqual([false]);
		// …but true when the content and its deletion arrive together (an uncompacted log).
		const log = new Y.Doc({ gc: false });
		const updates: Uint8Array[] = [];
		log.on('update', (u: Uint8Array) => updates.push(u));
		log.getMap('health').set('W1', { allergies: MARKER });
		log.getMap('health').delete('W1');
		const third = new Y.Doc();
		const seen3: boolean[] = [];
		third.on('afterTransaction', (tr: Y.Transaction) => seen3.push(erasesContent(tr, maps)));
		third.transact(() => updates.forEach((u) => Y.applyUpdate(third, u)));
		expect(seen3).toEqual([true]);
		expect(contains(Y.encodeStateAsUpdate(third), MARKER)).toBe(false);
	});
});
