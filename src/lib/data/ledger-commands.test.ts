import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import type { Claims } from './access';
import { AccessError } from './commands';
import { CertificateRecord, Worker } from './contractor';
import { appendAttendance, eventsDocFor } from './event-commands';
import { AttendanceEvent, ULID_PATTERN } from './events';
import {
	addCertificate,
	addMedical,
	addTraining,
	createWorker,
	FieldError,
	registerWorker,
	updateWorker
} from './ledger-commands';
import { DuplicateError } from './org-commands';
import { readRecord } from './records';

const org = { contractorSites: (c: string) => ({ C1: ['S1'] })[c] };
const as = (c: Partial<Claims> & Pick<Claims, 'role'>) => ({
	claims: { iss: 'o', sub: 'u', jti: 'j', iat: 0, ...c } as Claims,
	org
});
const contractor = as({ role: 'contractor', contractor: 'C1' });
const otherContractor = as({ role: 'contractor', contractor: 'C2' });
const gate = as({ role: 'gate', sites: ['S1'] });

const VALID_ID = '11010519491231002X';

describe('workers', () => {
	it('registers a worker with sex and birth date taken from the ID number', () => {
		const doc = new Y.Doc();
		const w = createWorker(doc, 'C1', contractor, {
			name: ' 李明 ',
			docType: 'resident_id',
			docNumber: ' 11010519491231002x '
		});
		expect(w).toMatchObject({
			name: '李明',
			docNumber: VALID_ID,
			sex: 'F',
			birthDate: '1949-12-31'
		});
		expect(readRecord(Worker, doc.getMap('workers').get(w.id)).ok).toBe(true);
	});

	it('refuses a bad checksum, naming the field, and writes nothing', () => {
		const doc = new Y.Doc();
		const attempt = () =>
			createWorker(doc, 'C1', contractor, {
				name: '李明',
				docType: 'resident_id',
				docNumber: '110105194912310021'
			});
		expect(attempt).toThrow(FieldError);
		try {
			attempt();
		} catch (e) {
			expect((e as FieldError).field).toBe('docNumber');
			expect((e as FieldError).reason).toBe('CHECKSUM');
		}
		expect(doc.getMap('workers').size).toBe(0);
	});

	it('refuses the same ID number twice in one contractor', () => {
		const doc = new Y.Doc();
		createWorker(doc, 'C1', contractor, { name: 'A', docType: 'resident_id', docNumber: VALID_ID });
		expect(() =>
			createWorker(doc, 'C1', contractor, {
				name: 'B',
				docType: 'resident_id',
				docNumber: VALID_ID
			})
		).toThrow(DuplicateError);
	});

	it("another contractor and a gate may not write C1's workers", () => {
		for (const who of [otherContractor, gate]) {
			const doc = new Y.Doc();
			expect(() =>
				createWorker(doc, 'C1', who, { name: 'A', docType: 'passport', docNumber: 'E12345678' })
			).toThrow(AccessError);
		}
	});

	it('updates keep the record valid and bump updatedAt', () => {
		const doc = new Y.Doc();
		const w = createWorker(
			doc,
			'C1',
			contractor,
			{ name: 'A', docType: 'passport', docNumber: 'e1234567' },
			new Date('2026-01-01')
		);
		const u = updateWorker(
			doc,
			'C1',
			contractor,
			w.id,
			{ phone: '13800000000' },
			new Date('2026-02-01')
		);
		expect(u.docNumber).toBe('E1234567');
		expect(u.phone).toBe('13800000000');
		expect(u.updatedAt).toBe('2026-02-01T00:00:00.000Z');
	});

	it('migrates a v1 worker (resident ID in idNumber) to v2', () => {
		const r = readRecord(Worker, {
			schema: 1,
			id: 'W1',
			contractorId: 'C1',
			name: '老数据',
			idNumber: '11010519491231002x',
			createdAt: '2025-01-01T00:00:00.000Z'
		});
		expect(r).toMatchObject({
			ok: true,
			migratedFrom: 1,
			record: {
				schema: 2,
				docType: 'resident_id',
				docNumber: VALID_ID,
				sex: 'F',
				birthDate: '1949-12-31',
				updatedAt: '2025-01-01T00:00:00.000Z'
			}
		});
		expect(r.ok && 'idNumber' in r.record).toBe(false);
	});
});

describe('certificates', () => {
	it('adds a certificate to a known worker; refuses an unknown worker or expiry before issue', () => {
		const doc = new Y.Doc();
		const w = createWorker(doc, 'C1', contractor, {
			name: 'A',
			docType: 'resident_id',
			docNumber: VALID_ID
		});
		const base = {
			workerId: w.id,
			regime: 'special_operation' as const,
			catalogueVersion: 'order30',
			code: 'SO-ELEC-HV',
			number: 't11010519491231002x',
			issuedOn: '2024-03-01',
			expiresOn: '2030-03-01'
		};
		const cert = addCertificate(doc, 'C1', contractor, base);
		expect(cert.number).toBe('T11010519491231002X');
		expect(readRecord(CertificateRecord, doc.getMap('certificates').get(cert.id)).ok).toBe(true);
		expect(() => addCertificate(doc, 'C1', contractor, { ...base, workerId: 'nobody' })).toThrow(
			/unknown worker/
		);
		expect(() =>
			addCertificate(doc, 'C1', contractor, { ...base, expiresOn: '2020-01-01' })
		).toThrow(FieldError);
	});
});

describe('attendance', () => {
	it('appends events under time-ordered ULIDs into the month document of the site', () => {
		const doc = new Y.Doc();
		const name = eventsDocFor('S1', new Date('2026-11-30T17:00:00Z'));
		expect(name).toBe('site:S1:events:2026-12'); // already December in Shanghai
		const ids = [0, 1, 2].map(
			(i) =>
				appendAttendance(doc, name, gate, {
					siteId: 'S1',
					workerId: 'W1',
					direction: i % 2 ? 'out' : 'in',
					at: new Date(Date.UTC(2026, 11, 1, 1, 0, i)).toISOString(),
					deviceId: 'gate-1',
					method: 'face',
					allow: true,
					reasons: []
				}).id
		);
		for (const id of ids) expect(id).toMatch(ULID_PATTERN);
		expect([...ids].sort()).toEqual(ids);
		expect(readRecord(AttendanceEvent, doc.getMap('attendance').get(ids[0]!)).ok).toBe(true);
	});
});

describe('registerWorker', () => {
	const input = {
		name: '赵六',
		docType: 'resident_id' as const,
		docNumber: VALID_ID,
		phone: '13912345678'
	};
	const cert = {
		regime: 'special_operation' as const,
		catalogueVersion: 'order30',
		code: 'SO-WELD-FUSION',
		number: 'T123',
		issuedOn: '2024-03-01',
		expiresOn: '2030-03-01'
	};

	it('writes worker, certificate, contact, consent with its text, health and application at once', () => {
		const doc = new Y.Doc();
		let updates = 0;
		doc.on('update', () => updates++);
		const w = registerWorker(doc, 'C1', contractor, input, cert, {
			emergency: { name: '赵妻', phone: '13700000000', relation: '配偶' },
			health: {
				consentText: '同意文本',
				consentVersion: 'h1',
				bloodType: 'O',
				allergies: '青霉素'
			},
			application: {
				siteId: 'S1',
				workType: 'hot_work',
				validFrom: '2026-12-01',
				validUntil: '2027-02-28'
			}
		});
		expect(updates).toBe(1);
		expect(doc.getMap('certificates').size).toBe(1);
		expect(doc.getMap('emergency').get(w.id)).toMatchObject({ name: '赵妻' });
		expect([...doc.getMap('consents').values()][0]).toMatchObject({
			purpose: 'health',
			granted: true,
			textShown: '同意文本'
		});
		expect(doc.getMap('health').get(w.id)).toMatchObject({ bloodType: 'O', allergies: '青霉素' });
		expect([...doc.getMap('applications').values()][0]).toMatchObject({
			siteId: 'S1',
			status: 'submitted'
		});
	});

	it('writes nothing when any part is invalid', () => {
		const doc = new Y.Doc();
		expect(() =>
			registerWorker(doc, 'C1', contractor, input, cert, {
				emergency: { name: '赵妻', phone: '1' }
			})
		).toThrow();
		for (const map of ['workers', 'certificates', 'emergency'])
			expect(doc.getMap(map).size).toBe(0);
	});
});

describe('training and medical records', () => {
	it('records a site induction and an exam; refuses dates out of order and unknown workers', () => {
		const doc = new Y.Doc();
		const w = createWorker(doc, 'C1', contractor, {
			name: 'A',
			docType: 'passport',
			docNumber: 'E7654321'
		});
		const t = addTraining(doc, 'C1', contractor, {
			workerId: w.id,
			kind: 'site_induction',
			siteId: 'S1',
			date: '2026-11-01',
			hours: 8,
			validUntil: '2027-11-01',
			trainer: '安全部'
		});
		expect(doc.getMap('training').get(t.id)).toMatchObject({ kind: 'site_induction', hours: 8 });
		const m = addMedical(doc, 'C1', contractor, {
			workerId: w.id,
			examDate: '2026-10-01',
			result: 'fit',
			validUntil: '2027-10-01'
		});
		expect(doc.getMap('medical').get(m.id)).toMatchObject({ result: 'fit' });
		expect(() =>
			addTraining(doc, 'C1', contractor, {
				workerId: w.id,
				kind: 'safety',
				date: '2026-11-01',
				hours: 2,
				validUntil: '2026-01-01'
			})
		).toThrow(FieldError);
		expect(() =>
			addMedical(doc, 'C1', contractor, {
				workerId: 'nobody',
				examDate: '2026-10-01',
				result: 'fit',
				validUntil: '2027-10-01'
			})
		).toThrow(/unknown worker/);
	});
});
