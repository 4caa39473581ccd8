// The relay's small REST API as the app uses it: enrolment and revocation. Errors carry the
// relay's code so the UI can say what went wrong.
import type { Claims, Role, StaffRole } from '../data/access';

export class ApiError extends Error {
	constructor(
		readonly code: string,
		message: string,
		readonly status: number
	) {
		super(message);
	}
}

async function call<T>(path: string, body: unknown, token?: string): Promise<T> {
	let res: Response;
	try {
		res = await fetch(path, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				...(token ? { authorization: `Bearer ${token}` } : {})
			},
			body: JSON.stringify(body)
		});
	} catch {
		throw new ApiError('OFFLINE', 'relay unreachable', 0);
	}
	const json = (await res.json().catch(() => null)) as
		({ ok: true } & T) | { ok: false; error: { code: string; message: string } } | null;
	if (!res.ok || !json || !json.ok) {
		const error =
			json && !json.ok ? json.error : { code: `HTTP_${res.status}`, message: res.statusText };
		throw new ApiError(error.code, error.message, res.status);
	}
	return json;
}

/**
 * Trades a one-time code for a token. `publicKey` (raw Ed25519, base64url) is the signing key this
 * device has just made; the relay binds it to the enrolled principal in `org.keys` and answers with
 * its `keyId` (refusing a malformed or weak key with BAD_PUBLIC_KEY, a reused one with
 * KEY_ALREADY_BOUND).
 */
export function enrol(code: string, deviceName: string, publicKey?: string) {
	return call<{ token: string; claims: Claims; keyId?: string }>('/api/enrol', {
		code,
		deviceName,
		...(publicKey ? { publicKey } : {})
	});
}

export interface EnrolmentRequest {
	role: Role;
	staffRole?: StaffRole;
	sub?: string;
	name: string;
	sites?: string[];
	contractor?: string;
	ttl?: string;
}

export function createEnrolment(token: string, request: EnrolmentRequest) {
	return call<{ code: string; link: string; expiresAt: string }>('/api/enrolments', request, token);
}

export function revokeToken(token: string, jti: string, reason?: string) {
	return call<object>('/api/revoke', { jti, reason }, token);
}
