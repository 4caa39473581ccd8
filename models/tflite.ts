// TFLite models and their metadata (tensorflow/lite/schema/schema.fbs, tflite-support's
// metadata_schema.fbs), read and written with the small FlatBuffers module beside this file.
//
// The MediaPipe Tasks API takes an image model's input normalisation from a TFLITE_METADATA
// buffer; the legacy MediaPipe packages ship their models without one (the old graphs had the
// normalisation hard-coded), so the Tasks API refuses them until one is added.
import {
	blobRef,
	bytes,
	encode,
	floats,
	Reader,
	str,
	table,
	u32,
	u8,
	vec,
	type Node
} from './flatbuffers';

/** Slots of the TFLite `Model` table. */
const MODEL = {
	version: 0,
	operatorCodes: 1,
	subgraphs: 2,
	description: 3,
	buffers: 4,
	metadataBuffer: 5,
	metadata: 6,
	signatureDefs: 7
} as const;
const MODEL_SLOTS = 8;

export const METADATA_NAME = 'TFLITE_METADATA';
/** ModelMetadata schema's file identifier. */
export const METADATA_IDENTIFIER = 'M001';
/** The oldest metadata parser that understands every field written here (schema 1.0.0). */
export const MIN_PARSER_VERSION = '1.0.0';

const TENSOR_TYPES = ['float32', 'float16', 'int32', 'uint8', 'int64', 'string', 'bool', 'int16'];

export interface TensorInfo {
	name: string;
	shape: number[];
	type: string;
}

export interface ModelInfo {
	version: number;
	inputs: TensorInfo[];
	outputs: TensorInfo[];
	/** Entries of Model.metadata: name and the index of the buffer holding its bytes. */
	metadata: { name: string; buffer: number }[];
	buffers: number;
}

function modelReader(model: Uint8Array): { r: Reader; root: number } {
	const r = new Reader(model);
	if (r.identifier() !== 'TFL3') throw new Error('Not a TFLite model (no TFL3 identifier)');
	return { r, root: r.root() };
}

/** Reads what the pipeline needs to know about a model: main subgraph I/O, metadata, buffers. */
export function inspectModel(model: Uint8Array): ModelInfo {
	const { r, root } = modelReader(model);
	const subgraphs = r.ref(root, MODEL.subgraphs);
	if (subgraphs === null) throw new Error('Model has no subgraphs');
	const main = r.refs(subgraphs)[0];
	if (main === undefined) throw new Error('Model has no subgraphs');
	const tensorsVec = r.ref(main, 0);
	const tensors = tensorsVec === null ? [] : r.refs(tensorsVec);
	const tensorInfo = (index: number): TensorInfo => {
		const t = tensors[index];
		if (t === undefined) throw new Error(`Tensor ${index} out of range`);
		const shape = r.ref(t, 0);
		return {
			name: r.stringField(t, 3) ?? '',
			shape: shape === null ? [] : r.ints(shape),
			type: TENSOR_TYPES[r.scalar(t, 1, 'u8')] ?? `type-${r.scalar(t, 1, 'u8')}`
		};
	};
	const io = (slot: number) => {
		const v = r.ref(main, slot);
		return v === null ? [] : r.ints(v).map(tensorInfo);
	};
	const metadataVec = r.ref(root, MODEL.metadata);
	const buffersVec = r.ref(root, MODEL.buffers);
	return {
		version: r.scalar(root, MODEL.version, 'u32'),
		inputs: io(1),
		outputs: io(2),
		metadata:
			metadataVec === null
				? []
				: r.refs(metadataVec).map((m) => ({
						name: r.stringField(m, 0) ?? '',
						buffer: r.scalar(m, 1, 'u32')
					})),
		buffers: buffersVec === null ? 0 : r.u32(buffersVec)
	};
}

/** The bytes of one buffer of the model. */
export function modelBuffer(model: Uint8Array, index: number): Uint8Array {
	const { r, root } = modelReader(model);
	const buffersVec = r.ref(root, MODEL.buffers);
	const buffer = buffersVec === null ? undefined : r.refs(buffersVec)[index];
	if (buffer === undefined) throw new Error(`Buffer ${index} out of range`);
	const data = r.ref(buffer, 0);
	return data === null ? new Uint8Array(0) : r.bytes(data);
}

export interface ImageInputMetadata {
	/** Model name and description, written into ModelMetadata. */
	name: string;
	description: string;
	version: string;
	author?: string;
	license?: string;
	/** Input tensor name (informational). */
	inputName: string;
	/** (pixel - mean) / std per channel; one value applies to all channels. */
	mean: number[];
	std: number[];
}

/**
 * ModelMetadata for a model with one RGB image input: ImageProperties RGB, NormalizationOptions
 * mean/std, and Stats giving the range that normalisation produces.
 */
export function imageModelMetadata(m: ImageInputMetadata): Uint8Array {
	const lo = m.mean.map((mean, i) => (0 - mean) / (m.std[i] ?? m.std[0]!));
	const hi = m.mean.map((mean, i) => (255 - mean) / (m.std[i] ?? m.std[0]!));
	const normalization = table([floats(m.mean), floats(m.std)]);
	const imageProperties = table([u8(1) /* ColorSpaceType.RGB */]);
	const input = table([
		str(m.inputName),
		str('Input image to be processed.'),
		undefined, // dimension_names
		// Content { content_properties_type: ImageProperties (2), content_properties }
		table([u8(2), imageProperties]),
		// [ProcessUnit { options_type: NormalizationOptions (1), options }]
		vec([table([u8(1), normalization])]),
		// Stats { max, min }
		table([floats(hi), floats(lo)])
	]);
	const subgraph = table([undefined, undefined, vec([input])]);
	const root = table([
		str(m.name),
		str(m.description),
		str(m.version),
		vec([subgraph]),
		m.author === undefined ? undefined : str(m.author),
		m.license === undefined ? undefined : str(m.license),
		undefined, // associated_files
		str(MIN_PARSER_VERSION)
	]);
	return encode(root, { identifier: METADATA_IDENTIFIER });
}

export interface ParsedMetadata {
	name: string | null;
	description: string | null;
	version: string | null;
	minParserVersion: string | null;
	inputs: {
		name: string | null;
		/** ContentProperties union type (2 = ImageProperties) and its colour space (1 = RGB). */
		contentType: number;
		colorSpace: number | null;
		normalization: { mean: number[]; std: number[] } | null;
		stats: { max: number[]; min: number[] } | null;
	}[];
}

/** Parses a ModelMetadata buffer (as written above, or by tflite-support). */
export function parseModelMetadata(buf: Uint8Array): ParsedMetadata {
	const r = new Reader(buf);
	if (r.identifier() !== METADATA_IDENTIFIER) throw new Error('Not a ModelMetadata buffer');
	const root = r.root();
	const subgraphs = r.ref(root, 3);
	const first = subgraphs === null ? undefined : r.refs(subgraphs)[0];
	const inputsVec = first === undefined ? null : r.ref(first, 2);
	return {
		name: r.stringField(root, 0),
		description: r.stringField(root, 1),
		version: r.stringField(root, 2),
		minParserVersion: r.stringField(root, 7),
		inputs: (inputsVec === null ? [] : r.refs(inputsVec)).map((t) => {
			const content = r.ref(t, 3);
			const contentType = content === null ? 0 : r.scalar(content, 0, 'u8');
			const props = content === null ? null : r.ref(content, 1);
			const units = r.ref(t, 4);
			let normalization: { mean: number[]; std: number[] } | null = null;
			for (const unit of units === null ? [] : r.refs(units)) {
				if (r.scalar(unit, 0, 'u8') !== 1) continue;
				const opts = r.ref(unit, 1)!;
				const mean = r.ref(opts, 0);
				const std = r.ref(opts, 1);
				normalization = {
					mean: mean === null ? [] : r.floats(mean),
					std: std === null ? [] : r.floats(std)
				};
			}
			const stats = r.ref(t, 5);
			const max = stats === null ? null : r.ref(stats, 0);
			const min = stats === null ? null : r.ref(stats, 1);
			return {
				name: r.stringField(t, 0),
				contentType,
				colorSpace: contentType === 2 && props !== null ? r.scalar(props, 0, 'u8') : null,
				normalization,
				stats:
					stats === null
						? null
						: { max: max === null ? [] : r.floats(max), min: min === null ? [] : r.floats(min) }
			};
		})
	};
}

/**
 * Returns the model with `metadata` stored in a new buffer and listed as TFLITE_METADATA in
 * Model.metadata (replacing an existing TFLITE_METADATA entry's listing).
 *
 * A FlatBuffer cannot grow a table in place and its offsets only point forward, so the model is
 * re-rooted: a new Model table (copying `version`, pointing at the original operator codes,
 * subgraphs, description and signatures) with new `buffers` and `metadata` vectors is written
 * first, and the original bytes follow unchanged at a 16-byte-aligned position, so every offset
 * inside them stays valid. The original root table is left unreferenced (a few dozen bytes).
 */
export function withMetadata(model: Uint8Array, metadata: Uint8Array): Uint8Array {
	const { r, root } = modelReader(model);
	for (let slot = MODEL_SLOTS; slot < r.slots(root); slot++) {
		if (r.field(root, slot) !== null) throw new Error(`Model has unknown field ${slot}`);
	}
	const buffersVec = r.ref(root, MODEL.buffers);
	const oldBuffers = buffersVec === null ? [] : r.refs(buffersVec);
	for (const b of oldBuffers) {
		// Buffers stored outside the FlatBuffer (offset/size, for >2 GB models) are file-relative.
		if (r.field(b, 1) !== null) throw new Error('Model uses external buffers; not supported');
	}
	const metadataVec = r.ref(root, MODEL.metadata);
	const oldMetadata = (metadataVec === null ? [] : r.refs(metadataVec)).filter(
		(m) => r.stringField(m, 0) !== METADATA_NAME
	);
	const keep = (slot: number): Node | undefined => {
		const at = r.ref(root, slot);
		return at === null ? undefined : blobRef(at);
	};
	const newRoot = table([
		u32(r.scalar(root, MODEL.version, 'u32')),
		keep(MODEL.operatorCodes),
		keep(MODEL.subgraphs),
		keep(MODEL.description),
		vec([...oldBuffers.map(blobRef), table([bytes(metadata, 16)])]),
		keep(MODEL.metadataBuffer),
		vec([...oldMetadata.map(blobRef), table([str(METADATA_NAME), u32(oldBuffers.length)])]),
		keep(MODEL.signatureDefs)
	]);
	return encode(newRoot, { identifier: 'TFL3', blob: model, blobAlign: 16 });
}

/** The model's TFLITE_METADATA, parsed, or null when it has none. */
export function readModelMetadata(model: Uint8Array): ParsedMetadata | null {
	const entry = inspectModel(model).metadata.find((m) => m.name === METADATA_NAME);
	return entry ? parseModelMetadata(modelBuffer(model, entry.buffer)) : null;
}
