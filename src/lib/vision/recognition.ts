// The face-match operating point the gate uses, chosen from measured separation
// (bench/face-identification, bench/README.md): 12 fixture faces × 12 transforms; genuine scores
// 0.893–0.993 (median 0.968; same-person pairs are transformed copies of one photo), impostor
// scores 0.280–0.685 (median 0.463, n = 3,168).
//
// How: threshold.ts's chooseThreshold for a whole-gate false-accept target of 1 % with 10,000
// enrolled workers (perComparisonFar → 1.0e-6 per comparison). 3,168 impostor scores cannot show a
// rate that small, so the rule extrapolates: the highest of the measured threshold, the top
// impostor + 0.05 and the normal fit's tail, which gives 0.8213. At it: 0 of 3,168 false accepts,
// 0 of 288 false rejects on the fixtures; at 0.9 false rejects start (2.1 %). Real second visits
// (another day, light, a hard hat) score lower than transformed copies, so expect some refusals;
// the worker then uses the QR pass or ID + PIN, and the number should be re-measured on site.

/** Cosine similarity at or above which the best template counts as the same person. */
export const MATCH_THRESHOLD = 0.82;
/**
 * The best worker must beat the second-best (a different worker) by at least this much. Correct
 * matches on the fixtures beat the next face by 0.27 or more (median 0.38).
 */
export const MATCH_MARGIN = 0.08;
