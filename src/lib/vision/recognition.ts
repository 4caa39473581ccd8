// The face-match operating point the gate uses. Chosen from the measured separation of the
// identification benchmark (bench/face-identification): see bench/README.md for the genuine and
// impostor score distributions, and threshold.ts for the rule that picks the threshold.

/** Cosine similarity at or above which the best template counts as the same person. */
export const MATCH_THRESHOLD = 0.6;
/** The best worker must beat the second-best (a different worker) by at least this much. */
export const MATCH_MARGIN = 0.08;
