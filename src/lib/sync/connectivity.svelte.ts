// Whether this device has a network right now and whether the app shell is cached for offline
// use; the header shows both. Relay sync status joins this in the data/relay layer.

export class Connectivity {
	online = $state(true);
	/** The service worker controls this page: a reload works with no network. */
	offlineReady = $state(false);

	#cleanup: (() => void) | null = null;

	start() {
		if (typeof window === 'undefined' || this.#cleanup) return;
		this.online = navigator.onLine;
		const update = () => (this.online = navigator.onLine);
		window.addEventListener('online', update);
		window.addEventListener('offline', update);
		const sw = navigator.serviceWorker;
		const checkController = () => (this.offlineReady = !!sw?.controller);
		checkController();
		sw?.addEventListener('controllerchange', checkController);
		this.#cleanup = () => {
			window.removeEventListener('online', update);
			window.removeEventListener('offline', update);
			sw?.removeEventListener('controllerchange', checkController);
		};
	}

	stop() {
		this.#cleanup?.();
		this.#cleanup = null;
	}
}

export const connectivity = new Connectivity();
