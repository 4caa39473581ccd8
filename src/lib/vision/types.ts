// The contract between the vision worker (which owns the models) and everything that uses what it
// sees: enrolment quality checks, liveness challenges, 1:N matching, the gate screen. Plain data,
// so it crosses the worker boundary by structured clone and pure code can be tested in Node.

/** What the worker is asked to do with one frame. Cheaper modes run fewer models. */
export type AnalysisMode =
	/** Face detection only (MediaPipe): is anyone there, where, how many. ~10 ms. */
	| 'detect'
	/** Detection + face mesh: pose angles and eye openness for liveness challenges. */
	| 'landmarks'
	/** Everything: mesh, the 1024-d identity embedding, anti-spoof and liveness model scores. */
	| 'full'
	/**
	 * The monitor: pose landmarks for up to four people (no face identity) and a hard-hat check
	 * on each head. `faces` stays empty; `people` carries the result.
	 */
	| 'people';

/** Extra work asked of one analyze() call. */
export interface AnalysisOptions {
	/** Run the hard-hat check on each face ('detect' | 'landmarks' | 'full'); 'people' always does. */
	ppe?: boolean;
}

/** Hard hat worn? `'unknown'` is a first-class answer: no head, too small, too dark. */
export type PpeWorn = true | false | 'unknown';

export type PpeUnknownReason =
	/** No head found to look above. */
	| 'no_head'
	/** The head is too few pixels wide to judge. */
	| 'too_small'
	/** The region above the head is too dark (or washed out) to judge colour. */
	| 'too_dark'
	/** The region above the head leaves the frame. */
	| 'out_of_frame'
	/** Features were measured but the classifier is not sure either way. */
	| 'uncertain';

export interface PpeObservation {
	worn: PpeWorn;
	/** 0..1, how sure the classifier is of `worn` (0 when `worn` is 'unknown' for lack of input). */
	confidence: number;
	/** Why `worn` is 'unknown'; null otherwise. */
	reason: PpeUnknownReason | null;
	/** The head-top region analysed, frame pixels (null when there was no head). */
	region: Box | null;
	/**
	 * The feature vector the classifier saw, in `PPE_FEATURE_NAMES` order (ppe.ts); kept with
	 * gate events and alerts so safety staff's labels can train the site's model. Null when the
	 * region could not be measured.
	 */
	features: number[] | null;
	/** Which classifier answered: 'builtin-<n>' or a site model's version. */
	model: string;
}

/**
 * A site's own hard-hat classifier, trained in the browser on safety staff's labels
 * (ppe-learn.ts): logistic regression on standardised PPE features. Synced as a blob.
 */
export interface PpeSiteModel {
	/** ULID of this version. */
	version: string;
	kind: 'logistic';
	/** PPE_FEATURE_NAMES when trained; a model whose names differ from the app's is ignored. */
	features: string[];
	mean: number[];
	std: number[];
	weights: number[];
	bias: number;
	/** p(worn) ≥ threshold → worn; p ≤ 1 − threshold → not worn; between → 'unknown' (uncertain). */
	threshold: number;
}

export interface Point {
	x: number;
	y: number;
}

/** One person seen by the pose model ('people' mode). */
export interface PersonObservation {
	/** Bounds of the visible landmarks, frame pixels. */
	box: Box;
	/** Mean landmark visibility 0..1. */
	score: number;
	/**
	 * Where the person stands, frame pixels: between the ankles when both are visible, else the
	 * bottom of the visible body (the body may be cut off by the frame edge).
	 */
	feet: Point;
	feetVisible: boolean;
	/** The head box from the pose's face landmarks (nose, eyes, ears), null if not visible. */
	head: Box | null;
	ppe: PpeObservation;
}

export interface Box {
	/** Pixels in the analysed frame, origin top-left. */
	x: number;
	y: number;
	width: number;
	height: number;
}

export interface FaceObservation {
	box: Box;
	/** Detector confidence 0..1. */
	score: number;
	/** Head pose in degrees (from the mesh; null in 'detect' mode). Yaw > 0: the person turns to their left (image right). */
	yaw: number | null;
	pitch: number | null;
	roll: number | null;
	/**
	 * Eye openness per eye, the eye aspect ratio (lid gap / eye width) from mesh landmarks:
	 * about 0.25–0.35 open, below ~0.15 closed. Null in 'detect' mode.
	 */
	eyes: { left: number; right: number } | null;
	/** The hard-hat check, when asked for (AnalysisOptions.ppe); null otherwise. */
	ppe: PpeObservation | null;
	/** L2-normalised identity embedding (faceres, 1024 values); only in 'full' mode. */
	embedding: number[] | null;
	/** Anti-spoof model: 0..1, higher = a real face rather than a photo or screen. 'full' only. */
	antispoof: number | null;
	/** Liveness model: 0..1, higher = live. 'full' only. */
	liveness: number | null;
	/** Variance of the Laplacian of the grey face crop (higher = sharper). */
	sharpness: number;
	/** Mean luma of the face crop, 0..255. */
	brightness: number;
}

export interface FrameAnalysis {
	mode: AnalysisMode;
	width: number;
	height: number;
	/** Largest face first. */
	faces: FaceObservation[];
	/** 'people' mode only: everyone the pose model found, largest first. */
	people?: PersonObservation[];
	/** Time spent in the worker, per stage, ms. */
	timings: {
		detect: number;
		mesh?: number;
		embed?: number;
		pose?: number;
		segment?: number;
		ppe?: number;
		total: number;
	};
	/** performance.timeOrigin-relative time the frame was captured (from the caller). */
	capturedAt: number;
}

/** One model file as the pipeline recorded it (models/manifest.json). */
export interface ModelFile {
	/** URL path under the app's origin, e.g. /models/faceres.bin. */
	url: string;
	bytes: number;
	sha256: string;
	source: { package: string; version: string; path: string };
	/** What the pipeline did to it: copied, or converted (metadata added, bundled as .task). */
	transform: 'copy' | 'tflite-metadata' | 'task-bundle';
}

export interface ModelStatus {
	name: string;
	state: 'pending' | 'loading' | 'ready' | 'failed';
	/** Why it failed (checksum mismatch, fetch error), for the gate's health panel. */
	error?: string;
	loadMs?: number;
}

export interface VisionHealth {
	models: ModelStatus[];
	ready: boolean;
	/** The backend the embedding model runs on ('wasm', 'cpu', …). */
	backend: string | null;
}
