// Kiosk mode on this tablet: on until staff exit it with the admin PIN, and back by itself after
// a reload or a crash. The PIN is kept as a salted PBKDF2 hash in this device's storage only (it
// guards leaving the kiosk, not data: the gate's token already limits what the tablet can do).
import { fromB64url, toB64url } from '$lib/data/signing';

const KEY = 'sitepass.gate.kiosk';
const ITERATIONS = 100_000;

export interface KioskSettings {
	direction: 'in' | 'out';
	salt: string;
	hash: string;
	since: string;
}

async function derive(pin: string, salt: Uint8Array): Promise<string> {
	const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, [
		'deriveBits'
	]);
	const bits = await crypto.subtle.deriveBits(
		{ name: 'PBKDF2', hash: 'SHA-256', salt: salt as BufferSource, iterations: ITERATIONS },
		key,
		256
	);
	return toB64url(new Uint8Array(bits));
}

export class KioskLock {
	constructor(private readonly storage: Storage | null = globalThis.localStorage ?? null) {}

	load(): KioskSettings | null {
		try {
			const raw = this.storage?.getItem(KEY);
			if (!raw) return null;
			const s = JSON.parse(raw) as KioskSettings;
			return s && (s.direction === 'in' || s.direction === 'out') && s.hash && s.salt ? s : null;
		} catch {
			return null;
		}
	}

	async enable(pin: string, direction: 'in' | 'out'): Promise<KioskSettings> {
		const salt = crypto.getRandomValues(new Uint8Array(16));
		const settings: KioskSettings = {
			direction,
			salt: toB64url(salt),
			hash: await derive(pin, salt),
			since: new Date().toISOString()
		};
		this.storage?.setItem(KEY, JSON.stringify(settings));
		return settings;
	}

	async check(pin: string): Promise<boolean> {
		const s = this.load();
		if (!s) return false;
		return (await derive(pin, fromB64url(s.salt))) === s.hash;
	}

	setDirection(direction: 'in' | 'out'): KioskSettings | null {
		const s = this.load();
		if (!s) return null;
		const next = { ...s, direction };
		this.storage?.setItem(KEY, JSON.stringify(next));
		return next;
	}

	disable(): void {
		this.storage?.removeItem(KEY);
	}
}
