// Site-local days of instants, fast enough for a year of passages: the zone's offset is asked of
// Intl once per UTC hour and cached, and day numbers become 'YYYY-MM-DD' once each. The dates
// agree with the domain's `localDate` (dates.ts), which stays the rule; this is its cache.
import { addDays, localDate, type IsoDate } from '../../domain/dates';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const offsets = new Map<string, Map<number, number>>();
const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
	let f = partsFormatters.get(timeZone);
	if (!f) {
		f = new Intl.DateTimeFormat('en-US', {
			timeZone,
			hourCycle: 'h23',
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
			second: '2-digit'
		});
		partsFormatters.set(timeZone, f);
	}
	return f;
}

/** The zone's offset from UTC (ms) at instant `t`, cached per UTC hour. */
export function offsetAt(t: number, timeZone: string): number {
	let zone = offsets.get(timeZone);
	if (!zone) offsets.set(timeZone, (zone = new Map()));
	const hour = Math.floor(t / HOUR);
	let off = zone.get(hour);
	if (off === undefined) {
		const at = hour * HOUR;
		const p: Record<string, number> = {};
		for (const part of formatter(timeZone).formatToParts(new Date(at)))
			if (part.type !== 'literal') p[part.type] = Number(part.value);
		off = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - at;
		zone.set(hour, off);
	}
	return off;
}

const dayNames = new Map<number, IsoDate>();
function dayName(dayNumber: number): IsoDate {
	let s = dayNames.get(dayNumber);
	if (s === undefined) {
		s = new Date(dayNumber * DAY).toISOString().slice(0, 10);
		dayNames.set(dayNumber, s);
	}
	return s;
}

/** The site-local date of instant `t` (epoch ms). */
export function dayOf(t: number, timeZone: string): IsoDate {
	return dayName(Math.floor((t + offsetAt(t, timeZone)) / DAY));
}

/** The site-local day holding `t` and the instant it ends (the next local midnight). */
export function localDayBounds(t: number, timeZone: string): { day: IsoDate; end: number } {
	const off = offsetAt(t, timeZone);
	const n = Math.floor((t + off) / DAY);
	const guess = (n + 1) * DAY - off;
	// Across a change of offset the midnight moves by it; ask again at the guess.
	const end = (n + 1) * DAY - offsetAt(guess, timeZone);
	return { day: dayName(n), end };
}

/** The instant a site-local day starts. */
export function dayStart(day: IsoDate, timeZone: string): number {
	const n = Date.parse(`${day}T00:00:00Z`);
	const guess = n - offsetAt(n, timeZone);
	return n - offsetAt(guess, timeZone);
}

/** Every date of a 'YYYY-MM' month. */
export function daysOfMonth(month: string): IsoDate[] {
	const out: IsoDate[] = [];
	for (let d = `${month}-01`; d.startsWith(month); d = addDays(d, 1)) out.push(d);
	return out;
}

/** 'YYYY-MM' months from `from` to `to`, inclusive. */
export function monthsBetween(from: string, to: string): string[] {
	const out: string[] = [];
	let [y, m] = from.split('-').map(Number) as [number, number];
	for (;;) {
		const s = `${y}-${String(m).padStart(2, '0')}`;
		if (s > to) return out;
		out.push(s);
		m++;
		if (m > 12) {
			m = 1;
			y++;
		}
	}
}

export { localDate };
