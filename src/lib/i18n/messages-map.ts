// The map screens' messages (issue 10), spread into the catalogue in messages.ts. zh-CN first;
// `mapEn` must carry every key of `mapZhCN` (the type says so).

export const mapZhCN = {} as const;

export const mapEn: Record<keyof typeof mapZhCN, string> = {};
