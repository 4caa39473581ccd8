// A small FlatBuffers writer and reader: just what the model pipeline needs to write TFLite
// metadata and to re-root a .tflite model, with no schema compiler.
//
// The writer lays objects out front to back, parents before children, so every reference
// (an unsigned offset that must point forward) is known to point forward. Objects can also
// refer into a blob of existing FlatBuffer bytes appended at the end, which is how a model's
// existing tables are reused without being decoded.

/** A scalar field of a table. */
export interface Scalar {
	type: 'bool' | 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32';
	value: number;
}

/** Something a field or a vector element can refer to. */
export type Node =
	| { kind: 'table'; fields: (Scalar | Node | undefined)[] }
	| { kind: 'string'; value: string }
	/** Vector of scalars of one type. `align` raises the data's alignment (e.g. force_align: 16). */
	| {
			kind: 'scalars';
			type: 'u8' | 'i32' | 'u32' | 'f32';
			values: ArrayLike<number>;
			align?: number;
	  }
	| { kind: 'vector'; items: Node[] }
	/** An object already encoded in the appended blob, at this byte position of the blob. */
	| { kind: 'blob-ref'; position: number };

export const table = (fields: (Scalar | Node | undefined)[]): Node => ({ kind: 'table', fields });
export const str = (value: string): Node => ({ kind: 'string', value });
export const vec = (items: Node[]): Node => ({ kind: 'vector', items });
export const floats = (values: number[]): Node => ({ kind: 'scalars', type: 'f32', values });
export const bytes = (values: Uint8Array, align = 4): Node => ({
	kind: 'scalars',
	type: 'u8',
	values,
	align
});
export const blobRef = (position: number): Node => ({ kind: 'blob-ref', position });
export const u8 = (value: number): Scalar => ({ type: 'u8', value });
export const u32 = (value: number): Scalar => ({ type: 'u32', value });

const SCALAR_SIZE = {
	bool: 1,
	u8: 1,
	i8: 1,
	u16: 2,
	i16: 2,
	u32: 4,
	i32: 4,
	f32: 4
} as const;

const isScalar = (f: Scalar | Node): f is Scalar => 'type' in f && !('kind' in f);

class Output {
	buf = new Uint8Array(1024);
	view = new DataView(this.buf.buffer);
	length = 0;

	private grow(need: number): void {
		if (need <= this.buf.length) return;
		let size = this.buf.length;
		while (size < need) size *= 2;
		const next = new Uint8Array(size);
		next.set(this.buf.subarray(0, this.length));
		this.buf = next;
		this.view = new DataView(next.buffer);
	}

	/** Pads with zeros so that `length + before` is a multiple of `align`. */
	align(align: number, before = 0): void {
		const pad = (align - ((this.length + before) % align)) % align;
		this.reserve(pad);
	}

	/** Appends `n` zero bytes, returning where they start. */
	reserve(n: number): number {
		this.grow(this.length + n);
		const at = this.length;
		this.buf.fill(0, at, at + n);
		this.length += n;
		return at;
	}

	write(data: Uint8Array): number {
		const at = this.reserve(data.length);
		this.buf.set(data, at);
		return at;
	}

	result(): Uint8Array {
		return this.buf.slice(0, this.length);
	}
}

function writeScalar(view: DataView, at: number, s: Scalar): void {
	switch (s.type) {
		case 'bool':
		case 'u8':
			return view.setUint8(at, s.value);
		case 'i8':
			return view.setInt8(at, s.value);
		case 'u16':
			return view.setUint16(at, s.value, true);
		case 'i16':
			return view.setInt16(at, s.value, true);
		case 'u32':
			return view.setUint32(at, s.value, true);
		case 'i32':
			return view.setInt32(at, s.value, true);
		case 'f32':
			return view.setFloat32(at, s.value, true);
	}
}

export interface EncodeOptions {
	/** Four ASCII characters written after the root offset (e.g. 'TFL3', 'M001'). */
	identifier?: string;
	/** Existing FlatBuffer bytes placed at the end; `blob-ref` nodes point into them. */
	blob?: Uint8Array;
	/** Alignment of the blob's first byte in the output (its internal alignment is kept). */
	blobAlign?: number;
}

/** Encodes `root` (a table) as a FlatBuffer. Deterministic: same input, same bytes. */
export function encode(root: Node, options: EncodeOptions = {}): Uint8Array {
	if (root.kind !== 'table') throw new Error('The root of a FlatBuffer must be a table');
	const out = new Output();
	// Offsets to patch once their target is written: [where the uoffset is, target].
	const pending: { at: number; node: Node }[] = [];
	const blobRefs: { at: number; position: number }[] = [];

	out.reserve(4);
	if (options.identifier !== undefined) {
		if (!/^[\x20-\x7e]{4}$/.test(options.identifier)) throw new Error('Identifier: 4 ASCII chars');
		out.write(new TextEncoder().encode(options.identifier));
	}
	pending.push({ at: 0, node: root });

	// Breadth-first: a node is written after the object that refers to it, so offsets go forward.
	while (pending.length > 0) {
		const { at, node } = pending.shift()!;
		if (node.kind === 'blob-ref') {
			blobRefs.push({ at, position: node.position });
			continue;
		}
		const target = writeNode(out, node, pending);
		out.view.setUint32(at, target - at, true);
	}

	if (options.blob) {
		out.align(Math.max(options.blobAlign ?? 16, 4));
		const start = out.write(options.blob);
		for (const { at, position } of blobRefs) {
			if (position < 0 || position >= options.blob.length) throw new Error('blob-ref outside blob');
			out.view.setUint32(at, start + position - at, true);
		}
	} else if (blobRefs.length > 0) {
		throw new Error('blob-ref without a blob');
	}
	// Buffers are read from aligned memory; keep the total a multiple of the largest alignment.
	out.align(16);
	return out.result();
}

/** Writes one node; returns the position its referrers must point at. */
function writeNode(out: Output, node: Node, pending: { at: number; node: Node }[]): number {
	switch (node.kind) {
		case 'string': {
			const data = new TextEncoder().encode(node.value);
			out.align(4);
			const at = out.reserve(4);
			out.view.setUint32(at, data.length, true);
			out.write(data);
			out.reserve(1); // NUL terminator
			return at;
		}
		case 'scalars': {
			const size = node.type === 'u8' ? 1 : 4;
			// The length prefix sits right before the data, which is what must be aligned.
			out.align(Math.max(node.align ?? size, 4), 4);
			const at = out.reserve(4);
			out.view.setUint32(at, node.values.length, true);
			const dataAt = out.reserve(node.values.length * size);
			for (let i = 0; i < node.values.length; i++) {
				const v = node.values[i]!;
				if (node.type === 'u8') out.view.setUint8(dataAt + i, v);
				else if (node.type === 'f32') out.view.setFloat32(dataAt + i * 4, v, true);
				else if (node.type === 'i32') out.view.setInt32(dataAt + i * 4, v, true);
				else out.view.setUint32(dataAt + i * 4, v, true);
			}
			return at;
		}
		case 'vector': {
			out.align(4);
			const at = out.reserve(4 + node.items.length * 4);
			out.view.setUint32(at, node.items.length, true);
			node.items.forEach((item, i) => pending.push({ at: at + 4 + i * 4, node: item }));
			return at;
		}
		case 'table':
			return writeTable(out, node.fields, pending);
		case 'blob-ref':
			throw new Error('unreachable');
	}
}

function writeTable(
	out: Output,
	fields: (Scalar | Node | undefined)[],
	pending: { at: number; node: Node }[]
): number {
	let slots = fields.length;
	while (slots > 0 && fields[slots - 1] === undefined) slots--;
	// Largest fields first: with the table 4-aligned, every field is then naturally aligned.
	const present = fields
		.slice(0, slots)
		.map((f, slot) => ({ f, slot }))
		.filter((x): x is { f: Scalar | Node; slot: number } => x.f !== undefined)
		.map((x) => ({ ...x, size: isScalar(x.f) ? SCALAR_SIZE[x.f.type] : 4 }))
		.sort((a, b) => b.size - a.size || a.slot - b.slot);
	const fieldOffset = new Map<number, number>();
	let size = 4; // the table starts with the signed offset to its vtable
	for (const p of present) {
		fieldOffset.set(p.slot, size);
		size += p.size;
	}
	size = Math.ceil(size / 4) * 4;

	// vtable: [its size][table size][one u16 offset per slot], written just before the table.
	const vtableSize = 4 + slots * 2;
	out.align(4);
	const vt = out.reserve(Math.ceil(vtableSize / 4) * 4);
	out.view.setUint16(vt, vtableSize, true);
	out.view.setUint16(vt + 2, size, true);
	for (let slot = 0; slot < slots; slot++) {
		out.view.setUint16(vt + 4 + slot * 2, fieldOffset.get(slot) ?? 0, true);
	}
	const at = out.reserve(size);
	out.view.setInt32(at, at - vt, true);
	for (const p of present) {
		const off = at + fieldOffset.get(p.slot)!;
		if (isScalar(p.f)) writeScalar(out.view, off, p.f);
		else pending.push({ at: off, node: p.f });
	}
	return at;
}

/** Reads FlatBuffer tables, strings and vectors by position; no schema, just the wire format. */
export class Reader {
	readonly view: DataView;
	constructor(readonly buf: Uint8Array) {
		this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
	}

	private check(at: number, n: number): void {
		if (at < 0 || at + n > this.buf.length) throw new Error(`FlatBuffer read out of bounds @${at}`);
	}

	u32(at: number): number {
		this.check(at, 4);
		return this.view.getUint32(at, true);
	}

	/** Position of the root table. */
	root(): number {
		return this.u32(0);
	}

	identifier(): string {
		this.check(4, 4);
		return String.fromCharCode(...this.buf.subarray(4, 8));
	}

	/** Follows the unsigned offset stored at `at`. */
	deref(at: number): number {
		return at + this.u32(at);
	}

	private vtable(tablePos: number): { at: number; size: number } {
		this.check(tablePos, 4);
		const at = tablePos - this.view.getInt32(tablePos, true);
		this.check(at, 4);
		return { at, size: this.view.getUint16(at, true) };
	}

	/** Number of field slots the table's vtable describes. */
	slots(tablePos: number): number {
		return (this.vtable(tablePos).size - 4) / 2;
	}

	/** Position of a field's value inside the table, or null when absent. */
	field(tablePos: number, slot: number): number | null {
		const vt = this.vtable(tablePos);
		if (4 + slot * 2 >= vt.size) return null;
		const off = this.view.getUint16(vt.at + 4 + slot * 2, true);
		return off === 0 ? null : tablePos + off;
	}

	/** Position of the table, string or vector an offset field points to, or null. */
	ref(tablePos: number, slot: number): number | null {
		const at = this.field(tablePos, slot);
		return at === null ? null : this.deref(at);
	}

	scalar(tablePos: number, slot: number, type: 'u8' | 'u32' | 'i32' | 'f32', dflt = 0): number {
		const at = this.field(tablePos, slot);
		if (at === null) return dflt;
		this.check(at, type === 'u8' ? 1 : 4);
		if (type === 'u8') return this.view.getUint8(at);
		if (type === 'u32') return this.view.getUint32(at, true);
		if (type === 'i32') return this.view.getInt32(at, true);
		return this.view.getFloat32(at, true);
	}

	string(pos: number): string {
		const n = this.u32(pos);
		this.check(pos + 4, n);
		return new TextDecoder().decode(this.buf.subarray(pos + 4, pos + 4 + n));
	}

	stringField(tablePos: number, slot: number): string | null {
		const at = this.ref(tablePos, slot);
		return at === null ? null : this.string(at);
	}

	/** Positions of the tables (or strings) a vector of offsets points to. */
	refs(vectorPos: number): number[] {
		const n = this.u32(vectorPos);
		return Array.from({ length: n }, (_, i) => this.deref(vectorPos + 4 + i * 4));
	}

	/** Element positions of a vector of `size`-byte scalars, with its length. */
	scalars(vectorPos: number, size: number): { at: number; length: number } {
		const length = this.u32(vectorPos);
		this.check(vectorPos + 4, length * size);
		return { at: vectorPos + 4, length };
	}

	floats(vectorPos: number): number[] {
		const { at, length } = this.scalars(vectorPos, 4);
		return Array.from({ length }, (_, i) => this.view.getFloat32(at + i * 4, true));
	}

	ints(vectorPos: number): number[] {
		const { at, length } = this.scalars(vectorPos, 4);
		return Array.from({ length }, (_, i) => this.view.getInt32(at + i * 4, true));
	}

	bytes(vectorPos: number): Uint8Array {
		const { at, length } = this.scalars(vectorPos, 1);
		return this.buf.subarray(at, at + length);
	}
}
