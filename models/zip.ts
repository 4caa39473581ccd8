// A deterministic, uncompressed ("stored") zip writer and a reader for it: enough for MediaPipe
// `.task` bundles, which are zips of .tflite files the runtime reads in place.

const CRC_TABLE = (() => {
	const table = new Uint32Array(256);
	for (let n = 0; n < 256; n++) {
		let c = n;
		for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
		table[n] = c >>> 0;
	}
	return table;
})();

export function crc32(data: Uint8Array): number {
	let c = 0xffffffff;
	for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

export interface ZipEntry {
	name: string;
	data: Uint8Array;
}

// 1980-01-01 00:00:00 in MS-DOS format: no build time leaks into the archive.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
/** Extra-field id zipalign uses for padding; readers skip unknown extra fields. */
const PADDING_ID = 0xd935;

/**
 * Writes the entries, in the given order, stored without compression, with each file's data
 * aligned to `align` bytes (the model is used straight from the archive's memory).
 */
export function zipStored(entries: ZipEntry[], align = 64): Uint8Array {
	const chunks: Uint8Array[] = [];
	let offset = 0;
	const central: Uint8Array[] = [];
	const push = (b: Uint8Array) => {
		chunks.push(b);
		offset += b.length;
	};
	for (const entry of entries) {
		const name = new TextEncoder().encode(entry.name);
		const crc = crc32(entry.data);
		const headerAt = offset;
		let pad = (align - ((offset + 30 + name.length) % align)) % align;
		if (pad > 0 && pad < 4) pad += align; // an extra field needs at least its 4-byte header
		const local = new Uint8Array(30 + name.length + pad);
		const lv = new DataView(local.buffer);
		lv.setUint32(0, 0x04034b50, true);
		lv.setUint16(4, 10, true); // version needed: 1.0
		lv.setUint16(6, 0x0800, true); // UTF-8 names
		lv.setUint16(8, 0, true); // stored
		lv.setUint16(10, DOS_TIME, true);
		lv.setUint16(12, DOS_DATE, true);
		lv.setUint32(14, crc, true);
		lv.setUint32(18, entry.data.length, true);
		lv.setUint32(22, entry.data.length, true);
		lv.setUint16(26, name.length, true);
		lv.setUint16(28, pad, true);
		local.set(name, 30);
		if (pad > 0) {
			lv.setUint16(30 + name.length, PADDING_ID, true);
			lv.setUint16(30 + name.length + 2, pad - 4, true);
		}
		push(local);
		push(entry.data);

		const cd = new Uint8Array(46 + name.length);
		const cv = new DataView(cd.buffer);
		cv.setUint32(0, 0x02014b50, true);
		cv.setUint16(4, 10, true); // made by: MS-DOS, 1.0 (no host-specific attributes)
		cv.setUint16(6, 10, true);
		cv.setUint16(8, 0x0800, true);
		cv.setUint16(10, 0, true);
		cv.setUint16(12, DOS_TIME, true);
		cv.setUint16(14, DOS_DATE, true);
		cv.setUint32(16, crc, true);
		cv.setUint32(20, entry.data.length, true);
		cv.setUint32(24, entry.data.length, true);
		cv.setUint16(28, name.length, true);
		cv.setUint32(42, headerAt, true);
		cd.set(name, 46);
		central.push(cd);
	}
	const cdAt = offset;
	for (const cd of central) push(cd);
	const end = new Uint8Array(22);
	const ev = new DataView(end.buffer);
	ev.setUint32(0, 0x06054b50, true);
	ev.setUint16(8, entries.length, true);
	ev.setUint16(10, entries.length, true);
	ev.setUint32(12, offset - cdAt, true);
	ev.setUint32(16, cdAt, true);
	push(end);

	const out = new Uint8Array(offset);
	let at = 0;
	for (const c of chunks) {
		out.set(c, at);
		at += c.length;
	}
	return out;
}

/** Reads a zip's stored entries through its central directory, checking each CRC. */
export function unzipStored(zip: Uint8Array): (ZipEntry & { dataOffset: number })[] {
	const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
	const endAt = zip.length - 22;
	if (endAt < 0 || v.getUint32(endAt, true) !== 0x06054b50)
		throw new Error('No end of central directory');
	const count = v.getUint16(endAt + 10, true);
	let at = v.getUint32(endAt + 16, true);
	const out: (ZipEntry & { dataOffset: number })[] = [];
	for (let i = 0; i < count; i++) {
		if (v.getUint32(at, true) !== 0x02014b50) throw new Error('Bad central directory entry');
		if (v.getUint16(at + 10, true) !== 0) throw new Error('Compressed entry');
		const crc = v.getUint32(at + 16, true);
		const size = v.getUint32(at + 24, true);
		const nameLen = v.getUint16(at + 28, true);
		const extraLen = v.getUint16(at + 30, true);
		const commentLen = v.getUint16(at + 32, true);
		const localAt = v.getUint32(at + 42, true);
		const name = new TextDecoder().decode(zip.subarray(at + 46, at + 46 + nameLen));
		if (v.getUint32(localAt, true) !== 0x04034b50) throw new Error('Bad local header');
		const dataOffset =
			localAt + 30 + v.getUint16(localAt + 26, true) + v.getUint16(localAt + 28, true);
		const data = zip.subarray(dataOffset, dataOffset + size);
		if (crc32(data) !== crc) throw new Error(`CRC mismatch in ${name}`);
		out.push({ name, data, dataOffset });
		at += 46 + nameLen + extraLen + commentLen;
	}
	return out;
}
