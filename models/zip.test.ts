import { describe, expect, it } from 'vitest';
import { crc32, unzipStored, zipStored } from './zip';

const enc = (s: string) => new TextEncoder().encode(s);

describe('stored zip', () => {
	it('computes the standard CRC-32', () => {
		expect(crc32(enc('123456789'))).toBe(0xcbf43926);
		expect(crc32(new Uint8Array(0))).toBe(0);
	});

	it('round-trips entries in order, each aligned, byte-identical on every run', () => {
		const entries = [
			{ name: 'pose_detector.tflite', data: enc('a'.repeat(1001)) },
			{ name: 'pose_landmarks_detector.tflite', data: new Uint8Array([1, 2, 3]) }
		];
		const zip = zipStored(entries, 64);
		expect(zipStored(entries, 64)).toEqual(zip);
		const back = unzipStored(zip);
		expect(back.map((e) => e.name)).toEqual(entries.map((e) => e.name));
		back.forEach((e, i) => {
			expect(e.data).toEqual(entries[i]!.data);
			expect(e.dataOffset % 64).toBe(0);
		});
		// No timestamps: the DOS date/time of every local header is 1980-01-01 00:00.
		const v = new DataView(zip.buffer);
		expect([v.getUint16(10, true), v.getUint16(12, true)]).toEqual([0, 33]);
	});

	it('notices a damaged entry', () => {
		const zip = zipStored([{ name: 'x', data: enc('hello world') }]);
		const i = zip.indexOf('h'.charCodeAt(0));
		zip[i] = 'j'.charCodeAt(0);
		expect(() => unzipStored(zip)).toThrow(/CRC/);
	});
});
