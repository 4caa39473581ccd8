import { describe, expect, it } from 'vitest';
import { catalogues, en, format, zhCN } from './messages';

describe('message catalogue', () => {
	it('has the same keys in every language, none empty', () => {
		const keys = Object.keys(zhCN).sort();
		expect(Object.keys(en).sort()).toEqual(keys);
		for (const catalogue of Object.values(catalogues)) {
			for (const key of keys) expect(catalogue[key as keyof typeof zhCN].trim()).not.toBe('');
		}
	});

	it('uses the same placeholders in every language', () => {
		const placeholders = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
		for (const key of Object.keys(zhCN) as (keyof typeof zhCN)[]) {
			expect(placeholders(en[key]), key).toEqual(placeholders(zhCN[key]));
		}
	});

	it('fills placeholders and leaves missing ones visible', () => {
		expect(format('zh-CN', 'nav.home')).toBe('概览');
		expect(format('en', 'nav.home')).toBe('Overview');
	});
});
