// The QR path without a browser: payloads encoded as real QR images (UTF-8, as certificate
// issuers print them), decoded by the zxing wasm the app serves, then read by parseQrPayload.
import { readFileSync } from 'node:fs';
import qrcode from 'qrcode-generator';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';
import { parseQrPayload } from './certificate-text';
import { VENDOR_FILES, VENDOR_URLS } from './vendor';

const wasm = VENDOR_FILES.find((f) => f.to === VENDOR_URLS.zxingReaderWasm)!.from;

beforeAll(async () => {
	const bytes = readFileSync(new URL(`../../../node_modules/${wasm}`, import.meta.url));
	await prepareZXingModule({
		overrides: {
			wasmBinary: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)
		},
		fireImmediately: true
	});
});

/** A GIF of the QR code for `text`, encoded as UTF-8 bytes. */
function qrImage(text: string): Uint8Array {
	const latin1 = qrcode.stringToBytes;
	qrcode.stringToBytes = (s: string) => [...new TextEncoder().encode(s)];
	try {
		const qr = qrcode(0, 'M');
		qr.addData(text);
		qr.make();
		return Buffer.from(qr.createDataURL(4, 4).split(',')[1]!, 'base64');
	} finally {
		qrcode.stringToBytes = latin1;
	}
}

async function scan(text: string) {
	const results = await readBarcodes(qrImage(text), { formats: ['QRCode'] });
	expect(results).toHaveLength(1);
	expect(results[0]!.text).toBe(text);
	return parseQrPayload(results[0]!.text);
}

describe('QR codes decoded by the shipped zxing wasm', () => {
	it('a verification link', async () => {
		const url = 'https://zwfw.example.gov.cn/verify/cert?certNo=T330102198503120014';
		expect(await scan(url)).toEqual({ verifyUrl: url, number: 'T330102198503120014' });
	});

	it('labelled Chinese lines', async () => {
		expect(
			await scan(
				'证书编号：33O1O2199OO7O7OO16\n姓名：李明\n作业项目：Q2 起重机司机\n有效期至：2027年05月09日'
			)
		).toEqual({
			number: '330102199007070016',
			name: '李明',
			code: 'SE-2019-Q2',
			expiresOn: '2027-05-09'
		});
	});

	it('a JSON payload with a link inside', async () => {
		expect(
			await scan(
				JSON.stringify({ zsbh: '浙A042019000123', xm: '张伟', url: 'https://cx.example.cn/c/1' })
			)
		).toEqual({ number: '浙A042019000123', name: '张伟', verifyUrl: 'https://cx.example.cn/c/1' });
	});
});
