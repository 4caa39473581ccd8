// Who this device is: the token it received at enrolment, kept in localStorage, and its claims.
import type { Claims } from '../data/access';
import { decodeClaims, isExpired } from './token';

const KEY = 'sitepass.token';

class Session {
	token = $state<string | null>(null);
	readonly claims: Claims | null = $derived(this.token ? decodeClaims(this.token) : null);
	readonly expired: boolean = $derived(!!this.claims && isExpired(this.claims));

	constructor() {
		if (typeof localStorage !== 'undefined') this.token = localStorage.getItem(KEY);
	}

	signIn(token: string) {
		if (!decodeClaims(token)) throw new Error('not a SitePass token');
		localStorage.setItem(KEY, token);
		this.token = token;
	}

	signOut() {
		localStorage.removeItem(KEY);
		this.token = null;
	}
}

export const session = new Session();
