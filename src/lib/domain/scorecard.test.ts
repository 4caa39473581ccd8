import { describe, expect, it } from 'vitest';
import {
	addScorecardInputs,
	computeScorecard,
	DEFAULT_SCORECARD_WEIGHTS,
	emptyScorecardInput,
	hasActivity,
	last12Months,
	scorecardFormulaParams,
	scorecardTrend,
	ScorecardWeightsError,
	weightsProblem,
	type ScorecardInput
} from './scorecard';

// Contractor A, one month: 8,000 h worked; 1 near miss + 1 minor incident; 12 alerts;
// 40 certificates held, 2 lapsed; 10 approval decisions, 1 returned; 4 ratings.
const A: ScorecardInput = {
	hours: 8000,
	incidents: { near_miss: 1, minor: 1, serious: 0 },
	alerts: 12,
	certificatesHeld: 40,
	certificateLapses: 2,
	approvalDecisions: 10,
	approvalReturns: 1,
	// quality 4+5+4+3 = 16, safety 5+5+4+4 = 18, tidiness 3+4+4+3 = 14
	ratings: { count: 4, quality: 16, safety: 18, tidiness: 14 }
};

describe('computeScorecard (hand-computed)', () => {
	it('scores contractor A with the default weights', () => {
		// incidents: weighted = 1×1 + 1×3 = 4; rate = 4 × 1000 / 8000 = 0.5; sub = 100 − 20×0.5 = 90
		// alerts: rate = 12 × 1000 / 8000 = 1.5; sub = 100 − 5×1.5 = 92.5
		// certificates: sub = 100 × (1 − 2/40) = 95
		// approvals: sub = 100 × (1 − 1/10) = 90
		// ratings: avg = (16+18+14) / (4×3) = 48/12 = 4; sub = (4−1)/4 × 100 = 75
		// score = 0.30×90 + 0.15×92.5 + 0.20×95 + 0.10×90 + 0.25×75
		//       = 27 + 13.875 + 19 + 9 + 18.75 = 87.625
		const card = computeScorecard(A);
		const by = Object.fromEntries(card.components.map((c) => [c.key, c]));
		expect(by.incidents!.rate).toBeCloseTo(0.5, 10);
		expect(by.incidents!.subScore).toBeCloseTo(90, 10);
		expect(by.incidents!.raw.weighted).toBe(4);
		expect(by.alerts!.rate).toBeCloseTo(1.5, 10);
		expect(by.alerts!.subScore).toBeCloseTo(92.5, 10);
		expect(by.certificates!.subScore).toBeCloseTo(95, 10);
		expect(by.approvals!.subScore).toBeCloseTo(90, 10);
		expect(by.ratings!.rate).toBeCloseTo(4, 10);
		expect(by.ratings!.subScore).toBeCloseTo(75, 10);
		expect(by.incidents!.contribution).toBeCloseTo(27, 10);
		expect(by.alerts!.contribution).toBeCloseTo(13.875, 10);
		expect(card.score).toBeCloseTo(87.625, 10);
		expect(card.components.every((c) => c.missing === null)).toBe(true);
	});

	it('changes as computed when the weights change', () => {
		// Only incidents (1) and ratings (1): 0.5×90 + 0.5×75 = 82.5
		const w = { incidents: 1, alerts: 0, certificates: 0, approvals: 0, ratings: 1 };
		const card = computeScorecard(A, w);
		expect(card.score).toBeCloseTo(82.5, 10);
		expect(card.components.find((c) => c.key === 'alerts')!.contribution).toBe(0);
	});

	it('leaves out components without data and renormalises the others', () => {
		// No hours: incidents and alerts left out. Remaining weights 20 + 10 + 25 = 55.
		// score = (20×95 + 10×90 + 25×75) / 55 = (1900 + 900 + 1875) / 55 = 4675 / 55 = 85
		const card = computeScorecard({ ...A, hours: 0 });
		expect(card.score).toBeCloseTo(85, 10);
		const inc = card.components.find((c) => c.key === 'incidents')!;
		expect(inc.missing).toBe('no_hours');
		expect(inc.subScore).toBeNull();
		expect(inc.share).toBe(0);
		expect(card.components.find((c) => c.key === 'certificates')!.share).toBeCloseTo(20 / 55, 10);
	});

	it('has no score without any data, and floors sub-scores at 0', () => {
		expect(computeScorecard(emptyScorecardInput()).score).toBeNull();
		// 3 serious in 1,000 h: rate 30, 100 − 600 → 0
		const bad = computeScorecard({
			...emptyScorecardInput(),
			hours: 1000,
			incidents: { near_miss: 0, minor: 0, serious: 3 }
		});
		expect(bad.components[0]!.subScore).toBe(0);
		// alerts: 0 per 1,000 h → 100; score = (30×0 + 15×100) / 45 = 33.33…
		expect(bad.score).toBeCloseTo(1500 / 45, 10);
	});

	it('validates weights', () => {
		expect(weightsProblem(DEFAULT_SCORECARD_WEIGHTS)).toBeNull();
		expect(weightsProblem({ ...DEFAULT_SCORECARD_WEIGHTS, alerts: -1 })).toBe('negative');
		expect(
			weightsProblem({ incidents: 0, alerts: 0, certificates: 0, approvals: 0, ratings: 0 })
		).toBe('all_zero');
		expect(weightsProblem({ ...DEFAULT_SCORECARD_WEIGHTS, ratings: Number.NaN })).toBe(
			'not_a_number'
		);
		expect(weightsProblem({ ...DEFAULT_SCORECARD_WEIGHTS, speed: 3 })).toBe('unknown_key');
		expect(() => computeScorecard(A, { ...DEFAULT_SCORECARD_WEIGHTS, alerts: -2 })).toThrow(
			ScorecardWeightsError
		);
	});
});

describe('trend and periods', () => {
	it('lists 12 months across a year boundary', () => {
		expect(last12Months('2026-03')).toEqual([
			'2025-04',
			'2025-05',
			'2025-06',
			'2025-07',
			'2025-08',
			'2025-09',
			'2025-10',
			'2025-11',
			'2025-12',
			'2026-01',
			'2026-02',
			'2026-03'
		]);
	});

	it('scores each month, null for months without records', () => {
		const trend = scorecardTrend({ '2026-03': A, '2026-01': { ...A, hours: 0 } }, '2026-03');
		expect(trend).toHaveLength(12);
		expect(trend[11]).toEqual({ month: '2026-03', score: expect.closeTo(87.625, 10) });
		expect(trend[9]!.score).toBeCloseTo(85, 10);
		expect(trend[10]!.score).toBeNull();
	});

	it('gives no score to a month without work: certificates merely held are not a perfect month', () => {
		const idle = { ...emptyScorecardInput(), certificatesHeld: 4 };
		expect(hasActivity(idle)).toBe(false);
		const lapsed = { ...idle, certificateLapses: 1 };
		expect(hasActivity(lapsed)).toBe(true);
		const trend = scorecardTrend({ '2026-02': idle, '2026-03': lapsed }, '2026-03');
		expect(trend[10]!.score).toBeNull();
		// Only the certificates component has data in March: 100 × (1 − 1/4).
		expect(trend[11]!.score).toBeCloseTo(75, 10);
	});

	it('adds months into a period', () => {
		const sum = addScorecardInputs(A, A);
		expect(sum.hours).toBe(16000);
		expect(sum.incidents).toEqual({ near_miss: 2, minor: 2, serious: 0 });
		expect(sum.ratings).toEqual({ count: 8, quality: 32, safety: 36, tidiness: 28 });
		// Rates are unchanged by doubling everything, so is the score.
		expect(computeScorecard(sum).score).toBeCloseTo(87.625, 10);
	});

	it('writes the formula from the constants', () => {
		const p = scorecardFormulaParams();
		expect(p).toMatchObject({ nearMiss: 1, minor: 3, serious: 10, incidentK: 20, alertK: 5 });
		expect(p.wIncidents + p.wAlerts + p.wCertificates + p.wApprovals + p.wRatings).toBe(100);
	});
});
