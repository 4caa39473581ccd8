import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { BundleError, bundleParts, encodeBundle, MAGIC, openBundle, SCRYPT } from './format';

function keys() {
	const { privateKey, publicKey } = generateKeyPairSync('ed25519');
	return {
		privateKey,
		publicKeySpki: publicKey.export({ format: 'der', type: 'spki' }).toString('base64url')
	};
}

function docState(text: string): Uint8Array {
	const doc = new Y.Doc();
	doc.getMap('entries').set('a', { schema: 1, text });
	return Y.encodeStateAsUpdate(doc);
}

function bundle(passphrase?: string, k = keys(), scrypt?: { N: number; r: number; p: number }) {
	return encodeBundle({
		direction: 'site-to-hq',
		orgId: 'org-test',
		token: 'a.b.c',
		...k,
		parts: [
			{ name: 'blacklist', data: docState('secret-name-张三') },
			{ name: 'site:S1:control', data: docState('second') }
		],
		passphrase,
		scrypt
	});
}

function code(fn: () => unknown): string {
	try {
		fn();
	} catch (err) {
		if (err instanceof BundleError) return err.code;
		throw err;
	}
	return 'none';
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
	try {
		await promise;
	} catch (err) {
		if (err instanceof BundleError) return err.code;
		throw err;
	}
	return 'none';
}

describe('bundle format', () => {
	it('round-trips documents with their names, sizes and checksums', async () => {
		const file = bundle();
		expect(file.subarray(0, 8).equals(MAGIC)).toBe(true);
		const opened = openBundle(file);
		expect(opened.header.docs.map((d) => d.name)).toEqual(['blacklist', 'site:S1:control']);
		expect(opened.header.encryption).toBeNull();
		const parts = await bundleParts(opened);
		const doc = new Y.Doc();
		Y.applyUpdate(doc, parts[0]!.data);
		expect(doc.getMap('entries').get('a')).toEqual({ schema: 1, text: 'secret-name-张三' });
	});

	it('refuses a change to any single byte (header, signature or payload)', () => {
		const file = bundle();
		const headerLength = file.readUInt32BE(9);
		const positions = [
			20, // inside the header JSON
			13 + headerLength + 10, // the signature
			file.length - 3 // the payload
		];
		for (const at of positions) {
			const copy = Buffer.from(file);
			copy[at] = copy[at]! ^ 0x01;
			expect(['BUNDLE_TAMPERED', 'BUNDLE_SIGNATURE']).toContain(code(() => openBundle(copy)));
		}
		expect(code(() => openBundle(file.subarray(0, file.length - 1)))).toBe('BUNDLE_TAMPERED');
		expect(code(() => openBundle(Buffer.from('not a bundle at all')))).toBe('BUNDLE_MALFORMED');
	});

	it('encrypts the payload: content unreadable without the passphrase, a wrong one is named', async () => {
		const file = bundle('correct horse');
		expect(file.includes(Buffer.from('secret-name'))).toBe(false);
		const opened = openBundle(file);
		expect(opened.header.encryption?.alg).toBe('aes-256-gcm');
		expect(opened.header.encryption).toMatchObject(SCRYPT);
		expect(await codeOf(bundleParts(opened))).toBe('BUNDLE_PASSPHRASE_NEEDED');
		expect(await codeOf(bundleParts(opened, 'wrong horse'))).toBe('BUNDLE_PASSPHRASE_WRONG');
		const parts = await bundleParts(opened, 'correct horse');
		const doc = new Y.Doc();
		Y.applyUpdate(doc, parts[1]!.data);
		expect(doc.getMap('entries').get('a')).toEqual({ schema: 1, text: 'second' });
	});

	it('refuses a tampered ciphertext before trying the passphrase', () => {
		const file = bundle('pw');
		const copy = Buffer.from(file);
		copy[copy.length - 20] = copy[copy.length - 20]! ^ 0x80;
		expect(code(() => openBundle(copy))).toBe('BUNDLE_TAMPERED');
	});

	it('refuses a signed header naming other scrypt parameters, before deriving any key', () => {
		for (const cost of [
			{ N: 1024, r: 8, p: 1 }, // cheaper: weakens the passphrase
			{ N: 1 << 15, r: 8, p: 2 },
			{ N: 1 << 15, r: 16, p: 1 } // dearer: would make the importing relay spend more
		]) {
			const file = bundle('pw', keys(), cost);
			expect(code(() => openBundle(file))).toBe('BUNDLE_ENCRYPTION');
		}
		// The same bundle with SitePass's parameters opens.
		expect(openBundle(bundle('pw', keys(), { ...SCRYPT })).header.encryption).toMatchObject(SCRYPT);
	});
});
