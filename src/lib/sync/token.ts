// Reading the claims of this device's token. The device does not verify its own token (the relay
// does, on every socket and request); it only needs to know who it is to open the right documents.
import type { Claims } from '../data/access';
import { ROLES } from '../data/access';

export function decodeClaims(token: string): Claims | null {
	const parts = token.split('.');
	if (parts.length !== 3) return null;
	try {
		const json = atob(parts[1]!.replace(/-/g, '+').replace(/_/g, '/'));
		const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
		const claims = JSON.parse(new TextDecoder().decode(bytes)) as Claims;
		if (typeof claims.sub !== 'string' || !(ROLES as readonly string[]).includes(claims.role)) {
			return null;
		}
		return claims;
	} catch {
		return null;
	}
}

export function isExpired(claims: Claims, now = Date.now()): boolean {
	return typeof claims.exp === 'number' && claims.exp * 1000 <= now;
}
