// The muster screens' messages (issue 10), spread into the catalogue in messages.ts. zh-CN first;
// `musterEn` must carry every key of `musterZhCN` (the type says so).

export const musterZhCN = {} as const;

export const musterEn: Record<keyof typeof musterZhCN, string> = {};
