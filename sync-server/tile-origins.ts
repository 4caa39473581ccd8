// The one exception to "the app reaches no origin but its own": a site may name a tile server for
// its map (control settings['map'].tileUrl, on its own network or the internet). Its origin is
// added to the Content-Security-Policy's img-src and connect-src (the service worker caches the
// tiles), and follows edits to the settings as they are committed.
import { parseDocName } from '../src/lib/data/documents';
import { mapSettings, tileOrigin } from '../src/lib/data/sitemap';
import type { Relay } from './relay';

export class TileOrigins {
	private bySite = new Map<string, string>();
	private header: string;
	private readonly unlisten: () => void;

	constructor(
		private readonly relay: Relay,
		/** The policy without tile servers. */
		private readonly base: string
	) {
		this.header = base;
		for (const name of relay.docNames()) this.take(name);
		this.rebuild();
		this.unlisten = relay.onCommit((name) => {
			if (!name.endsWith(':control')) return;
			const before = this.bySite.get(name);
			this.take(name);
			if (this.bySite.get(name) !== before) this.rebuild();
		});
	}

	private take(name: string): void {
		if (parseDocName(name)?.kind !== 'control') return;
		const url = this.relay.read(name, (d) => mapSettings(d)?.tileUrl ?? null);
		const origin = url ? tileOrigin(url) : null;
		if (origin) this.bySite.set(name, origin);
		else this.bySite.delete(name);
	}

	private rebuild(): void {
		const origins = [...new Set(this.bySite.values())].sort().join(' ');
		const base = this.base;
		this.header = origins
			? base
					.replace("img-src 'self' data: blob:", `img-src 'self' data: blob: ${origins}`)
					.replace("connect-src 'self' ws: wss:", `connect-src 'self' ws: wss: ${origins}`)
			: base;
	}

	csp(): string {
		return this.header;
	}

	stop(): void {
		this.unlisten();
	}
}
