// The current UI language as shared rune state; zh-CN unless the user chose English.
import { format, LOCALES, type Locale, type MessageKey } from './messages';

const STORAGE_KEY = 'sitepass.locale';

class LocaleState {
	current = $state<Locale>('zh-CN');

	constructor() {
		if (typeof localStorage !== 'undefined') {
			const saved = localStorage.getItem(STORAGE_KEY);
			if (saved && (LOCALES as readonly string[]).includes(saved)) this.current = saved as Locale;
		}
	}

	set(locale: Locale) {
		this.current = locale;
		if (typeof localStorage !== 'undefined') localStorage.setItem(STORAGE_KEY, locale);
		if (typeof document !== 'undefined') document.documentElement.lang = locale;
	}

	toggle() {
		this.set(this.current === 'zh-CN' ? 'en' : 'zh-CN');
	}
}

export const locale = new LocaleState();

/** Translate in the current language; reading `locale.current` makes callers reactive. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
	return format(locale.current, key, params);
}
