// Which registry answer a certificate counts with: latest conclusive answer for its current
// fingerprint; 'unavailable' never replaces a conclusive answer; the contractor's own claim never
// counts.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { certificateStatus } from '../domain';
import type { CertificateRecord, Worker } from './contractor';
import {
	certificateFingerprint,
	effectiveVerification,
	verificationIndexOf,
	verifiedCertificate,
	workerCertificates,
	VerificationIndex,
	type VerificationRecord
} from './verification';

const worker: Worker = {
	schema: 2,
	id: 'w1',
	contractorId: 'C1',
	name: '张伟',
	docType: 'resident_id',
	docNumber: '11010519491231002X',
	createdAt: '2026-01-01T00:00:00.000Z',
	updatedAt: '2026-01-01T00:00:00.000Z'
};
const cert: CertificateRecord = {
	schema: 1,
	id: 'c1',
	workerId: 'w1',
	regime: 'special_operation',
	catalogueVersion: 'order30',
	code: 'SO-ELEC-HV',
	number: 'T11010519491231002X',
	issuedOn: '2024-03-01',
	expiresOn: '2030-03-01',
	createdAt: '2026-01-01T00:00:00.000Z',
	updatedAt: '2026-01-01T00:00:00.000Z'
};
const fp = certificateFingerprint(cert, worker);
let n = 0;
const rec = (
	outcome: VerificationRecord['outcome'],
	checkedAt: string,
	extra: Partial<VerificationRecord> = {}
): VerificationRecord => ({
	schema: 1,
	id: `01JZZZZZZZZZZZZZZZZZZZZZ${String(n++).padStart(2, '0')}`,
	certificateId: 'c1',
	contractorId: 'C1',
	workerId: 'w1',
	fingerprint: fp,
	outcome,
	checkedAt,
	source: 'http:sim',
	trigger: 'schedule',
	evidence: { attempts: 1 },
	by: 'relay',
	recordedAt: checkedAt,
	...extra
});

describe('certificateFingerprint', () => {
	it('changes with the number, the item and the holder, and hides the ID number', () => {
		expect(fp).toMatch(/^[0-9a-f]{32}$/);
		expect(fp).not.toContain(worker.docNumber);
		expect(certificateFingerprint({ ...cert, number: 'X' }, worker)).not.toBe(fp);
		expect(certificateFingerprint({ ...cert, code: 'SO-ELEC-LV' }, worker)).not.toBe(fp);
		expect(certificateFingerprint(cert, { ...worker, name: '张玮' })).not.toBe(fp);
		expect(certificateFingerprint({ ...cert, number: ` ${cert.number} ` }, worker)).toBe(fp);
	});
});

describe('effectiveVerification', () => {
	it('takes the latest conclusive answer', () => {
		const e = effectiveVerification(
			[rec('genuine', '2026-11-01T00:00:00Z'), rec('revoked', '2026-11-20T00:00:00Z')],
			fp
		);
		expect(e?.outcome).toBe('revoked');
	});

	it('an unavailable registry does not undo a genuine answer, and says since when', () => {
		const e = effectiveVerification(
			[rec('genuine', '2026-11-01T00:00:00Z'), rec('unavailable', '2026-11-20T00:00:00Z')],
			fp
		);
		expect(e?.outcome).toBe('genuine');
		expect(e?.unreachableSince).toBe('2026-11-20T00:00:00Z');
	});

	it('with only unavailable answers the certificate is unverified, never expired', () => {
		const e = effectiveVerification([rec('unavailable', '2026-11-20T00:00:00Z')], fp);
		expect(e?.outcome).toBe('unavailable');
		const judged = certificateStatus(
			verifiedCertificate(cert, worker, new VerificationIndex().addRecords([e!.record])),
			'2026-11-28'
		);
		expect(judged.status).toBe('unverified');
	});

	it('ignores answers about an earlier version of the certificate', () => {
		const old = rec('genuine', '2026-11-01T00:00:00Z', { fingerprint: 'f'.repeat(32) });
		expect(effectiveVerification([old], fp)).toBeNull();
	});

	it('a newer check confirming the same answer moves "last checked" forward', () => {
		const e = effectiveVerification([rec('genuine', '2026-11-01T00:00:00Z')], fp, {
			schema: 1,
			certificateId: 'c1',
			contractorId: 'C1',
			fingerprint: fp,
			checkedAt: '2026-11-27T00:00:00.000Z',
			outcome: 'genuine',
			source: 'http:sim'
		});
		expect(e?.lastCheckedAt).toBe('2026-11-27T00:00:00.000Z');
	});
});

describe('verifiedCertificate', () => {
	it("never trusts the contractor's own verification claim", () => {
		const claimed = {
			...cert,
			verification: { outcome: 'genuine' as const, checkedAt: '2026-11-01T00:00:00Z', source: 'me' }
		};
		expect(verifiedCertificate(claimed, worker, null).verification).toBeNull();
		expect(certificateStatus(verifiedCertificate(claimed, worker, null), '2026-11-28').status).toBe(
			'unverified'
		);
	});

	it('uses the registry dates of a genuine answer', () => {
		const index = new VerificationIndex().addRecords([
			rec('genuine', '2026-11-01T00:00:00Z', { registryExpiry: '2026-12-10' })
		]);
		const s = certificateStatus(verifiedCertificate(cert, worker, index), '2026-11-28');
		expect(s.expiresOn).toBe('2026-12-10');
		expect(s.expirySource).toBe('registry');
		// The derived 复审 date cannot lie past the expiry; its 60-day window has begun.
		expect(s.status).toBe('review_due');
	});
});

describe('workerCertificates', () => {
	it('reads a worker’s certificates with the answers held in any control document', () => {
		const contractor = new Y.Doc();
		contractor.getMap('workers').set('w1', worker);
		contractor.getMap('certificates').set('c1', cert);
		contractor.getMap('certificates').set('c2', { ...cert, id: 'c2', workerId: 'w2' });
		const s1 = new Y.Doc();
		const s2 = new Y.Doc();
		const revoked = rec('revoked', '2026-11-20T00:00:00Z');
		s2.getMap('verifications').set(revoked.id, revoked);
		const certs = workerCertificates(contractor, [s1, s2], 'w1');
		expect(certs.map((c) => c.id)).toEqual(['c1']);
		expect(certs[0]!.verification?.outcome).toBe('revoked');
		expect(verificationIndexOf([s1]).size).toBe(0);
	});
});
