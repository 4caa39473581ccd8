import { ByteBuffer } from 'flatbuffers';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encode, floats, Reader, str, table, u8, vec } from './flatbuffers';
import {
	imageModelMetadata,
	inspectModel,
	METADATA_NAME,
	modelBuffer,
	parseModelMetadata,
	readModelMetadata,
	withMetadata
} from './tflite';

const FACE = new Uint8Array(
	readFileSync(
		new URL(
			'../node_modules/@mediapipe/face_detection/face_detection_short_range.tflite',
			import.meta.url
		)
	)
);

const META = {
	name: 'face_detection_short_range',
	description: 'test',
	version: '1',
	inputName: 'image',
	mean: [127.5],
	std: [127.5]
};

/** Reads with the official flatbuffers runtime, an implementation independent of ours. */
const fb = (buf: Uint8Array) => {
	const bb = new ByteBuffer(buf);
	const root = bb.readInt32(0);
	const field = (table: number, slot: number) => bb.__offset(table, 4 + slot * 2);
	const ref = (table: number, slot: number) => {
		const o = field(table, slot);
		return o ? bb.__indirect(table + o) : null;
	};
	const vector = (table: number, slot: number) => {
		const o = field(table, slot);
		if (!o) return null;
		const at = bb.__vector(table + o);
		const n = bb.__vector_len(table + o);
		return { at, n };
	};
	const string = (table: number, slot: number) => {
		const o = field(table, slot);
		return o ? (bb.__string(table + o) as string) : null;
	};
	return { bb, root, field, ref, vector, string };
};

describe('FlatBuffers writer', () => {
	it('is deterministic and aligns every scalar naturally', () => {
		const make = () =>
			encode(table([str('a'), u8(7), vec([table([floats([1.5, -2])])]), undefined, str('é')]), {
				identifier: 'TEST'
			});
		const a = make();
		expect(make()).toEqual(a);
		expect(a.length % 16).toBe(0);
		const r = new Reader(a);
		expect(r.identifier()).toBe('TEST');
		const root = r.root();
		expect(root % 4).toBe(0);
		expect(r.stringField(root, 0)).toBe('a');
		expect(r.scalar(root, 1, 'u8')).toBe(7);
		expect(r.ref(root, 3)).toBeNull();
		expect(r.stringField(root, 4)).toBe('é');
		const inner = r.refs(r.ref(root, 2)!)[0]!;
		const fl = r.ref(inner, 0)!;
		expect((fl + 4) % 4).toBe(0);
		expect(r.floats(fl)).toEqual([1.5, -2]);

		const o = fb(a);
		expect(o.bb.__has_identifier('TEST')).toBe(true);
		expect(o.string(o.root, 0)).toBe('a');
		expect(o.bb.readUint8(o.root + o.field(o.root, 1))).toBe(7);
		expect(o.string(o.root, 4)).toBe('é');
	});
});

describe('TFLite metadata', () => {
	it('writes ModelMetadata that parses back: RGB image input, normalisation, stats', () => {
		const buf = imageModelMetadata(META);
		const parsed = parseModelMetadata(buf);
		expect(parsed).toEqual({
			name: META.name,
			description: 'test',
			version: '1',
			minParserVersion: '1.0.0',
			inputs: [
				{
					name: 'image',
					contentType: 2,
					colorSpace: 1,
					normalization: { mean: [127.5], std: [127.5] },
					stats: { max: [1], min: [-1] }
				}
			]
		});

		// The same fields through the official runtime: ModelMetadata → subgraph_metadata[0] →
		// input_tensor_metadata[0] → process_units[0] (NormalizationOptions) → mean / std.
		const o = fb(buf);
		expect(o.bb.__has_identifier('M001')).toBe(true);
		expect(o.string(o.root, 0)).toBe(META.name);
		expect(o.string(o.root, 7)).toBe('1.0.0');
		const subgraphs = o.vector(o.root, 3)!;
		expect(subgraphs.n).toBe(1);
		const subgraph = o.bb.__indirect(subgraphs.at);
		const inputs = o.vector(subgraph, 2)!;
		const input = o.bb.__indirect(inputs.at);
		const content = o.ref(input, 3)!;
		expect(o.bb.readUint8(content + o.field(content, 0))).toBe(2); // ImageProperties
		const props = o.ref(content, 1)!;
		expect(o.bb.readInt8(props + o.field(props, 0))).toBe(1); // RGB
		const units = o.vector(input, 4)!;
		const unit = o.bb.__indirect(units.at);
		expect(o.bb.readUint8(unit + o.field(unit, 0))).toBe(1); // NormalizationOptions
		const norm = o.ref(unit, 1)!;
		const mean = o.vector(norm, 0)!;
		const std = o.vector(norm, 1)!;
		expect([mean.n, o.bb.readFloat32(mean.at)]).toEqual([1, 127.5]);
		expect([std.n, o.bb.readFloat32(std.at)]).toEqual([1, 127.5]);
	});

	it('adds TFLITE_METADATA to the real face detector, keeping the graph as it was', () => {
		const before = inspectModel(FACE);
		expect(before.metadata).toEqual([]);
		expect(readModelMetadata(FACE)).toBeNull();
		const meta = imageModelMetadata(META);
		const out = withMetadata(FACE, meta);

		const after = inspectModel(out);
		expect(after.inputs).toEqual(before.inputs);
		expect(after.outputs).toEqual(before.outputs);
		expect(after.version).toBe(before.version);
		expect(after.buffers).toBe(before.buffers + 1);
		expect(after.metadata).toEqual([{ name: METADATA_NAME, buffer: before.buffers }]);
		expect(modelBuffer(out, before.buffers)).toEqual(meta);
		for (let i = 0; i < before.buffers; i++) {
			expect(modelBuffer(out, i)).toEqual(modelBuffer(FACE, i));
		}
		expect(readModelMetadata(out)!.inputs[0]!.normalization).toEqual({
			mean: [127.5],
			std: [127.5]
		});

		// Independently: Model.metadata[-1] names buffer N, whose 16-aligned data is the metadata.
		const o = fb(out);
		expect(o.bb.__has_identifier('TFL3')).toBe(true);
		const md = o.vector(o.root, 6)!;
		const entry = o.bb.__indirect(md.at + (md.n - 1) * 4);
		expect(o.string(entry, 0)).toBe(METADATA_NAME);
		const index = o.bb.readUint32(entry + o.field(entry, 1));
		const buffers = o.vector(o.root, 4)!;
		expect(buffers.n).toBe(before.buffers + 1);
		const buffer = o.bb.__indirect(buffers.at + index * 4);
		const data = o.vector(buffer, 0)!;
		expect(data.at % 16).toBe(0);
		expect(out.subarray(data.at, data.at + data.n)).toEqual(meta);
		// Subgraphs: the same tensors and operators as the original's.
		const sub = (buf: Uint8Array) => {
			const x = fb(buf);
			const subgraphs = x.vector(x.root, 2)!;
			const s = x.bb.__indirect(subgraphs.at);
			return [x.vector(s, 0)!.n, x.vector(s, 3)!.n];
		};
		expect(sub(out)).toEqual(sub(FACE));
	});

	it('replaces an existing TFLITE_METADATA entry instead of listing a second one', () => {
		const once = withMetadata(FACE, imageModelMetadata(META));
		const twice = withMetadata(once, imageModelMetadata({ ...META, mean: [0], std: [255] }));
		const info = inspectModel(twice);
		expect(info.metadata.filter((m) => m.name === METADATA_NAME)).toHaveLength(1);
		expect(readModelMetadata(twice)!.inputs[0]!.normalization).toEqual({ mean: [0], std: [255] });
	});

	it('refuses what is not a TFLite model', () => {
		expect(() => withMetadata(imageModelMetadata(META), imageModelMetadata(META))).toThrow(/TFL3/);
	});
});
