// The relay's sync endpoint and close codes: how a device addresses a document and reads why the
// relay closed its socket. The relay writes these; the browser's provider and status UI read them.

/** WebSocket close codes. 4400–4499 are final (the stock y-websocket client stops retrying). */
export const CLOSE = {
	/** The relay is restarting or stopping; reconnect later. */
	GOING_AWAY: 1001,
	/** A frame that is not a y-websocket message, or an update that does not decode. */
	MALFORMED: 4400,
	/** Token missing, invalid, expired or revoked: enrol again. */
	UNAUTHORIZED: 4401,
	/** The document, or a change in it, is not this role's. */
	FORBIDDEN: 4403,
	/** Not a document name (or not the sync endpoint). */
	NOT_FOUND: 4404,
	/** A message above the relay's size limit. */
	TOO_LARGE: 4413,
	/** Something failed inside the relay; reconnecting may help. */
	INTERNAL: 4500,
	/** A transient condition (missing dependencies, changed access, slow reader): reconnect. */
	TRY_AGAIN: 4503
} as const;

/** The first word of every close reason. Refusal codes of access.ts appear as they are. */
export type CloseReasonCode =
	| 'MALFORMED'
	| 'TEXT_FRAME'
	| 'UNKNOWN_MESSAGE'
	| 'BAD_UPDATE'
	| 'TOKEN_MISSING'
	| 'TOKEN_INVALID'
	| 'TOKEN_EXPIRED'
	| 'TOKEN_REVOKED'
	| 'PRINCIPAL_DISABLED'
	| 'FORBIDDEN_DOC'
	| 'READ_ONLY'
	| 'UNKNOWN_PATH'
	| 'NESTED_TYPE'
	| 'APPEND_ONLY'
	| 'NOT_OWN_RECORD'
	| 'INVALID_RECORD'
	| 'INVALID_SIGNATURE'
	| 'NO_CONSENT'
	| 'NOT_A_DOCUMENT'
	| 'TOO_LARGE'
	| 'INTERNAL'
	| 'MISSING_DEPS'
	| 'ACCESS_CHANGED'
	| 'SLOW_CONSUMER'
	| 'SHUTTING_DOWN';

/** WebSocket close reasons are limited to 123 bytes of UTF-8. */
export const MAX_CLOSE_REASON_BYTES = 123;

/** `CODE detail`, cut to the byte limit on a character boundary. */
export function formatCloseReason(code: CloseReasonCode, detail?: string): string {
	const text = detail ? `${code} ${printable(detail)}` : code;
	return truncateUtf8(text, MAX_CLOSE_REASON_BYTES);
}

/** Record keys come from devices: control characters become '?' so reasons and logs stay one line. */
export function printable(text: string): string {
	// eslint-disable-next-line no-control-regex
	return text.replace(/[\u0000-\u001f\u007f]/g, '?');
}

export function truncateUtf8(text: string, maxBytes: number): string {
	let bytes = 0;
	let out = '';
	for (const ch of text) {
		const cp = ch.codePointAt(0)!;
		const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		if (bytes + size > maxBytes) break;
		bytes += size;
		out += ch;
	}
	return out;
}

/** Splits a close reason back into its code and the detail (a path like `decisions/abc`). */
export function parseCloseReason(reason: string): { code: string; detail: string } {
	const space = reason.indexOf(' ');
	return space < 0
		? { code: reason, detail: '' }
		: { code: reason.slice(0, space), detail: reason.slice(space + 1) };
}

/** Whether reconnecting cannot help (the stock client's own rule). */
export function isFinalClose(code: number): boolean {
	return code >= 4400 && code < 4500;
}

/** The sync endpoint of a relay served at `origin` (`https://host:port` → `wss://host:port/sync`). */
export function syncEndpoint(origin: string): string {
	return origin.replace(/^http/, 'ws').replace(/\/+$/, '') + '/sync';
}

/**
 * The room name to hand to y-websocket's provider for a document: the provider appends it to the
 * endpoint as one path segment, so `:` and anything else are percent-encoded here.
 */
export function roomName(docName: string): string {
	return encodeURIComponent(docName);
}
