// The vision models' files: what the pipeline (models/build.ts) writes under static/models/ and
// what the worker fetches, verifies and loads. One list for both, like src/lib/scan/vendor.ts.
// URLs carry the source package's version, so an upgrade never meets an old cached copy.
import type { ModelFile } from '../types';

export const TASKS_VISION_VERSION = '0.10.35';
export const FACE_DETECTION_VERSION = '0.4.1657300184';
export const POSE_VERSION = '0.5.1675469404';
export const SELFIE_SEGMENTATION_VERSION = '0.1.1675465747';
export const HUMAN_VERSION = '3.3.6';
/** tfjs-backend-wasm's binaries must match the tfjs that human's dist bundles (4.22.0). */
export const TFJS_VERSION = '4.22.0';

export const MODELS_BASE = '/models';
export const MANIFEST_URL = `${MODELS_BASE}/manifest.json`;

/** A model as the worker loads it and as health() reports it. */
export type ModelName =
	| 'mediapipe-runtime'
	| 'face-detector'
	| 'tfjs-wasm'
	| 'human-blazeface'
	| 'human-facemesh'
	| 'human-faceres'
	| 'human-antispoof'
	| 'human-liveness'
	| 'pose-landmarker'
	| 'selfie-segmenter';

export const TASKS_VISION_DIR = `${MODELS_BASE}/tasks-vision-${TASKS_VISION_VERSION}`;
export const HUMAN_DIR = `${MODELS_BASE}/human-${HUMAN_VERSION}`;
export const TFJS_WASM_DIR = `${MODELS_BASE}/tfjs-wasm-${TFJS_VERSION}`;

export interface SourceFile {
	/** Which model needs this file. */
	model: ModelName;
	url: string;
	package: string;
	version: string;
	/** Path inside the package (for a bundle: the files it is made of). */
	path: string;
	transform: ModelFile['transform'];
}

const human = (model: ModelName, name: string): SourceFile[] =>
	['json', 'bin'].map((ext) => ({
		model,
		url: `${HUMAN_DIR}/${name}.${ext}`,
		package: '@vladmandic/human',
		version: HUMAN_VERSION,
		path: `models/${name}.${ext}`,
		transform: 'copy'
	}));

export const SOURCE_FILES: readonly SourceFile[] = [
	// The module-worker build of the tasks-vision runtime (it assigns globalThis.ModuleFactory when
	// imported as a module); its .wasm must come from the same build.
	...['js', 'wasm'].map((ext): SourceFile => ({
		model: 'mediapipe-runtime',
		url: `${TASKS_VISION_DIR}/vision_wasm_module_internal.${ext}`,
		package: '@mediapipe/tasks-vision',
		version: TASKS_VISION_VERSION,
		path: `wasm/vision_wasm_module_internal.${ext}`,
		transform: 'copy'
	})),
	{
		model: 'face-detector',
		url: `${MODELS_BASE}/face_detection-${FACE_DETECTION_VERSION}/face_detection_short_range.tflite`,
		package: '@mediapipe/face_detection',
		version: FACE_DETECTION_VERSION,
		path: 'face_detection_short_range.tflite',
		transform: 'tflite-metadata'
	},
	{
		model: 'pose-landmarker',
		url: `${MODELS_BASE}/pose-${POSE_VERSION}/pose_landmarker_lite.task`,
		package: '@mediapipe/pose',
		version: POSE_VERSION,
		path: 'pose_solution_packed_assets.data:/third_party/mediapipe/modules/pose_detection/pose_detection.tflite + pose_landmark_lite.tflite',
		transform: 'task-bundle'
	},
	{
		model: 'selfie-segmenter',
		url: `${MODELS_BASE}/selfie_segmentation-${SELFIE_SEGMENTATION_VERSION}/selfie_segmentation.tflite`,
		package: '@mediapipe/selfie_segmentation',
		version: SELFIE_SEGMENTATION_VERSION,
		path: 'selfie_segmentation.tflite',
		transform: 'tflite-metadata'
	},
	// tfjs picks the SIMD build where WebAssembly SIMD exists (every current browser), the plain
	// one elsewhere; the threaded build needs cross-origin isolation, which the app does not have.
	...['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm.wasm'].map((name): SourceFile => ({
		model: 'tfjs-wasm',
		url: `${TFJS_WASM_DIR}/${name}`,
		package: '@tensorflow/tfjs-backend-wasm',
		version: TFJS_VERSION,
		path: `dist/${name}`,
		transform: 'copy'
	})),
	...human('human-blazeface', 'blazeface'),
	...human('human-facemesh', 'facemesh'),
	...human('human-faceres', 'faceres'),
	...human('human-antispoof', 'antispoof'),
	...human('human-liveness', 'liveness')
];

/** Models in the order the worker loads them and health() lists them. */
export const MODEL_NAMES: readonly ModelName[] = [
	'mediapipe-runtime',
	'face-detector',
	'tfjs-wasm',
	'human-blazeface',
	'human-facemesh',
	'human-faceres',
	'human-antispoof',
	'human-liveness',
	'pose-landmarker',
	'selfie-segmenter'
];

/** Models the gate's analysis modes use; the others are fetched, verified and cached for PPE. */
export const GATE_MODELS: readonly ModelName[] = MODEL_NAMES.filter(
	(m) => m !== 'pose-landmarker' && m !== 'selfie-segmenter'
);

export const fileOf = (model: ModelName, suffix: string): SourceFile => {
	const f = SOURCE_FILES.find((s) => s.model === model && s.url.endsWith(suffix));
	if (!f) throw new Error(`No file ${suffix} for ${model}`);
	return f;
};
