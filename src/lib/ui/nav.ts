// The app's pages by user task (DESIGN.md "Folders"): one list drives the menu and the overview.
import type { MessageKey } from '$lib/i18n/messages';
import type { IconName } from './icons';

export interface NavItem {
	id: string;
	href: string;
	label: MessageKey;
	icon: IconName;
	/** Who mostly works here; shown on the overview so people find their starting point. */
	roles: MessageKey[];
}

export const NAV: readonly NavItem[] = [
	{ id: 'home', href: '/', label: 'nav.home', icon: 'home', roles: [] },
	{
		id: 'ledger',
		href: '/ledger',
		label: 'nav.ledger',
		icon: 'users',
		roles: ['role.contractor', 'role.staff']
	},
	{
		id: 'applications',
		href: '/applications',
		label: 'nav.applications',
		icon: 'arrow',
		roles: ['role.contractor']
	},
	{ id: 'review', href: '/review', label: 'nav.review', icon: 'check', roles: ['role.staff'] },
	{
		id: 'permits',
		href: '/permits',
		label: 'nav.permits',
		icon: 'permit',
		roles: ['role.staff']
	},
	{ id: 'gate', href: '/gate', label: 'nav.gate', icon: 'gate', roles: ['role.gate'] },
	{ id: 'monitor', href: '/monitor', label: 'nav.monitor', icon: 'camera', roles: ['role.staff'] },
	{
		id: 'ppe-learn',
		href: '/safety/ppe',
		label: 'ppeLearn.nav',
		icon: 'shield',
		roles: ['role.staff']
	},
	{ id: 'map', href: '/map', label: 'nav.map', icon: 'map', roles: ['role.staff'] },
	{ id: 'me', href: '/me', label: 'nav.me', icon: 'alarm', roles: ['role.worker'] },
	{ id: 'muster', href: '/muster', label: 'nav.muster', icon: 'alarm', roles: ['role.staff'] },
	{
		id: 'dashboard',
		href: '/dashboard',
		label: 'nav.dashboard',
		icon: 'chart',
		roles: ['role.staff', 'role.hq']
	},
	{ id: 'admin', href: '/admin', label: 'nav.admin', icon: 'settings', roles: ['role.admin'] }
];

/** Pages reached from the top bar rather than the menu (the bell). */
export const TOP_BAR: readonly NavItem[] = [
	{
		id: 'notifications',
		href: '/notifications',
		label: 'nav.notifications',
		icon: 'bell',
		roles: []
	}
];

/** The nav item a path belongs to ('/ledger/w/1' belongs to ledger). */
export function activeNav(pathname: string): NavItem | undefined {
	const path = pathname.replace(/\/+$/, '') || '/';
	if (path === '/') return NAV[0];
	return [...NAV, ...TOP_BAR].find(
		(item) => item.href !== '/' && (path === item.href || path.startsWith(item.href + '/'))
	);
}
