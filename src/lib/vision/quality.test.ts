import { describe, expect, it } from 'vitest';
import { assessFrame, pickEnrolmentFrames, type EnrolmentSample } from './quality';
import type { FaceObservation, FrameAnalysis } from './types';

const DIM = 64;

function rng(seed: number) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
		a = (a + 0x6d2b79f5) >>> 0;
		let s = a;
		s = Math.imul(s ^ (s >>> 15), s | 1);
		s ^= s + Math.imul(s ^ (s >>> 7), s | 61);
		const v = ((s ^ (s >>> 14)) >>> 0) / 4294967296;
		return Math.sqrt(-2 * Math.log(u + 1e-12)) * Math.cos(2 * Math.PI * v);
	};
}

function unit(v: number[]): number[] {
	const n = Math.hypot(...v);
	return v.map((x) => x / n);
}

/** A person's embedding and frames of them, each at cosine ≈ `similarity` from the centre. */
function person(seed: number) {
	const gauss = rng(seed);
	const centre = unit(Array.from({ length: DIM }, gauss));
	return (similarity = 0.9) => {
		const noise = unit(Array.from({ length: DIM }, gauss));
		const k = Math.sqrt(1 - similarity ** 2);
		return unit(centre.map((x, i) => similarity * x + k * noise[i]!));
	};
}

/** A good enrolment face in a 640×480 frame; override what a test is about. */
function face(over: Partial<FaceObservation> = {}): FaceObservation {
	return {
		box: { x: 240, y: 120, width: 160, height: 200 },
		score: 0.97,
		ppe: null,
		yaw: 2,
		pitch: -3,
		roll: 1,
		eyes: { left: 0.3, right: 0.29 },
		embedding: person(1)(),
		antispoof: 0.9,
		liveness: 0.9,
		sharpness: 150,
		brightness: 130,
		...over
	};
}

function frame(faces: FaceObservation[], over: Partial<FrameAnalysis> = {}): FrameAnalysis {
	return {
		mode: 'full',
		width: 640,
		height: 480,
		faces,
		timings: { detect: 10, mesh: 20, embed: 60, total: 95 },
		capturedAt: 1000,
		...over
	};
}

const codes = (a: FrameAnalysis) => assessFrame(a).issues.map((i) => i.code);

describe('assessFrame', () => {
	it('accepts a good frontal frame and returns the face', () => {
		const f = face();
		expect(assessFrame(frame([f]))).toEqual({ ok: true, issues: [], face: f });
	});

	it('asks for a face when there is none', () => {
		const q = assessFrame(frame([]));
		expect(q.ok).toBe(false);
		expect(q.issues).toEqual([{ code: 'no_face', message: '没有检测到人脸，请正对摄像头' }]);
		expect(q.face).toBeUndefined();
	});

	it('refuses a second person beside the worker, ignores a passer-by far behind', () => {
		const worker = face();
		const beside = face({ box: { x: 20, y: 140, width: 130, height: 170 } });
		expect(codes(frame([worker, beside]))).toEqual(['many_faces']);
		const farBehind = face({ box: { x: 20, y: 40, width: 40, height: 50 } });
		expect(assessFrame(frame([farBehind, worker]))).toMatchObject({ ok: true, face: worker });
	});

	it('asks to come closer when the face is under a quarter of the frame height', () => {
		expect(codes(frame([face({ box: { x: 280, y: 180, width: 90, height: 110 } })]))).toEqual([
			'too_small'
		]);
		expect(codes(frame([face({ box: { x: 280, y: 180, width: 100, height: 121 } })]))).toEqual([]);
	});

	it('notices a face cut off at an edge', () => {
		expect(codes(frame([face({ box: { x: -20, y: 120, width: 160, height: 200 } })]))).toEqual([
			'cut_off'
		]);
		expect(codes(frame([face({ box: { x: 240, y: 300, width: 160, height: 200 } })]))).toEqual([
			'cut_off'
		]);
	});

	it('asks to face the camera when turned or tilted more than 15°', () => {
		expect(codes(frame([face({ yaw: 22 })]))).toEqual(['turn_to_camera']);
		expect(codes(frame([face({ yaw: -16 })]))).toEqual(['turn_to_camera']);
		expect(codes(frame([face({ pitch: 18 })]))).toEqual(['turn_to_camera']);
		expect(codes(frame([face({ yaw: 14, pitch: -14 })]))).toEqual([]);
	});

	it('asks to open the eyes', () => {
		expect(codes(frame([face({ eyes: { left: 0.1, right: 0.12 } })]))).toEqual(['eyes_closed']);
	});

	it('judges the light and sharpness', () => {
		expect(codes(frame([face({ brightness: 35 })]))).toEqual(['too_dark']);
		expect(codes(frame([face({ brightness: 230 })]))).toEqual(['too_bright']);
		expect(codes(frame([face({ sharpness: 12 })]))).toEqual(['blurry']);
	});

	it('lists every problem, each with a sentence, most basic first', () => {
		const q = assessFrame(
			frame([
				face({
					box: { x: 300, y: 200, width: 60, height: 80 },
					yaw: 30,
					brightness: 30,
					sharpness: 5
				})
			])
		);
		expect(q.issues.map((i) => i.code)).toEqual([
			'too_small',
			'turn_to_camera',
			'too_dark',
			'blurry'
		]);
		expect(q.issues.map((i) => i.message)).toEqual([
			'请靠近一些',
			'请正对摄像头，不要侧脸、抬头或低头',
			'光线太暗，请到亮一些的地方或打开照明',
			'画面模糊，请保持不动；如仍模糊，请擦拭镜头'
		]);
		expect(q.face).toBeDefined();
		expect(
			assessFrame(frame([face({ sharpness: 5 })]), { locale: 'en' }).issues[0]!.message
		).toMatch(/blurred/);
	});

	it('says incomplete for a frame analysed without pose, eyes or embedding', () => {
		const detectOnly = face({ yaw: null, pitch: null, roll: null, eyes: null, embedding: null });
		expect(codes(frame([detectOnly], { mode: 'detect' }))).toEqual(['incomplete']);
	});

	it('takes thresholds as options', () => {
		expect(codes(frame([face({ sharpness: 30 })]))).toEqual([]);
		expect(assessFrame(frame([face({ sharpness: 30 })]), { minSharpness: 50 }).ok).toBe(false);
	});
});

describe('pickEnrolmentFrames', () => {
	function capture(seed: number, n: number, gapMs = 300): EnrolmentSample[] {
		const next = person(seed);
		return Array.from({ length: n }, (_, i) => ({
			face: face({ embedding: next(0.93), sharpness: 100 + ((i * 37) % 60) }),
			at: 1000 + i * gapMs
		}));
	}

	it('keeps up to max frames, sharpest first, and reports their agreement', () => {
		const samples = capture(2, 8);
		const pick = pickEnrolmentFrames(samples, { min: 3, max: 5 });
		expect(pick.ok).toBe(true);
		if (!pick.ok) return;
		expect(pick.frames).toHaveLength(5);
		const sharpness = pick.frames.map((f) => f.face.sharpness);
		expect(sharpness).toEqual([...sharpness].sort((a, b) => b - a));
		expect(Math.min(...sharpness)).toBeGreaterThanOrEqual(
			[...samples.map((s) => s.face.sharpness)].sort((a, b) => b - a)[4]!
		);
		expect(pick.consistency).toBeGreaterThan(0.7);
		expect(pick.consistency).toBeLessThan(1);
	});

	it('needs at least min frames, and says how many more', () => {
		const pick = pickEnrolmentFrames(capture(3, 2), { min: 3, max: 5 });
		expect(pick).toMatchObject({
			ok: false,
			need: 1,
			issue: { code: 'need_more', message: '还需要 1 张合格画面，请保持正对摄像头' }
		});
		expect(pick.frames).toHaveLength(2);
	});

	it('does not count the same picture twice (a frozen camera) or frames too close in time', () => {
		const one = capture(4, 1)[0]!;
		const frozen = [0, 1, 2, 3].map((i) => ({ face: one.face, at: 1000 + i * 500 }));
		expect(pickEnrolmentFrames(frozen)).toMatchObject({ ok: false, need: 2 });
		expect(pickEnrolmentFrames(frozen).frames).toHaveLength(1);
		const burst = capture(5, 6, 30); // six frames in 150 ms
		expect(pickEnrolmentFrames(burst)).toMatchObject({ ok: false, need: 2 });
		expect(pickEnrolmentFrames(burst, { minGapMs: 0 }).ok).toBe(true);
	});

	it('refuses a capture where someone else stepped in', () => {
		const a = capture(6, 4);
		const b = capture(7, 1).map((s) => ({ ...s, at: 5000 }));
		// Even when the other person's frame would not be kept (least sharp).
		b[0]!.face = { ...b[0]!.face, sharpness: 30 };
		const pick = pickEnrolmentFrames([...a, ...b], { min: 3, max: 3 });
		expect(pick).toMatchObject({
			ok: false,
			need: 0,
			issue: {
				code: 'inconsistent',
				message: '采集到的画面不像同一个人，请只让登记人站在摄像头前，重新采集'
			}
		});
		expect(pick.consistency).toBeLessThan(0.6);
	});

	it('skips samples without an embedding', () => {
		const samples = capture(8, 4);
		samples[1] = { ...samples[1]!, face: { ...samples[1]!.face, embedding: null } };
		const pick = pickEnrolmentFrames(samples);
		expect(pick.ok).toBe(true);
		expect(pick.frames).toHaveLength(3);
		expect(pick.frames.every((f) => f.face.embedding)).toBe(true);
	});
});
