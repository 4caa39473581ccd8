// The `relay` role (a federation peer) and Relay.applyAs: an update applied with a token's claims
// but no socket goes through the same checks, storage and forwarding as a socket's.
import * as Y from 'yjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeChange, docAccess, type Claims } from '../../src/lib/data/access';
import { claimProblems } from '../../src/lib/data/claims';
import { parseDocName } from '../../src/lib/data/documents';
import {
	connect,
	records,
	seedOrg,
	startRelay,
	stored,
	token,
	waitFor,
	type TestRelay
} from '../testing';

let relay: TestRelay;
beforeAll(async () => {
	relay = await startRelay();
	seedOrg(relay.server);
});
afterAll(async () => {
	await relay.server.close();
});

const now = Math.floor(Date.now() / 1000);
const claims = (c: Partial<Claims>): Claims => ({
	iss: relay.server.orgId,
	sub: 'relay-S1',
	role: 'relay',
	sites: ['S1'],
	jti: 'jti-test-0001',
	iat: now,
	exp: now + 3600,
	...c
});

/** An update that sets `map[key] = value` in a fresh document based on `base`. */
function setting(base: Uint8Array | null, map: string, key: string, value: unknown): Uint8Array {
	const doc = new Y.Doc();
	if (base) Y.applyUpdate(doc, base);
	const sv = Y.encodeStateVector(doc);
	doc.getMap(map).set(key, value);
	const update = Y.encodeStateAsUpdate(doc, sv);
	doc.destroy();
	return update;
}

describe('relay role', () => {
	it('needs sites, and reaches only its sites’ documents and its contractors', () => {
		expect(claimProblems({ role: 'relay' }).map((p) => p.field)).toEqual(['sites']);
		expect(claimProblems({ role: 'relay', sites: ['S1'] })).toEqual([]);
		const org = relay.server.relay.orgView();
		const c = claims({});
		expect(docAccess(c, 'org', org)).toEqual({ read: true, write: true });
		expect(docAccess(c, 'blacklist', org)).toEqual({ read: true, write: true });
		expect(docAccess(c, 'site:S1:control', org)).toEqual({ read: true, write: true });
		expect(docAccess(c, 'site:S1:events:2026-03', org)).toEqual({ read: true, write: true });
		expect(docAccess(c, 'site:S2:control', org)).toEqual({ read: false, write: false });
		expect(docAccess(c, 'contractor:C1', org).write).toBe(true);
		expect(docAccess(c, 'contractor:C3', org).write).toBe(true);
		expect(docAccess(c, 'contractor:C2', org).read).toBe(false);
	});

	it('forwards others’ changes and relay findings, never org.meta, others’ keys or nested types', () => {
		const org = relay.server.relay.orgView();
		const c = claims({});
		const events = parseDocName('site:S1:events:2026-03')!;
		// A retention delete of a ping and a stamp in `received`: refused for staff, fine for a relay.
		const del = { map: 'pings', key: 'p1', action: 'delete' as const };
		const stamp = { map: 'received', key: 'a1', action: 'add' as const, value: 'x' };
		const staff = claims({ role: 'staff', staffRole: 'safety', sub: 'safe1' });
		expect(authorizeChange(staff, events, del, org)?.code).toBe('APPEND_ONLY');
		expect(authorizeChange(staff, events, stamp, org)?.code).toBe('READ_ONLY');
		expect(authorizeChange(c, events, del, org)).toBeNull();
		expect(authorizeChange(c, events, stamp, org)).toBeNull();
		const orgRef = parseDocName('org')!;
		// In the org: revocations are added; a key binding only for a principal of its own sites
		// (access.test.ts has the cases), so a binding HQ cannot judge is refused.
		const revoked = { map: 'revoked', key: 'jti-1', action: 'add' as const, value: {} };
		expect(authorizeChange(c, orgRef, revoked, org)).toBeNull();
		const keys = { map: 'keys', key: 'k1', action: 'add' as const, value: {} };
		expect(authorizeChange(c, orgRef, keys, org)?.code).toBe('INVALID_RECORD');
		const meta = { map: 'meta', key: 'org', action: 'update' as const, value: {} };
		expect(authorizeChange(c, orgRef, meta, org)?.code).toBe('READ_ONLY');
		expect(authorizeChange(c, events, { ...stamp, nested: true }, org)?.code).toBe('NESTED_TYPE');
		expect(authorizeChange(c, events, { ...stamp, map: 'nope' }, org)?.code).toBe('UNKNOWN_PATH');
	});
});

describe('Relay.applyAs', () => {
	it('stores, forwards and refuses exactly as a socket would', async () => {
		const server = relay.server;
		const reader = connect(
			server,
			'contractor:C1',
			token(server, { role: 'staff', staffRole: 'safety', sub: 'safe1', sites: ['S1'] })
		);
		await reader.synced();
		const base = server.relay.encodeState('contractor:C1');
		const ok = server.relay.applyAs(
			claims({}),
			'contractor:C1',
			setting(base, 'workers', 'W1', records.worker('W1', '张三'))
		);
		expect(ok).toBeNull();
		expect(Object.keys(stored(server, 'contractor:C1', 'workers'))).toEqual(['W1']);
		await waitFor(() => reader.map('workers').has('W1'), 'forwarded to the connected reader');

		// Another site's document, an invalid record, org.meta: refused, nothing kept.
		const other = server.relay.applyAs(
			claims({}),
			'contractor:C2',
			setting(null, 'workers', 'W2', records.worker('W2', '李四', 'C2'))
		);
		expect(other?.reason).toBe('FORBIDDEN_DOC');
		const invalid = server.relay.applyAs(
			claims({}),
			'contractor:C1',
			setting(server.relay.encodeState('contractor:C1'), 'workers', 'W3', { name: 'x' })
		);
		expect(invalid?.reason).toBe('INVALID_RECORD');
		expect(Object.keys(stored(server, 'contractor:C1', 'workers'))).toEqual(['W1']);
		const meta = server.relay.applyAs(
			claims({}),
			'org',
			setting(server.relay.encodeState('org'), 'meta', 'org', { schema: 1 })
		);
		expect(meta?.reason).toBe('READ_ONLY');
		// A read-only role: refused; an update with missing dependencies: refused, not held.
		const hq = server.relay.applyAs(
			claims({ role: 'hq', sites: undefined }),
			'contractor:C1',
			setting(server.relay.encodeState('contractor:C1'), 'workers', 'W4', records.worker('W4', 'x'))
		);
		expect(hq?.reason).toBe('READ_ONLY');
		const orphan = new Y.Doc();
		orphan.getMap('workers').set('a', 1);
		const sv = Y.encodeStateVector(orphan);
		orphan.getMap('workers').set('W5', records.worker('W5', 'x'));
		const missing = server.relay.applyAs(
			claims({}),
			'contractor:C1',
			Y.encodeStateAsUpdate(orphan, sv)
		);
		expect(missing?.reason).toBe('MISSING_DEPS');
		expect(Object.keys(stored(server, 'contractor:C1', 'workers'))).toEqual(['W1']);
		reader.destroy();
	});
});
