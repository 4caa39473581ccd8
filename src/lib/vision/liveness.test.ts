import { describe, expect, it } from 'vitest';
import {
	CHALLENGE_KINDS,
	challengeText,
	LivenessCheck,
	livenessReasonText,
	livenessVerdict,
	newChallenge,
	type LivenessReason,
	type LivenessState
} from './liveness';
import type { Box, FaceObservation } from './types';

const FRAME_MS = 1000 / 15;
const BOX: Box = { x: 220, y: 120, width: 200, height: 240 };

function rng(seed: number) {
	let a = seed >>> 0;
	const uniform = () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	const gauss = () =>
		Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
	return { uniform, gauss };
}

interface Pose {
	yaw?: number;
	ear?: number;
	box?: Box;
	embedding?: number[] | null;
}

function face({ yaw = 0, ear = 0.3, box = BOX, embedding = null }: Pose = {}): FaceObservation {
	return {
		box,
		score: 0.95,
		yaw,
		pitch: 0,
		roll: 0,
		eyes: { left: ear, right: ear },
		ppe: null,
		embedding,
		antispoof: null,
		liveness: null,
		sharpness: 200,
		brightness: 120
	};
}

/** Feeds a frame every 1/15 s; `pose(t)` gives the face at t ms (null: no face). */
function run(
	check: LivenessCheck,
	pose: (t: number, frame: number) => Pose | null,
	untilMs = 6000
): LivenessState {
	let state = check.state;
	for (let frame = 0, t = 0; t <= untilMs; frame++, t = frame * FRAME_MS) {
		const p = pose(t, frame);
		state = check.observe(p ? face(p) : null, 1000 + t);
		if (state.state !== 'waiting') break;
	}
	return state;
}

describe('newChallenge', () => {
	it('picks each challenge with its zh-CN instruction', () => {
		expect(newChallenge(() => 0)).toEqual({ kind: 'blink', instruction: '请眨眨眼' });
		expect(newChallenge(() => 0.5)).toEqual({ kind: 'turn_left', instruction: '请向左转头' });
		expect(newChallenge(() => 0.99)).toEqual({ kind: 'turn_right', instruction: '请向右转头' });
		expect(newChallenge(() => 1).kind).toBe('turn_right');
		expect(challengeText('turn_left', 'en')).toMatch(/your left/);
	});

	it('is about equally likely to pick each', () => {
		const { uniform } = rng(1);
		const counts = new Map<string, number>();
		for (let i = 0; i < 3000; i++) {
			const kind = newChallenge(uniform).kind;
			counts.set(kind, (counts.get(kind) ?? 0) + 1);
		}
		expect([...counts.keys()].sort()).toEqual([...CHALLENGE_KINDS].sort());
		for (const n of counts.values()) expect(n).toBeGreaterThan(900);
	});
});

describe('LivenessCheck: blink', () => {
	it('passes when the eyes close and reopen', () => {
		const { gauss } = rng(2);
		const check = new LivenessCheck('blink');
		// Open (EAR 0.30 with mesh noise) for 1 s, closed for 4 frames (~270 ms), open again.
		const state = run(check, (t) => ({
			ear: (t >= 1000 && t < 1260 ? 0.1 : 0.3) + 0.01 * gauss(),
			yaw: gauss()
		}));
		expect(state.state).toBe('passed');
		if (state.state === 'passed') expect(state.elapsedMs).toBeLessThan(1500);
	});

	it('measures against the person’s own eyes (narrow eyes blink too)', () => {
		const check = new LivenessCheck('blink');
		// Open at 0.2 (narrow), closed at 0.1: absolute levels would call 0.2 half-closed already.
		const state = run(check, (t) => ({ ear: t >= 800 && t < 1100 ? 0.1 : 0.2 }));
		expect(state.state).toBe('passed');
	});

	it('counts a blink during the first (baseline) frames', () => {
		const check = new LivenessCheck('blink');
		const state = run(check, (_, frame) => ({ ear: frame === 1 || frame === 2 ? 0.08 : 0.3 }));
		expect(state).toEqual({ state: 'passed', elapsedMs: expect.any(Number) });
		if (state.state === 'passed') expect(state.elapsedMs).toBeLessThan(500);
	});

	it('does not take a one-frame dip for a blink', () => {
		const check = new LivenessCheck('blink');
		const state = run(check, (_, frame) => ({ ear: frame % 10 === 7 ? 0.05 : 0.3 }));
		expect(state).toMatchObject({ state: 'failed', reason: 'no_motion' });
	});

	it('shows progress when the eyes are closed', () => {
		const check = new LivenessCheck('blink');
		const state = run(check, (t) => ({ ear: t >= 600 ? 0.1 : 0.3 }), 1000);
		expect(state).toEqual({ state: 'waiting', progress: 0.5 });
	});
});

describe('LivenessCheck: turns', () => {
	/** Frontal for 0.6 s, then turning at 40°/s up to `to` degrees. */
	const turning = (to: number) => (t: number) => ({
		yaw: t < 600 ? 0 : Math.sign(to) * Math.min(Math.abs(to), ((t - 600) / 1000) * 40)
	});

	it('turn_left passes when yaw grows by 15° (the person’s own left)', () => {
		const check = new LivenessCheck('turn_left');
		const state = run(check, turning(25));
		expect(state.state).toBe('passed');
		// 15° at 40°/s after 0.6 s, plus a frame or two for the median.
		if (state.state === 'passed') expect(state.elapsedMs).toBeGreaterThan(900);
		if (state.state === 'passed') expect(state.elapsedMs).toBeLessThan(1300);
	});

	it('turn_right passes when yaw falls by 15°, from wherever the head started', () => {
		const check = new LivenessCheck(newChallenge(() => 0.9));
		expect(check.challenge.kind).toBe('turn_right');
		const state = run(check, (t) => ({ yaw: 10 + turning(-20)(t).yaw }));
		expect(state.state).toBe('passed');
	});

	it('fails when the head turns the other way', () => {
		expect(run(new LivenessCheck('turn_left'), turning(-25))).toMatchObject({
			state: 'failed',
			reason: 'wrong_direction'
		});
		expect(run(new LivenessCheck('turn_right'), turning(25))).toMatchObject({
			state: 'failed',
			reason: 'wrong_direction'
		});
	});

	it('reports progress towards the turn', () => {
		const check = new LivenessCheck('turn_left');
		const state = run(check, turning(9), 2000);
		expect(state.state).toBe('waiting');
		if (state.state === 'waiting') expect(state.progress).toBeCloseTo(0.6, 1);
	});

	it('accepts a configured angle', () => {
		expect(run(new LivenessCheck('turn_left', { turnDegrees: 30 }), turning(25))).toMatchObject({
			state: 'failed',
			reason: 'timeout'
		});
	});
});

describe('LivenessCheck: what must fail', () => {
	it('a still photo fails with no_motion once the time is up', () => {
		for (const kind of CHALLENGE_KINDS) {
			const check = new LivenessCheck(kind);
			const state = run(check, () => ({ yaw: 3, ear: 0.28 }));
			expect(state).toEqual({
				state: 'failed',
				reason: 'no_motion',
				elapsedMs: expect.any(Number)
			});
			if (state.state === 'failed') expect(state.elapsedMs).toBeGreaterThan(5000);
		}
	});

	it('mesh noise and single-frame outliers alone never pass', () => {
		for (const kind of CHALLENGE_KINDS) {
			for (let seed = 10; seed < 20; seed++) {
				const { gauss, uniform } = rng(seed);
				const check = new LivenessCheck(kind);
				// ±1.5° and ±0.01 of noise, and every few frames one wild frame (a mesh glitch).
				let lastGlitch = -10;
				const state = run(check, (_, frame) => {
					const glitch = frame - lastGlitch >= 3 && uniform() < 0.15;
					if (glitch) lastGlitch = frame;
					return {
						yaw: glitch ? 40 * Math.sign(gauss()) : 1.5 * gauss(),
						ear: glitch ? 0.05 : 0.3 + 0.01 * gauss()
					};
				});
				expect(state, `${kind} seed ${seed}`).toMatchObject({
					state: 'failed',
					reason: 'no_motion'
				});
			}
		}
	});

	it('times out when the person moves but not enough', () => {
		const check = new LivenessCheck('turn_left');
		const state = run(check, (t) => ({ yaw: t < 600 ? 0 : 8 }));
		expect(state).toMatchObject({ state: 'failed', reason: 'timeout' });
		const blink = new LivenessCheck('blink');
		// Squints (down to 75 %) but never closes.
		expect(run(blink, (t) => ({ ear: t > 1000 && t < 2000 ? 0.22 : 0.3 }))).toMatchObject({
			state: 'failed',
			reason: 'timeout'
		});
	});

	it('fails when the face jumps to another place mid-challenge (someone else steps in)', () => {
		const check = new LivenessCheck('turn_left');
		const other: Box = { x: 20, y: 100, width: 200, height: 240 };
		const state = run(check, (t) => ({
			box: t < 1000 ? BOX : other,
			yaw: t < 1000 ? 0 : 20
		}));
		expect(state).toMatchObject({ state: 'failed', reason: 'face_changed' });
	});

	it('fails when the face abruptly changes size (a photo brought up to the camera)', () => {
		const check = new LivenessCheck('blink');
		const big: Box = { x: 170, y: 60, width: 300, height: 360 };
		expect(run(check, (t) => ({ box: t < 1000 ? BOX : big }))).toMatchObject({
			state: 'failed',
			reason: 'face_changed'
		});
	});

	it('fails when the embedding becomes someone else’s at the same place', () => {
		const { gauss } = rng(20);
		const a = Array.from({ length: 64 }, gauss);
		const b = Array.from({ length: 64 }, gauss);
		const check = new LivenessCheck('blink');
		const state = run(check, (t) => ({
			embedding: t < 1000 ? a : b,
			ear: t > 1500 && t < 1800 ? 0.1 : 0.3
		}));
		expect(state).toMatchObject({ state: 'failed', reason: 'face_changed' });
		// The same person with a little noise in the embedding passes.
		const same = new LivenessCheck('blink');
		expect(
			run(same, (t) => ({
				embedding: a.map((x) => x + 0.3 * gauss()),
				ear: t > 1500 && t < 1800 ? 0.1 : 0.3
			})).state
		).toBe('passed');
	});

	it('fails when the face is gone too long, tolerates a short dropout', () => {
		const gone = new LivenessCheck('turn_left');
		expect(run(gone, (t) => (t > 500 && t < 1500 ? null : { yaw: 0 }))).toMatchObject({
			state: 'failed',
			reason: 'face_lost'
		});
		const flicker = new LivenessCheck('turn_left');
		expect(run(flicker, (t) => (t > 500 && t < 800 ? null : { yaw: t < 900 ? 0 : 20 })).state).toBe(
			'passed'
		);
	});

	it('stays failed or passed whatever comes next', () => {
		const check = new LivenessCheck('blink');
		const failed = run(check, () => ({ ear: 0.3 }));
		expect(failed.state).toBe('failed');
		expect(check.observe(face({ ear: 0.05 }), 7000)).toBe(failed);
		expect(check.observe(face({ ear: 0.3 }), 7100)).toBe(failed);
		expect(check.state).toBe(failed);
	});
});

describe('livenessVerdict', () => {
	const passed: LivenessState = { state: 'passed', elapsedMs: 1200 };

	it('passes a completed challenge with good model scores (medians over frames)', () => {
		const v = livenessVerdict({
			challenge: passed,
			antispoof: [0.9, 0.2, 0.85, null],
			liveness: [0.7, 0.8, 0.75]
		});
		expect(v).toEqual({ result: 'passed', reasons: [], antispoof: 0.85, liveness: 0.75 });
	});

	it('fails on low model scores even when the challenge passed', () => {
		const v = livenessVerdict({
			challenge: passed,
			antispoof: [0.95, 0.1, 0.2, 0.3],
			liveness: [0.2, 0.9, 0.3]
		});
		expect(v.result).toBe('failed');
		expect(v.reasons).toEqual(['antispoof_low', 'liveness_low']);
		expect(v.antispoof).toBe(0.25);
		// Thresholds are parameters.
		expect(
			livenessVerdict(
				{ challenge: passed, antispoof: [0.3], liveness: [0.3] },
				{ minAntispoof: 0.2, minLiveness: 0.2 }
			).result
		).toBe('passed');
	});

	it('fails closed when a model gave no score', () => {
		const v = livenessVerdict({ challenge: passed, antispoof: [null, null], liveness: [] });
		expect(v).toEqual({
			result: 'failed',
			reasons: ['antispoof_missing', 'liveness_missing'],
			antispoof: null,
			liveness: null
		});
	});

	it('carries the challenge’s failure, or that it did not finish', () => {
		const good = { antispoof: [0.9], liveness: [0.9] };
		expect(
			livenessVerdict({
				challenge: { state: 'failed', reason: 'no_motion', elapsedMs: 5100 },
				...good
			}).reasons
		).toEqual(['challenge_no_motion']);
		expect(
			livenessVerdict({ challenge: { state: 'waiting', progress: 0.5 }, ...good }).reasons
		).toEqual(['challenge_unfinished']);
	});

	it('has a sentence for every reason in both languages', () => {
		const reasons: LivenessReason[] = [
			'challenge_timeout',
			'challenge_no_motion',
			'challenge_face_lost',
			'challenge_face_changed',
			'challenge_wrong_direction',
			'challenge_unfinished',
			'antispoof_low',
			'antispoof_missing',
			'liveness_low',
			'liveness_missing'
		];
		for (const r of reasons) {
			expect(livenessReasonText(r)).toMatch(/[\u4e00-\u9fff]/);
			expect(livenessReasonText(r, 'en')).toMatch(/^[A-Z]/);
		}
	});
});

describe('a slow device', () => {
	it('does not take a long gap between two frames that both show the face for a lost face', () => {
		const check = new LivenessCheck('turn_left', { timeLimitMs: 8000 });
		let at = 0;
		for (let i = 0; i < 6; i++)
			expect(check.observe(face({ yaw: -9 }), (at += 750)).state).toBe('waiting');
		let state = check.observe(face({ yaw: 13 }), (at += 750));
		for (let i = 0; i < 3 && state.state === 'waiting'; i++)
			state = check.observe(face({ yaw: 13 }), (at += 750));
		expect(state.state).toBe('passed');
	});
});

describe('a turn begun while the baseline is taken', () => {
	it('passes, and is not called the wrong direction', () => {
		const check = new LivenessCheck('turn_left');
		const yaws = [-9, -9, -9, 12, 12, 12, 12, 12, 12];
		let state = check.observe(face({ yaw: yaws[0]! }), 0);
		for (let i = 1; i < yaws.length && state.state === 'waiting'; i++)
			state = check.observe(face({ yaw: yaws[i]! }), i * 100);
		expect(state.state).toBe('passed');
	});
});
