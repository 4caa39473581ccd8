// HQ's memory of which sites a downstream relay serves: kept across restarts, forgotten when the
// site's relay stops calling (retired), so HQ's own certificate watch takes the site back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRoot, startRelay, type TestRelay } from '../testing';
import { DOWNSTREAM_EXPIRY_MS, DownstreamSites } from './hub';

let hq: TestRelay;
const root = makeRoot();

beforeAll(async () => {
	hq = await startRelay({ root });
});

afterAll(async () => {
	await hq?.server.close();
});

describe('DownstreamSites', () => {
	it('forgets a site whose relay has not been seen for three days', async () => {
		const t0 = Date.parse('2026-11-01T08:00:00.000Z');
		const sites = new DownstreamSites(hq.server.relay);
		sites.note(['S1'], 'relay-S1', new Date(t0));
		sites.note(['S2'], 'relay-S2', new Date(t0 + DOWNSTREAM_EXPIRY_MS - 3_600_000));
		expect(sites.has('S1', t0 + 86_400_000)).toBe(true);
		// Kept across a restart (the relay's settings).
		const again = new DownstreamSites(hq.server.relay);
		expect(again.has('S1', t0 + 86_400_000)).toBe(true);
		const later = t0 + DOWNSTREAM_EXPIRY_MS + 1;
		expect(again.has('S1', later)).toBe(false);
		expect(again.has('S2', later)).toBe(true);
		expect(Object.keys(again.list(later))).toEqual(['S2']);
		// Forgotten in the stored copy too: gone after a restart whatever the clock says.
		expect(Object.keys(new DownstreamSites(hq.server.relay).list(t0))).toEqual(['S2']);
	});
});
