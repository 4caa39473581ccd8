// Who sees which warnings and digests, and that reading is per person.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Claims, OrgView } from './access';
import { acknowledge, notificationsFor, unreadCount } from './notifications';
import type { CertificateWarning, WarningDigest } from './warnings';

const claims = (c: Partial<Claims> & Pick<Claims, 'role' | 'sub'>): Claims => ({
	iss: 'org1',
	jti: `j-${c.sub}`,
	iat: 0,
	exp: 4102444800,
	...c
});
const c1 = claims({ role: 'contractor', sub: 'c1admin', contractor: 'C1' });
const c2 = claims({ role: 'contractor', sub: 'c2admin', contractor: 'C2' });
const safety = claims({ role: 'staff', sub: 'safe1', staffRole: 'safety', sites: ['S1'] });
const lead = claims({ role: 'staff', sub: 'lead1', staffRole: 'project_lead', sites: ['S1'] });
const gate = claims({ role: 'gate', sub: 'gate1', sites: ['S1'] });
const org: OrgView = { contractorSites: (c) => ({ C1: ['S1'], C2: ['S1'] })[c] };

function warning(id: string, contractorId: string, kind: CertificateWarning['kind']) {
	return {
		schema: 1,
		id,
		siteId: 'S1',
		contractorId,
		workerId: 'w1',
		certificateId: 'c1',
		code: 'SO-ELEC-HV',
		kind,
		createdAt: '2026-11-28T01:00:00.000Z',
		day: '2026-11-28'
	} satisfies CertificateWarning;
}

function control() {
	const doc = new Y.Doc();
	const w = doc.getMap('warnings');
	w.set('a', warning('a', 'C1', 'expiring'));
	w.set('b', warning('b', 'C1', 'revoked'));
	w.set('c', warning('c', 'C2', 'review_due'));
	doc.getMap('digests').set('2026-11-28', {
		schema: 1,
		id: '2026-11-28',
		siteId: 'S1',
		createdAt: '2026-11-27T23:00:00.000Z',
		newWarnings: ['a', 'b', 'c'],
		counts: { expiring: 1, revoked: 1, review_due: 1 },
		byContractor: { C1: 2, C2: 1 },
		open: 3
	} satisfies WarningDigest);
	return doc;
}

describe('notificationsFor', () => {
	it('a contractor admin sees every warning about its own workers, nothing of others', () => {
		const doc = control();
		const items = notificationsFor(c1, [{ siteId: 'S1', doc }]);
		expect(items.map((i) => i.item)).toEqual(['b', 'a']); // urgent first
		expect(notificationsFor(c2, [{ siteId: 'S1', doc }]).map((i) => i.item)).toEqual(['c']);
	});

	it('staff see the daily digest and the urgent findings, not each warning', () => {
		const items = notificationsFor(safety, [{ siteId: 'S1', doc: control() }]);
		expect(items.map((i) => `${i.kind}:${i.item}`)).toEqual(['warning:b', 'digest:2026-11-28']);
		expect(items[1]!.warnings?.map((w) => w.id)).toEqual(['a', 'b', 'c']);
	});

	it('gates see none', () => {
		expect(notificationsFor(gate, [{ siteId: 'S1', doc: control() }])).toEqual([]);
	});

	it('reading is per person and kept in the document', () => {
		const doc = control();
		const target = () => ({ doc, name: 'site:S1:control' });
		const mine = notificationsFor(safety, [{ siteId: 'S1', doc }]);
		expect(acknowledge(target, { claims: safety, org }, mine)).toBe(2);
		expect(unreadCount(notificationsFor(safety, [{ siteId: 'S1', doc }]))).toBe(0);
		// Someone else on the same site still has them unread.
		expect(unreadCount(notificationsFor(lead, [{ siteId: 'S1', doc }]))).toBe(2);
		// Twice is once.
		expect(
			acknowledge(
				target,
				{ claims: safety, org },
				mine.map((i) => ({ ...i, read: false }))
			)
		).toBe(0);
	});
});
