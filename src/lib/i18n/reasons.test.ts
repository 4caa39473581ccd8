import { describe, expect, it } from 'vitest';
import { decideEntry, REASON_CODES, type EntryInput } from '../domain';
import { describeReason } from './reasons';

// One realistic decision with many reasons at once: a barred HV electrician sent to scaffolding.
const input: EntryInput = {
	at: '2026-11-28T08:00:00+08:00',
	direction: 'in',
	site: { id: 'S1', kind: 'industrial' },
	worker: { id: 'w1', name: '王强' },
	certificates: [
		{
			id: 'c1',
			workerId: 'w1',
			regime: 'special_operation',
			catalogueVersion: '2026.1',
			code: 'SO-ELEC-HV',
			number: 'T330102199001011234',
			issuedOn: '2022-01-10',
			expiresOn: '2028-01-09',
			verification: {
				outcome: 'genuine',
				checkedAt: '2026-11-01T00:00:00Z',
				source: 'sim'
			}
		}
	],
	training: [],
	medical: [],
	blacklist: [{ id: 'b1', reason: '两次违章', since: '2026-10-01', until: null }],
	approval: { status: 'pending', siteId: 'S1' },
	workType: 'scaffolding',
	identity: { method: 'face', confirmed: true, liveness: 'passed' },
	ppe: { worn: false, confidence: 0.9 }
};

describe('describeReason', () => {
	it('renders every reason of a decision in Chinese, naming certificates and work', () => {
		const decision = decideEntry(input);
		const zh = decision.reasons.map((r) => describeReason(r, 'zh-CN'));
		expect(zh).toContain('已列入黑名单（两次违章，自 2026-10-01 起）');
		expect(zh.find((s) => s.includes('高压电工作业') && s.includes('登高架设'))).toBeTruthy();
		expect(zh).toContain('请戴好安全帽后重新核验');
		for (const text of zh) expect(text).not.toMatch(/undefined|\[object/);
	});

	it('has a sentence for every reason code in both languages', async () => {
		const { default: source } = await import('./reasons?raw');
		for (const code of REASON_CODES) {
			expect(source.match(new RegExp(`\\b${code}:`, 'g'))?.length, code).toBe(2);
		}
	});
});
