// The geofence screens' messages (issue 10), spread into the catalogue in messages.ts. zh-CN first;
// `geofenceEn` must carry every key of `geofenceZhCN` (the type says so).

export const geofenceZhCN = {} as const;

export const geofenceEn: Record<keyof typeof geofenceZhCN, string> = {};
