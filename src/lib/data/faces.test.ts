import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Claims, OrgView } from './access';
import { AccessError } from './commands';
import { withdrawConsent } from './consent-commands';
import { consentRefusal } from './consent-commands';
import {
	enrolFace,
	FACE_CONSENT_TEXT,
	FACE_CONSENT_VERSION,
	FACE_MODEL,
	faceTemplates
} from './faces';

const org: OrgView = { contractorSites: () => ['S1'] };
const actor = {
	claims: {
		iss: 'o',
		sub: 'admin-c1',
		role: 'contractor',
		contractor: 'C1',
		jti: 'j',
		iat: 0,
		exp: 0
	} satisfies Claims,
	org
};
const template = 'A'.repeat(40);

describe('enrolFace', () => {
	it('refuses without face consent, and records consent and template together when given', () => {
		const doc = new Y.Doc();
		expect(() =>
			enrolFace(doc, 'C1', 'w1', actor, { templates: [template], consistency: 0.9 })
		).toThrow(AccessError);
		expect(doc.getMap('faces').size).toBe(0);

		const updates: Uint8Array[] = [];
		doc.on('update', (u: Uint8Array) => updates.push(u));
		const face = enrolFace(doc, 'C1', 'w1', actor, {
			templates: [template, template, template],
			consistency: 0.82,
			consent: { textShown: FACE_CONSENT_TEXT, textVersion: FACE_CONSENT_VERSION }
		});
		// One transaction: the relay sees the consent in the same update as the template.
		expect(updates).toHaveLength(1);
		expect(face).toMatchObject({ model: FACE_MODEL, quality: { frames: 3, consistency: 0.82 } });
		expect(face.photo).toBeUndefined();
		expect(
			consentRefusal('contractor', doc, { map: 'faces', key: 'w1', action: 'update' })
		).toBeNull();
		expect(faceTemplates(doc)).toHaveLength(1);
	});

	it('keeps a photo only with the separate photo consent', () => {
		const doc = new Y.Doc();
		const photo = 'a'.repeat(64);
		expect(() =>
			enrolFace(doc, 'C1', 'w1', actor, {
				templates: [template],
				consistency: 1,
				photo,
				consent: { textShown: FACE_CONSENT_TEXT, textVersion: FACE_CONSENT_VERSION }
			})
		).toThrow(/own consent/);
		const face = enrolFace(doc, 'C1', 'w1', actor, {
			templates: [template],
			consistency: 1,
			photo,
			consent: { textShown: FACE_CONSENT_TEXT, textVersion: FACE_CONSENT_VERSION },
			photoConsent: { textShown: '保存照片', textVersion: 'p1' }
		});
		expect(face.photo).toBe(photo);
	});

	it('withdrawing face consent deletes the template', () => {
		const doc = new Y.Doc();
		enrolFace(doc, 'C1', 'w1', actor, {
			templates: [template],
			consistency: 1,
			consent: { textShown: FACE_CONSENT_TEXT, textVersion: FACE_CONSENT_VERSION }
		});
		withdrawConsent(doc, 'C1', actor, 'w1', 'face');
		expect(doc.getMap('faces').has('w1')).toBe(false);
		expect(faceTemplates(doc)).toHaveLength(0);
	});
});
