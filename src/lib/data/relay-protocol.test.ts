// Close reasons fit the WebSocket limit without breaking a character, and read back into code and
// detail; endpoints and room names are what the stock y-websocket client needs.
import { describe, expect, it } from 'vitest';
import {
	formatCloseReason,
	isFinalClose,
	parseCloseReason,
	roomName,
	syncEndpoint
} from './relay-protocol';

describe('close reasons', () => {
	it('are CODE then detail, at most 123 bytes, cut on a character boundary', () => {
		expect(formatCloseReason('READ_ONLY', 'decisions/abc')).toBe('READ_ONLY decisions/abc');
		const long = formatCloseReason('NOT_OWN_RECORD', 'pings/' + '工'.repeat(100));
		expect(Buffer.byteLength(long)).toBeLessThanOrEqual(123);
		expect(long).not.toContain('\uFFFD');
		expect(long.endsWith('工')).toBe(true);
		expect(parseCloseReason('APPEND_ONLY attendance/A 1')).toEqual({
			code: 'APPEND_ONLY',
			detail: 'attendance/A 1'
		});
		expect(formatCloseReason('UNKNOWN_PATH', 'a\nb\u0000')).toBe('UNKNOWN_PATH a?b?');
		expect(parseCloseReason('TOKEN_EXPIRED')).toEqual({ code: 'TOKEN_EXPIRED', detail: '' });
	});

	it('4400–4499 are final, others are not', () => {
		expect([4400, 4401, 4403, 4404, 4413].every(isFinalClose)).toBe(true);
		expect([1000, 1001, 1006, 4500, 4503].some(isFinalClose)).toBe(false);
	});
});

describe('addressing', () => {
	it('maps the app origin to the sync endpoint and encodes names as one path segment', () => {
		expect(syncEndpoint('https://relay.local:8787/')).toBe('wss://relay.local:8787/sync');
		expect(syncEndpoint('http://127.0.0.1:8787')).toBe('ws://127.0.0.1:8787/sync');
		expect(roomName('site:S1:events:2026-11')).toBe('site%3AS1%3Aevents%3A2026-11');
	});
});
