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
	| 'full';

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
	/** Time spent in the worker, per stage, ms. */
	timings: { detect: number; mesh?: number; embed?: number; total: number };
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
