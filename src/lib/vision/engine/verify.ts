// Checking a model file against the manifest before any runtime sees its bytes.
import type { ModelFile } from '../types';

export class VisionFileError extends Error {
	constructor(
		readonly kind: 'fetch' | 'size' | 'checksum',
		readonly url: string,
		detail: string
	) {
		const zh = {
			fetch: '模型文件下载失败',
			size: '模型文件大小与清单不符',
			checksum: '模型文件校验失败（SHA-256 与清单不符）'
		}[kind];
		super(`${zh} — ${url}: ${detail}`);
		this.name = 'VisionFileError';
	}
}

export function hex(bytes: ArrayBuffer): string {
	return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** SHA-256 of the bytes, lower-case hex (WebCrypto, so a secure context or a worker of one). */
export async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
	return hex(await crypto.subtle.digest('SHA-256', bytes));
}

/** Returns the bytes when their size and SHA-256 are the manifest's; throws VisionFileError. */
export async function verifyBytes(
	file: Pick<ModelFile, 'url' | 'bytes' | 'sha256'>,
	bytes: Uint8Array<ArrayBuffer>
): Promise<Uint8Array<ArrayBuffer>> {
	if (bytes.length !== file.bytes) {
		throw new VisionFileError(
			'size',
			file.url,
			`expected ${file.bytes} bytes, got ${bytes.length}`
		);
	}
	const got = await sha256(bytes);
	if (got !== file.sha256) {
		throw new VisionFileError(
			'checksum',
			file.url,
			`SHA-256 mismatch: expected ${file.sha256}, got ${got}`
		);
	}
	return bytes;
}

export function describeError(err: unknown): string {
	if (err instanceof Error) return err.message;
	if (typeof err === 'string') return err;
	try {
		return JSON.stringify(err);
	} catch {
		return String(err);
	}
}
