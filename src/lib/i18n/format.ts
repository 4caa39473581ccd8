// Locale-aware rendering of times and of the relay's refusal codes.
import { format, type Locale, type MessageKey } from './messages';

export function formatTime(locale: Locale, at: number | Date, now = Date.now()): string {
	const date = typeof at === 'number' ? new Date(at) : at;
	const sameDay = new Date(now).toDateString() === date.toDateString();
	return new Intl.DateTimeFormat(locale, {
		...(sameDay ? {} : { month: 'numeric', day: 'numeric' }),
		hour: '2-digit',
		minute: '2-digit',
		hour12: false
	}).format(date);
}

const REFUSALS: Record<number, MessageKey> = {
	4400: 'refusal.4400',
	4401: 'refusal.4401',
	4403: 'refusal.4403',
	4404: 'refusal.4404',
	4413: 'refusal.4413'
};

/** A person-readable reason for a relay refusal; the relay's own detail follows in brackets. */
export function describeRefusal(locale: Locale, code: number, reason: string): string {
	const key = REFUSALS[code];
	const text = key ? format(locale, key) : format(locale, 'refusal.other', { code });
	return reason ? `${text}（${reason}）` : text;
}
