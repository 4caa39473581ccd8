// Device signing keys end to end in Chromium (issue 6): a staff phone enrolled through the enrol
// page with a code an admin made makes its Ed25519 key with WebCrypto, the private key never
// extractable; the relay binds the public key in org.keys to the principal, role and sites; what
// the page signs verifies in Node with @noble. Then the fallback: a browser without WebCrypto
// Ed25519 gets a software key whose secret (readable there, by design) matches the bound key.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import {
	fromB64url,
	keyIdOf,
	toB64url,
	verifySignature,
	type KeyBinding
} from '../src/lib/data/signing';
import type { RunningServer } from '../sync-server/server';
import { seedSiteAndContractor, startRelay } from './helpers';

async function enrolmentLink(
	relay: RunningServer,
	request: Record<string, unknown>
): Promise<{ link: string; sub: string }> {
	const admin = relay.issueToken({ sub: 'admin-e2e', role: 'admin' });
	const res = await fetch(`${relay.url}/api/enrolments`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
		body: JSON.stringify(request)
	});
	expect(res.status).toBe(201);
	const body = await res.json();
	return { link: body.link, sub: body.principal.id };
}

async function enrolThrough(
	browser: Browser,
	link: string,
	name: string,
	withoutEd25519 = false
): Promise<Page> {
	const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
	if (withoutEd25519) {
		// As in a browser from before WebCrypto Ed25519 (Chromium < 137 without the flag).
		await context.addInitScript(() => {
			const generateKey = crypto.subtle.generateKey.bind(crypto.subtle);
			crypto.subtle.generateKey = ((alg: AlgorithmIdentifier, ...rest: unknown[]) => {
				const algName = typeof alg === 'string' ? alg : alg.name;
				if (algName.toLowerCase() === 'ed25519') {
					return Promise.reject(new DOMException('Unrecognized name.', 'NotSupportedError'));
				}
				return (generateKey as (...a: unknown[]) => Promise<unknown>)(alg, ...rest);
			}) as typeof crypto.subtle.generateKey;
		});
	}
	const page = await context.newPage();
	await page.goto(link);
	await page.getByLabel('设备名称').fill(name);
	await page.getByRole('button', { name: '登记' }).click();
	await expect(page.getByTestId('enrol-done')).toBeVisible();
	return page;
}

/** What the page holds in IndexedDB for its org: read straight from the database. */
function readStoredKey(page: Page, orgId: string) {
	return page.evaluate(async (dbName) => {
		const db = await new Promise<IDBDatabase>((done, fail) => {
			const req = indexedDB.open(dbName);
			req.onsuccess = () => done(req.result);
			req.onerror = () => fail(req.error);
		});
		const value = await new Promise<Record<string, unknown>>((done, fail) => {
			const req = db.transaction('keys').objectStore('keys').get('device');
			req.onsuccess = () => done(req.result);
			req.onerror = () => fail(req.error);
		});
		db.close();
		const privateKey = value.privateKey as CryptoKey | undefined;
		const secret = value.secret as Uint8Array | undefined;
		const databases = (await indexedDB.databases()).map((d) => d.name);
		return {
			kind: value.kind as string,
			publicKey: value.publicKey as string,
			isCryptoKey: privateKey instanceof CryptoKey,
			extractable: privateKey?.extractable,
			algorithm: privateKey?.algorithm.name,
			type: privateKey?.type,
			usages: privateKey?.usages,
			secret: secret ? Array.from(secret) : null,
			databases
		};
	}, `sitepass:${orgId}:~keys`);
}

test('a staff phone enrols with a non-extractable WebCrypto key the org binds', async ({
	browser
}) => {
	const relay = await startRelay(mkdtempSync(join(tmpdir(), 'sitepass-keys-e2e-')));
	try {
		seedSiteAndContractor(relay);
		const { link, sub } = await enrolmentLink(relay, {
			role: 'staff',
			staffRole: 'project_lead',
			name: '项目负责人 张工',
			sites: ['S1']
		});
		const page = await enrolThrough(browser, link, '张工的手机');
		await expect(page.getByTestId('enrol-done')).toHaveAttribute('data-key-kind', 'webcrypto');
		await page.waitForURL('**/review');

		const stored = await readStoredKey(page, relay.orgId);
		expect(stored).toMatchObject({
			kind: 'webcrypto',
			isCryptoKey: true,
			extractable: false,
			algorithm: 'Ed25519',
			type: 'private',
			usages: ['sign'],
			secret: null
		});
		expect(stored.databases).toContain(`sitepass:${relay.orgId}:~keys`);
		expect(stored.databases).not.toContain('sitepass:~pending:~keys');

		// Not even the page itself can read the private key out.
		const exported = await page.evaluate(async (dbName) => {
			const db = await new Promise<IDBDatabase>((done) => {
				const req = indexedDB.open(dbName);
				req.onsuccess = () => done(req.result);
			});
			const value = await new Promise<{ privateKey: CryptoKey }>((done) => {
				const req = db.transaction('keys').objectStore('keys').get('device');
				req.onsuccess = () => done(req.result);
			});
			db.close();
			try {
				await crypto.subtle.exportKey('pkcs8', value.privateKey);
				return 'exported';
			} catch (err) {
				return (err as DOMException).name;
			}
		}, `sitepass:${relay.orgId}:~keys`);
		expect(exported).toBe('InvalidAccessError');

		// The relay bound exactly that key to the person, role and sites being enrolled.
		const keyId = keyIdOf(stored.publicKey);
		const binding = relay.relay.orgDoc().getMap('keys').get(keyId) as KeyBinding;
		expect(binding).toMatchObject({
			id: keyId,
			publicKey: stored.publicKey,
			principal: sub,
			role: 'staff',
			staffRole: 'project_lead',
			sites: ['S1'],
			registeredBy: 'admin-e2e'
		});
		expect(binding.revokedAt).toBeUndefined();
		const devices = relay.relay.orgDoc().getMap('devices');
		expect(devices.get(binding.jti!)).toMatchObject({ principal: sub, name: '张工的手机' });

		// A signature made in the page (with the stored CryptoKey) verifies in Node with @noble.
		const message = `approve ${sub} ${Date.now()}`;
		const sig = await page.evaluate(
			async ({ dbName, message }) => {
				const db = await new Promise<IDBDatabase>((done) => {
					const req = indexedDB.open(dbName);
					req.onsuccess = () => done(req.result);
				});
				const value = await new Promise<{ privateKey: CryptoKey }>((done) => {
					const req = db.transaction('keys').objectStore('keys').get('device');
					req.onsuccess = () => done(req.result);
				});
				db.close();
				const bytes = new Uint8Array(
					await crypto.subtle.sign('Ed25519', value.privateKey, new TextEncoder().encode(message))
				);
				let s = '';
				for (const b of bytes) s += String.fromCharCode(b);
				return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
			},
			{ dbName: `sitepass:${relay.orgId}:~keys`, message }
		);
		const bytes = new TextEncoder().encode(message);
		expect(verifySignature(binding.publicKey, bytes, sig)).toBe(true);
		expect(verifySignature(binding.publicKey, new TextEncoder().encode(message + '!'), sig)).toBe(
			false
		);

		// Revoking the device's token revokes the key; the binding stays for the audit trail.
		const admin = relay.issueToken({ sub: 'admin-e2e', role: 'admin' });
		const res = await fetch(`${relay.url}/api/revoke`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
			body: JSON.stringify({ jti: binding.jti })
		});
		expect(res.status).toBe(200);
		const after = relay.relay.orgDoc().getMap('keys').get(keyId) as KeyBinding;
		expect(after.revokedAt).toBeTruthy();
		expect(after.publicKey).toBe(stored.publicKey);
		await page.context().close();
	} finally {
		await relay.close();
	}
});

test('without WebCrypto Ed25519 the device falls back to a software key', async ({ browser }) => {
	const relay = await startRelay(mkdtempSync(join(tmpdir(), 'sitepass-keys-e2e-')));
	try {
		seedSiteAndContractor(relay);
		const { link, sub } = await enrolmentLink(relay, {
			role: 'staff',
			staffRole: 'safety',
			name: '安全员 李工',
			sites: ['S1']
		});
		const page = await enrolThrough(browser, link, '旧手机', true);
		await expect(page.getByTestId('enrol-done')).toHaveAttribute('data-key-kind', 'software');
		await page.waitForURL('**/review');
		const stored = await readStoredKey(page, relay.orgId);
		expect(stored).toMatchObject({ kind: 'software', isCryptoKey: false });
		expect(stored.secret).toHaveLength(32);

		const secret = Uint8Array.from(stored.secret!);
		expect(toB64url(ed25519.getPublicKey(secret))).toBe(stored.publicKey);
		const binding = relay.relay
			.orgDoc()
			.getMap('keys')
			.get(keyIdOf(stored.publicKey)) as KeyBinding;
		expect(binding).toMatchObject({
			publicKey: stored.publicKey,
			principal: sub,
			role: 'staff',
			staffRole: 'safety',
			sites: ['S1']
		});
		const message = new TextEncoder().encode('approve');
		const sig = toB64url(ed25519.sign(message, secret));
		expect(verifySignature(binding.publicKey, message, sig)).toBe(true);
		expect(fromB64url(binding.publicKey)).toHaveLength(32);
		await page.context().close();
	} finally {
		await relay.close();
	}
});
