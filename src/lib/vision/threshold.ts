// Choosing the face-match threshold from measured separation: error rates at a threshold, the
// equal error rate, and the rule that picks the threshold the gate uses (documented at
// chooseThreshold). Scores are cosine similarities; a comparison is accepted when score ≥ threshold,
// as in matcher.ts.

export interface ErrorRates {
	threshold: number;
	/** False accept rate: share of impostor scores (different people) accepted. */
	far: number;
	/** False reject rate: share of genuine scores (same person) rejected. */
	frr: number;
	falseAccepts: number;
	falseRejects: number;
}

/** FAR and FRR at one threshold. An empty list gives NaN for its rate. */
export function errorRates(
	genuine: readonly number[],
	impostor: readonly number[],
	threshold: number
): ErrorRates {
	const falseAccepts = impostor.filter((s) => s >= threshold).length;
	const falseRejects = genuine.filter((s) => s < threshold).length;
	return {
		threshold,
		far: falseAccepts / impostor.length,
		frr: falseRejects / genuine.length,
		falseAccepts,
		falseRejects
	};
}

/**
 * The equal error rate: over every observed score taken as a threshold, the one where FAR and FRR
 * are closest (the lowest such threshold on a tie), with eer = (FAR + FRR) / 2 there. A summary
 * of separation for reports; the gate's threshold comes from chooseThreshold.
 */
export function equalErrorRate(
	genuine: readonly number[],
	impostor: readonly number[]
): ErrorRates & { eer: number } {
	if (genuine.length === 0 || impostor.length === 0) {
		throw new Error('equalErrorRate: needs genuine and impostor scores');
	}
	checkScores(genuine, 'genuine');
	checkScores(impostor, 'impostor');
	const gen = [...genuine].sort((a, b) => a - b);
	const imp = [...impostor].sort((a, b) => a - b);
	const candidates = [...new Set([...gen, ...imp])].sort((a, b) => a - b);
	let best: ErrorRates | null = null;
	for (const t of candidates) {
		const falseRejects = lowerBound(gen, t);
		const falseAccepts = imp.length - lowerBound(imp, t);
		const far = falseAccepts / imp.length;
		const frr = falseRejects / gen.length;
		if (!best || Math.abs(far - frr) < Math.abs(best.far - best.frr)) {
			best = { threshold: t, far, frr, falseAccepts, falseRejects };
		}
	}
	return { ...best!, eer: (best!.far + best!.frr) / 2 };
}

/**
 * The per-comparison FAR that keeps a 1:N search's chance of accepting an unenrolled person (or
 * the wrong enrolled one) at `systemFar` with `enrolled` templates or workers compared:
 * 1 − (1 − systemFar)^(1/N), about systemFar / N. With 10,000 workers, 1 % at the gate needs 1e-6
 * per comparison.
 */
export function perComparisonFar(systemFar: number, enrolled: number): number {
	if (!(systemFar > 0 && systemFar < 1) || !(enrolled >= 1)) {
		throw new Error('perComparisonFar: systemFar in (0, 1), enrolled ≥ 1');
	}
	return -Math.expm1(Math.log1p(-systemFar) / enrolled);
}

export interface ChooseOptions {
	/** The false accept rate allowed per comparison (see perComparisonFar for a 1:N gate). */
	maxFar: number;
	/** Added to the highest impostor score when the sample is too small to show maxFar. */
	safetyStep?: number;
}

export interface ThresholdChoice extends ErrorRates {
	/**
	 * `measured`: enough impostor scores to observe FAR ≤ maxFar (n·maxFar ≥ 3); the threshold is
	 * the lowest that meets it on the sample. `extrapolated`: too few for that; the threshold is
	 * raised above every impostor score seen (see chooseThreshold).
	 */
	rule: 'measured' | 'extrapolated';
	/** The highest impostor score and the lowest genuine score in the sample. */
	impostorMax: number;
	genuineMin: number;
	/** Normal fit to the impostor scores: mean + z(1 − maxFar)·sd. */
	normalTail: number;
	/** Impostor scores needed for the `measured` rule at this maxFar. */
	impostorsNeeded: number;
}

/**
 * The threshold the gate should use.
 *
 * 1. Measured: the lowest threshold whose FAR on the sample is ≤ maxFar, i.e. just above the
 *    (⌊maxFar·n⌋+1)-th highest impostor score, rounded up to 0.0001.
 * 2. If the sample cannot show that FAR — fewer than 3/maxFar impostor scores (with none of n
 *    accepted, the 95 % upper bound on the true FAR is still about 3/n, the "rule of three") — the
 *    threshold is instead the highest of: (1); the highest impostor score + safetyStep (default
 *    0.05: the unseen tail of a small sample lies above its maximum); and a normal fit's tail
 *    mean + z·sd with z the (1 − maxFar) quantile, which grows with the strictness asked for
 *    where the step alone would not.
 *
 * The genuine scores do not move the threshold (FAR is the safety property); the FRR they give at
 * it is reported, for the price of that safety.
 */
export function chooseThreshold(
	genuine: readonly number[],
	impostor: readonly number[],
	options: ChooseOptions
): ThresholdChoice {
	const { maxFar } = options;
	const safetyStep = options.safetyStep ?? 0.05;
	if (!(maxFar > 0 && maxFar < 1)) throw new Error('chooseThreshold: maxFar must be in (0, 1)');
	if (!(safetyStep >= 0)) throw new Error('chooseThreshold: safetyStep must be ≥ 0');
	if (impostor.length < 2) throw new Error('chooseThreshold: needs at least 2 impostor scores');
	checkScores(genuine, 'genuine');
	checkScores(impostor, 'impostor');
	const n = impostor.length;
	const high = [...impostor].sort((a, b) => b - a);
	const allowed = Math.floor(maxFar * n);
	const measured = allowed >= n ? -1 : above(high[allowed]!);
	const impostorsNeeded = Math.ceil(3 / maxFar);
	const mean = impostor.reduce((s, x) => s + x, 0) / n;
	const sd = Math.sqrt(impostor.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
	const normalTail = mean + normalQuantile(1 - maxFar) * sd;
	const enough = n >= impostorsNeeded;
	const threshold = enough
		? measured
		: Math.max(measured, above(high[0]! + safetyStep), above(normalTail));
	return {
		...errorRates(genuine, impostor, threshold),
		rule: enough ? 'measured' : 'extrapolated',
		impostorMax: high[0]!,
		genuineMin: genuine.length ? Math.min(...genuine) : NaN,
		normalTail,
		impostorsNeeded
	};
}

/** The smallest multiple of 0.0001 strictly above x (a threshold a person can read and type). */
function above(x: number): number {
	const t = Math.ceil(x * 1e4) / 1e4;
	return t > x ? t : Math.round(t * 1e4 + 1) / 1e4;
}

function checkScores(scores: readonly number[], what: string): void {
	if (scores.some((s) => !Number.isFinite(s))) {
		throw new Error(`threshold: a ${what} score is not a finite number`);
	}
}

/** Index of the first element ≥ x in ascending `sorted`. */
function lowerBound(sorted: readonly number[], x: number): number {
	let lo = 0;
	let hi = sorted.length;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if (sorted[mid]! < x) lo = mid + 1;
		else hi = mid;
	}
	return lo;
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
	if (!(p > 0 && p < 1)) throw new Error('normalQuantile: p must be in (0, 1)');
	const a = [
		-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2,
		-3.066479806614716e1, 2.506628277459239
	];
	const b = [
		-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
		-1.328068155288572e1
	];
	const c = [
		-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734,
		4.374664141464968, 2.938163982698783
	];
	const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
	const low = 0.02425;
	const tail = (q: number) =>
		(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
		((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
	if (p < low) return tail(Math.sqrt(-2 * Math.log(p)));
	if (p > 1 - low) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
	const q = p - 0.5;
	const r = q * q;
	return (
		((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
		(((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
	);
}
