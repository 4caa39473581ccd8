// The README writes the scorecard's formula out for people who never open the app (a tender
// committee); this keeps that text and the code's constants from drifting apart.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
	ALERT_POINTS_PER_RATE,
	DEFAULT_SCORECARD_WEIGHTS,
	INCIDENT_POINTS_PER_RATE,
	INCIDENT_SEVERITY_WEIGHTS,
	RATE_HOURS,
	RATING_MAX,
	RATING_MIN
} from './scorecard';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const row = (label: string) => readme.split('\n').find((l) => l.startsWith(`| ${label}`)) ?? '';
const weightOf = (label: string) => Number(row(label).split('|').at(-2)!.trim());
const rate = RATE_HOURS.toLocaleString('en-US');

describe('the README’s scorecard formula', () => {
	it('names the code’s rates, severities and rating scale', () => {
		expect(row('安全事件')).toContain(
			`max(0, 100 − ${INCIDENT_POINTS_PER_RATE} × incidents per ${rate} h), near miss ×${INCIDENT_SEVERITY_WEIGHTS.near_miss}, minor ×${INCIDENT_SEVERITY_WEIGHTS.minor}, serious ×${INCIDENT_SEVERITY_WEIGHTS.serious}`
		);
		expect(row('报警')).toContain(`max(0, 100 − ${ALERT_POINTS_PER_RATE} × alerts per ${rate} h`);
		expect(row('作业评价')).toContain(
			`(average of the three marks − ${RATING_MIN}) ÷ ${RATING_MAX - RATING_MIN} × 100`
		);
	});

	it('gives the code’s default weights', () => {
		expect(weightOf('安全事件')).toBe(DEFAULT_SCORECARD_WEIGHTS.incidents);
		expect(weightOf('报警')).toBe(DEFAULT_SCORECARD_WEIGHTS.alerts);
		expect(weightOf('证书失效')).toBe(DEFAULT_SCORECARD_WEIGHTS.certificates);
		expect(weightOf('审批退回')).toBe(DEFAULT_SCORECARD_WEIGHTS.approvals);
		expect(weightOf('作业评价')).toBe(DEFAULT_SCORECARD_WEIGHTS.ratings);
	});
});
