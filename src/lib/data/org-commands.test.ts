import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import type { Claims } from './access';
import { AccessError } from './commands';
import { orgViewOf, Site } from './org';
import { createContractor, createSite, DuplicateError, setContractorSites } from './org-commands';
import { readRecord } from './records';

const claims = (role: Claims['role'], extra: Partial<Claims> = {}): Claims => ({
	iss: 'o',
	sub: 'u',
	jti: 'j',
	iat: 0,
	exp: 4102444800,
	role,
	...extra
});

describe('org commands', () => {
	it('the admin creates sites and contractors, and where a contractor works decides access', () => {
		const doc = new Y.Doc();
		const admin = { claims: claims('admin'), org: orgViewOf(doc) };
		createSite(doc, admin, { id: 'S1', name: ' 一号工地 ', kind: 'construction' });
		const site = readRecord(Site, doc.getMap('sites').get('S1'));
		expect(site.ok && site.record.name).toBe('一号工地');
		createContractor(doc, admin, { id: 'C1', name: '华东焊接', sites: ['S1', 'S1'] });
		expect(orgViewOf(doc).contractorSites('C1')).toEqual(['S1']);
		setContractorSites(doc, admin, 'C1', ['S1', 'S2']);
		expect(orgViewOf(doc).contractorSites('C1')).toEqual(['S1', 'S2']);
	});

	it('refuses duplicates and invalid input, writing nothing', () => {
		const doc = new Y.Doc();
		const admin = { claims: claims('admin'), org: orgViewOf(doc) };
		createSite(doc, admin, { id: 'S1', name: 'A', kind: 'industrial' });
		expect(() => createSite(doc, admin, { id: 'S1', name: 'B', kind: 'industrial' })).toThrow(
			DuplicateError
		);
		expect(() => createSite(doc, admin, { id: 'S2', name: '', kind: 'industrial' })).toThrow(
			/name/
		);
		expect(() => createSite(doc, admin, { id: '../x', name: 'X', kind: 'industrial' })).toThrow(
			/id/
		);
		expect([...doc.getMap('sites').keys()]).toEqual(['S1']);
	});

	it('staff and contractors may not edit the org directory', () => {
		for (const who of [
			claims('staff', { staffRole: 'director', sites: ['S1'] }),
			claims('contractor', { contractor: 'C1' })
		]) {
			const doc = new Y.Doc();
			expect(() =>
				createSite(
					doc,
					{ claims: who, org: orgViewOf(doc) },
					{ id: 'S1', name: 'A', kind: 'other' }
				)
			).toThrow(AccessError);
			expect(doc.getMap('sites').size).toBe(0);
		}
	});
});
