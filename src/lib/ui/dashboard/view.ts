// Small pure helpers the dashboard screens share: what today's tiles show, the last n days of the
// day series, categories by size. The counting itself is in src/lib/data/stats (one rule, one place).
import { emptyPoint } from '$lib/data/stats/dashboard';
import type { Dashboard, DaySeriesPoint } from '$lib/data/stats/types';

/** Today's hours and worker-days (the day series' point for `dash.today`). */
/** Today's hours: closed stays plus those inside now up to now (`openHoursToday`). */
export function hoursToday(dash: Dashboard): { hours: number; workerDays: number } {
	const d = dash.days.find((p) => p.date === dash.today);
	return { hours: (d?.hours ?? 0) + dash.openHoursToday, workerDays: d?.workerDays ?? 0 };
}

/** Today's alerts by kind and their total (false alarms are not counted by the read model). */
export function alertsToday(dash: Dashboard) {
	const d = dash.days.find((p) => p.date === dash.today);
	const ppe = d?.ppe ?? 0;
	const zone = d?.zone ?? 0;
	const geofence = d?.geofence ?? 0;
	const other = d?.other ?? 0;
	return { ppe, zone, geofence, other, total: ppe + zone + geofence + other };
}

/** The `n` days ending today, oldest first; days without a point are zeros. */
export function dayWindow(dash: Dashboard, n: number): DaySeriesPoint[] {
	const byDate = new Map(dash.days.map((d) => [d.date, d]));
	const [y, m, d] = dash.today.split('-').map(Number) as [number, number, number];
	const out: DaySeriesPoint[] = [];
	for (let i = n - 1; i >= 0; i--) {
		const date = new Date(Date.UTC(y, m - 1, d - i)).toISOString().slice(0, 10);
		out.push(byDate.get(date) ?? emptyPoint(date));
	}
	return out;
}

/** Entries of a count record, largest first (ties by name), zeros dropped. */
export function ranked(counts: Record<string, number>): [string, number][] {
	return Object.entries(counts)
		.filter(([, n]) => n > 0)
		.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0], 'zh-CN'));
}

/** Hours with one decimal at most: 12, 7.5. */
export function fmtHours(h: number): string {
	const r = Math.round(h * 10) / 10;
	return Number.isInteger(r) ? String(r) : r.toFixed(1);
}

/** 'YYYY-MM-DD HH:mm' of an instant in the site's time zone (records are stored in UTC). */
export function siteDateTime(iso: string, timeZone: string): string {
	const t = Date.parse(iso);
	if (Number.isNaN(t)) return iso;
	const parts = Object.fromEntries(
		new Intl.DateTimeFormat('en-CA', {
			timeZone,
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
			hourCycle: 'h23'
		})
			.formatToParts(new Date(t))
			.map((p) => [p.type, p.value])
	);
	return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}
