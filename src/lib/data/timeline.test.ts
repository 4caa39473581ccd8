import { describe, expect, it } from 'vitest';
import { workerTimeline } from './timeline';

const at = '2026-01-01T00:00:00.000Z';
const worker = {
	schema: 2 as const,
	id: 'W1',
	contractorId: 'C1',
	name: '王强',
	docType: 'passport' as const,
	docNumber: 'E1234567',
	createdAt: '2025-03-01T02:00:00.000Z',
	updatedAt: at
};
const cert = {
	schema: 1 as const,
	id: 'K1',
	workerId: 'W1',
	regime: 'special_operation' as const,
	catalogueVersion: 'order30',
	code: 'SO-ELEC-HV',
	number: 'T1',
	issuedOn: '2024-06-01',
	expiresOn: '2030-06-01',
	verification: {
		outcome: 'genuine' as const,
		checkedAt: '2025-03-02T01:00:00.000Z',
		source: '模拟查询'
	},
	createdAt: at,
	updatedAt: at
};

describe('workerTimeline', () => {
	it('lists past events and coming deadlines, newest first, marking what is ahead', () => {
		const entries = workerTimeline(
			worker,
			[cert, { ...cert, id: 'K9', workerId: 'W2' }],
			[
				{
					schema: 1,
					id: 'N1',
					workerId: 'W1',
					purpose: 'health',
					granted: true,
					textShown: '同意',
					textVersion: 'h1',
					at: '2025-03-01T03:00:00.000Z',
					recordedBy: 'c1'
				}
			],
			[],
			new Date('2026-11-28T00:00:00Z')
		);
		expect(entries.map((e) => [e.event.kind, e.event.date, e.upcoming])).toEqual([
			['cert_expiry', '2030-06-01', true],
			['cert_review', '2027-06-01', true],
			['cert_verified', '2025-03-02', false],
			['registered', '2025-03-01', false],
			['consent', '2025-03-01', false],
			['cert_issued', '2024-06-01', false]
		]);
	});
});
