// Vite configuration: SvelteKit, the PWA service worker (precaches the app shell and the scan
// engines; caches the vision models and map tiles on first use), and unit tests.
import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { createReadStream, readFileSync } from 'node:fs';
import { VENDOR_FILES } from './src/lib/scan/vendor.js';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
	version: string;
};

/**
 * Copies the QR and OCR engines' files (wasm, worker, Chinese model) from node_modules into the
 * client build under /vendor/, and serves them from there in `vite dev`: the app never asks a CDN.
 */
function vendorFiles(): Plugin {
	const source = (from: string) => new URL(`./node_modules/${from}`, import.meta.url);
	const byUrl = new Map(VENDOR_FILES.map((f) => [f.to, f.from]));
	const types: Record<string, string> = { js: 'text/javascript', wasm: 'application/wasm' };
	return {
		name: 'sitepass-vendor-files',
		configureServer(server) {
			server.middlewares.use((req, res, next) => {
				const from = byUrl.get((req.url ?? '').split('?')[0]!);
				if (!from) return next();
				const ext = from.split('.').pop()!;
				res.setHeader('content-type', types[ext] ?? 'application/octet-stream');
				createReadStream(source(from)).pipe(res);
			});
		},
		generateBundle() {
			if (this.environment.config.consumer !== 'client') return;
			for (const file of VENDOR_FILES) {
				this.emitFile({
					type: 'asset',
					fileName: file.to.slice(1),
					source: readFileSync(source(file.from))
				});
			}
		}
	};
}

export default defineConfig({
	define: { __SITEPASS_VERSION__: JSON.stringify(pkg.version) },
	plugins: [
		sveltekit(),
		vendorFiles(),
		SvelteKitPWA({
			// Register /sw.js from any depth (SvelteKit's relative base would give ./sw.js).
			base: '/',
			scope: '/',
			registerType: 'autoUpdate',
			injectRegister: false,
			strategies: 'generateSW',
			// The relay answers '/' (and any app route) with the shell; precache it under '/'.
			kit: {
				adapterFallback: 'index.html',
				includeVersionFile: true,
				spa: { fallbackMapping: '/' }
			},
			manifest: {
				id: '/',
				name: 'SitePass 特种作业人员管控',
				short_name: 'SitePass',
				description: '特种作业外包人员从登记到离场的全过程管控',
				lang: 'zh-CN',
				start_url: '/',
				scope: '/',
				display: 'standalone',
				orientation: 'any',
				background_color: '#f4f6f8',
				theme_color: '#0f3d5e',
				icons: [
					{ src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
					{ src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
					{
						src: '/icons/icon-maskable-512.png',
						sizes: '512x512',
						type: 'image/png',
						purpose: 'maskable'
					}
				]
			},
			workbox: {
				globPatterns: [
					'client/**/*.{js,css,ico,png,svg,webp,woff,woff2,webmanifest}',
					...VENDOR_FILES.filter((f) => f.precache).map((f) => `client${f.to}`)
				],
				globIgnores: [
					...VENDOR_FILES.filter((f) => !f.precache).map((f) => `client${f.to}`),
					// The vision models (~28 MB, from `npm run models`) and the vision worker (1.7 MB) are
					// for gate tablets, not every phone: cached at run time when a gate first uses them.
					'client/models/**',
					'client/_app/immutable/workers/worker-*.js'
				],
				// The OCR core's wasm is 2.9 MB; everything else precached is far smaller.
				maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
				// Vendor files left out of the precache (the non-SIMD OCR core) are kept once fetched.
				runtimeCaching: [
					{
						urlPattern: ({ url }) => url.pathname.startsWith('/vendor/'),
						handler: 'CacheFirst',
						options: { cacheName: 'sitepass-vendor' }
					},
					// Hashed worker bundles (the vision worker), kept once a gate has loaded them.
					{
						urlPattern: ({ url }) => url.pathname.startsWith('/_app/immutable/workers/'),
						handler: 'CacheFirst',
						options: { cacheName: 'sitepass-vision' }
					},
					// The gate's vision client fetches every model file when it starts and checks each
					// SHA-256 against the manifest (asked for fresh when online). Model URLs carry their
					// package version; a cached copy that no longer matches is dropped by the client.
					{
						urlPattern: ({ url }) => url.pathname === '/models/manifest.json',
						handler: 'NetworkFirst',
						options: { cacheName: 'sitepass-models', networkTimeoutSeconds: 5 }
					},
					{
						urlPattern: ({ url }) => url.pathname.startsWith('/models/'),
						handler: 'CacheFirst',
						options: { cacheName: 'sitepass-models' }
					},
					// Map tiles (issue 10): the site's tile server is only known at run time, so any
					// …/z/x/y(.png|.jpg|.webp) outside the app's own paths is kept once loaded, for offline
					// use. Only readable (CORS) answers: Chrome counts each opaque one as megabytes against
					// the origin's quota, which the site's records in IndexedDB share.
					{
						urlPattern: ({ url }) =>
							/\/\d+\/\d+\/\d+(\.(png|jpe?g|webp))?$/.test(url.pathname) &&
							!/^\/(sync|blobs|api|_app|models|vendor)\//.test(url.pathname),
						handler: 'CacheFirst',
						options: {
							cacheName: 'sitepass-tiles',
							expiration: {
								maxEntries: 3000,
								maxAgeSeconds: 30 * 24 * 3600,
								purgeOnQuotaError: true
							},
							cacheableResponse: { statuses: [200] }
						}
					}
				],
				navigateFallback: '/',
				navigateFallbackDenylist: [/^\/(sync|blobs|api|healthz)/],
				clientsClaim: true,
				skipWaiting: true,
				cleanupOutdatedCaches: true,
				// Web Push handlers (push, notificationclick), kept as a plain file in static/.
				importScripts: ['/push-sw.js']
			}
		})
	],
	// The vision worker is an ES module worker: tasks-vision loads its runtime with import() there.
	worker: { format: 'es' },
	test: {
		include: ['src/**/*.test.ts', 'sync-server/**/*.test.ts', 'models/**/*.test.ts'],
		environment: 'node',
		testTimeout: 20000
	}
});
