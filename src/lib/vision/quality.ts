// Enrolment frame quality: whether one analysed frame is good enough to become a face template,
// each problem with a code and a sentence the worker can act on, and the choice of 3–5 frames that
// become the template (good, not near-duplicates, and all of the same person).
import type { Locale } from '../i18n/messages';
import { cosineSimilarity } from './matcher';
import type { FaceObservation, FrameAnalysis } from './types';

export type QualityCode =
	| 'no_face'
	| 'many_faces'
	/** The frame was not analysed in 'full' mode: no pose, eyes or embedding to judge. */
	| 'incomplete'
	| 'too_small'
	| 'cut_off'
	| 'turn_to_camera'
	| 'eyes_closed'
	| 'too_dark'
	| 'too_bright'
	| 'blurry';

export type EnrolmentCode = 'need_more' | 'inconsistent';

export interface QualityIssue {
	code: QualityCode | EnrolmentCode;
	message: string;
}

export interface QualityOptions {
	/** Box height at least this share of the frame height: a small face gives a poor template. */
	minFaceHeight: number;
	/** The box must stay this share of the frame inside each edge (a cut-off face). */
	edgeMargin: number;
	/** Another face at least this share of the subject's height counts as a second person. */
	otherFaceRatio: number;
	/** Frontal: |yaw| and |pitch| at most these degrees. */
	maxYaw: number;
	maxPitch: number;
	/** Mean eye aspect ratio at least this (open is ~0.25–0.35, closed below ~0.15). */
	minEyeOpen: number;
	/** Mean luma of the face crop within these bounds (0..255). */
	minBrightness: number;
	maxBrightness: number;
	/** Variance of the Laplacian of the face crop (engine/metrics.ts cropStats) at least this. */
	minSharpness: number;
	locale: Locale;
}

/**
 * Defaults. Sharpness was measured through the engine's own cropStats on the ten fixture faces
 * (face-api demo photos) drawn at 130 and 240 px face height: sharp 64–721; a Gaussian blur of
 * 1.5 px 10–45 at 130 px; of 2 px 5–17 at 130 px and 13–71 at 240 px. 25 passes every sharp face
 * with room to spare and refuses visible blur on a small face; webcam frames are softer than those
 * photos, so watch the enrolment logs before raising it. A passer-by far behind the worker (under
 * half their face height) does not count as a second face; one beside them does.
 */
export const QUALITY_DEFAULTS: QualityOptions = {
	minFaceHeight: 0.25,
	edgeMargin: 0.01,
	otherFaceRatio: 0.5,
	maxYaw: 15,
	maxPitch: 15,
	minEyeOpen: 0.18,
	minBrightness: 60,
	maxBrightness: 200,
	minSharpness: 25,
	locale: 'zh-CN'
};

const MESSAGES: Record<Locale, Record<QualityCode | EnrolmentCode, string>> = {
	'zh-CN': {
		no_face: '没有检测到人脸，请正对摄像头',
		many_faces: '画面中有多张人脸，请只让登记人站在摄像头前',
		incomplete: '正在识别，请保持不动',
		too_small: '请靠近一些',
		cut_off: '脸部超出画面，请移到画面中间',
		turn_to_camera: '请正对摄像头，不要侧脸、抬头或低头',
		eyes_closed: '请睁开眼睛',
		too_dark: '光线太暗，请到亮一些的地方或打开照明',
		too_bright: '光线太强，请避开强光或逆光',
		blurry: '画面模糊，请保持不动；如仍模糊，请擦拭镜头',
		need_more: '还需要 {n} 张合格画面，请保持正对摄像头',
		inconsistent: '采集到的画面不像同一个人，请只让登记人站在摄像头前，重新采集'
	},
	en: {
		no_face: 'No face found; please face the camera',
		many_faces: 'More than one face; only the person enrolling should be in front of the camera',
		incomplete: 'Analysing; please hold still',
		too_small: 'Please come closer',
		cut_off: 'Your face is partly outside the picture; please move to the middle',
		turn_to_camera: 'Please face the camera directly, without turning or tilting your head',
		eyes_closed: 'Please open your eyes',
		too_dark: 'Too dark; please move somewhere brighter or turn on a light',
		too_bright: 'Too bright; please avoid strong light or backlight',
		blurry: 'The picture is blurred; please hold still, and clean the lens if it stays blurred',
		need_more: '{n} more good frames needed; please keep facing the camera',
		inconsistent:
			'The frames do not look like one person; only the person enrolling should be in front of the camera. Please start again'
	}
};

function issue(code: QualityCode | EnrolmentCode, locale: Locale, n?: number): QualityIssue {
	return { code, message: MESSAGES[locale][code].replace('{n}', String(n ?? '')) };
}

export interface FrameQuality {
	/** True when the frame can become a template: no issues. */
	ok: boolean;
	/** Every problem found, the most basic first (find a face before judging its light). */
	issues: QualityIssue[];
	/** The enrolling person's face, when exactly one face is there. */
	face?: FaceObservation;
}

/** Checks one analysed frame (mode 'full') for enrolment. */
export function assessFrame(
	analysis: FrameAnalysis,
	options: Partial<QualityOptions> = {}
): FrameQuality {
	const o = { ...QUALITY_DEFAULTS, ...options };
	const { locale } = o;
	if (analysis.faces.length === 0) return { ok: false, issues: [issue('no_face', locale)] };
	const face = analysis.faces.reduce((a, b) =>
		b.box.width * b.box.height > a.box.width * a.box.height ? b : a
	);
	const others = analysis.faces.filter(
		(f) => f !== face && f.box.height >= o.otherFaceRatio * face.box.height
	);
	if (others.length > 0) return { ok: false, issues: [issue('many_faces', locale)] };

	const issues: QualityIssue[] = [];
	const { box } = face;
	if (face.yaw === null || face.pitch === null || face.eyes === null || !face.embedding) {
		issues.push(issue('incomplete', locale));
	}
	if (box.height < o.minFaceHeight * analysis.height) issues.push(issue('too_small', locale));
	const mx = o.edgeMargin * analysis.width;
	const my = o.edgeMargin * analysis.height;
	if (
		box.x < mx ||
		box.y < my ||
		box.x + box.width > analysis.width - mx ||
		box.y + box.height > analysis.height - my
	) {
		issues.push(issue('cut_off', locale));
	}
	if (
		(face.yaw !== null && Math.abs(face.yaw) > o.maxYaw) ||
		(face.pitch !== null && Math.abs(face.pitch) > o.maxPitch)
	) {
		issues.push(issue('turn_to_camera', locale));
	}
	if (face.eyes && (face.eyes.left + face.eyes.right) / 2 < o.minEyeOpen) {
		issues.push(issue('eyes_closed', locale));
	}
	if (face.brightness < o.minBrightness) issues.push(issue('too_dark', locale));
	else if (face.brightness > o.maxBrightness) issues.push(issue('too_bright', locale));
	if (face.sharpness < o.minSharpness) issues.push(issue('blurry', locale));
	return { ok: issues.length === 0, issues, face };
}

/** A frame that passed assessFrame: its face (with embedding) and capture time in ms. */
export interface EnrolmentSample {
	face: FaceObservation;
	at: number;
}

export interface PickOptions {
	/** Fewest frames a template may have, and most it keeps. */
	min: number;
	max: number;
	/** Two frames at least this similar are the same picture twice: keep one. */
	duplicateCosine: number;
	/** Kept frames at least this far apart in time, for some variety of blink, pose and light. */
	minGapMs: number;
	/** Every two good frames of one capture must agree at least this much. */
	minAgreement: number;
	locale: Locale;
}

/**
 * 0.75 for agreement: different people scored up to 0.685 (median 0.463) with the app's own
 * templates in bench/face-identification, the same person's transformed frames 0.893 and up; frames
 * of one person seconds apart score at least as high. 0.995 for a duplicate: only a frozen camera
 * repeats a frame that exactly.
 */
export const PICK_DEFAULTS: PickOptions = {
	min: 3,
	max: 5,
	duplicateCosine: 0.995,
	minGapMs: 200,
	minAgreement: 0.75,
	locale: 'zh-CN'
};

export type EnrolmentPick =
	| {
			ok: true;
			/** Kept frames, sharpest first; their embeddings become the template. */
			frames: EnrolmentSample[];
			/** The lowest cosine between any two good frames of the capture (≥ minAgreement). */
			consistency: number;
	  }
	| {
			ok: false;
			frames: EnrolmentSample[];
			consistency: number | null;
			issue: QualityIssue;
			/** Good frames still needed (0 when the capture is inconsistent). */
			need: number;
	  };

/**
 * Chooses the template frames from a capture's good frames: sharpest first, skipping
 * near-duplicates (by embedding) and frames too close in time to one kept, up to `max`. All good
 * frames, kept or not, must agree with each other: if anyone else appeared during the capture,
 * the enrolment starts again rather than guess whose face it is.
 */
export function pickEnrolmentFrames(
	samples: readonly EnrolmentSample[],
	options: Partial<PickOptions> = {}
): EnrolmentPick {
	const o = { ...PICK_DEFAULTS, ...options };
	if (!(o.min >= 1 && o.max >= o.min)) throw new Error('pickEnrolmentFrames: need 1 ≤ min ≤ max');
	const good = samples.filter((s) => s.face.embedding && s.face.embedding.length > 0);
	let consistency: number | null = null;
	for (let i = 0; i < good.length; i++) {
		for (let j = i + 1; j < good.length; j++) {
			const c = cosineSimilarity(good[i]!.face.embedding!, good[j]!.face.embedding!);
			consistency = consistency === null ? c : Math.min(consistency, c);
		}
	}
	const ranked = [...good].sort((a, b) => b.face.sharpness - a.face.sharpness || a.at - b.at);
	const frames: EnrolmentSample[] = [];
	for (const s of ranked) {
		if (frames.length >= o.max) break;
		const distinct = frames.every(
			(k) =>
				Math.abs(k.at - s.at) >= o.minGapMs &&
				cosineSimilarity(k.face.embedding!, s.face.embedding!) < o.duplicateCosine
		);
		if (distinct) frames.push(s);
	}
	if (consistency !== null && consistency < o.minAgreement) {
		return { ok: false, frames, consistency, issue: issue('inconsistent', o.locale), need: 0 };
	}
	if (frames.length < o.min) {
		const need = o.min - frames.length;
		return { ok: false, frames, consistency, issue: issue('need_more', o.locale, need), need };
	}
	return { ok: true, frames, consistency: consistency ?? 1 };
}
