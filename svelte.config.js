// SvelteKit configuration: a static single-page PWA served by the SitePass relay.
import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	compilerOptions: { runes: true },
	kit: {
		// Every route is rendered on the client from one shell; the relay and the service
		// worker answer any navigation with it, so deep links work offline.
		adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
		serviceWorker: { register: false },
		alias: { $domain: 'src/lib/domain' }
	}
};

export default config;
