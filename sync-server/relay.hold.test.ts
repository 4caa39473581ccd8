// relay.hold: the relay's own run of writes keeps a document loaded (one load, one snapshot at the
// end) instead of loading and folding it on every write.
import { afterAll, describe, expect, it } from 'vitest';
import { seedOrg, startRelay, stored } from './testing';

const relay = await startRelay();
seedOrg(relay.server);
afterAll(() => relay.server.close());

describe('hold', () => {
	it('keeps a document in memory across writes until released, then folds it once', () => {
		const r = relay.server.relay;
		const before = r.stats().docs;
		const release = r.hold('site:S1:control');
		expect(r.stats().docs).toBe(before + 1);
		for (let i = 0; i < 5; i++)
			r.write('site:S1:control', (doc) => doc.getMap('zones').set(`z${i}`, { schema: 1 }));
		expect(r.stats().docs).toBe(before + 1);
		// Stored as it goes (each write is committed), still one log entry per write until released.
		expect(r.storage.logLength('site:S1:control')).toBe(5);
		release();
		release(); // twice is once
		expect(r.stats().docs).toBe(before);
		expect(r.storage.logLength('site:S1:control')).toBe(0);
		expect(Object.keys(stored(relay.server, 'site:S1:control', 'zones'))).toHaveLength(5);
	});
});
