// Vite configuration: SvelteKit, the PWA service worker (precaches the app shell), and unit tests.
import { sveltekit } from '@sveltejs/kit/vite';
import { SvelteKitPWA } from '@vite-pwa/sveltekit';
import { defineConfig } from 'vitest/config';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
	version: string;
};

export default defineConfig({
	define: { __SITEPASS_VERSION__: JSON.stringify(pkg.version) },
	plugins: [
		sveltekit(),
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
				globPatterns: ['client/**/*.{js,css,ico,png,svg,webp,woff,woff2,webmanifest}'],
				navigateFallback: '/',
				navigateFallbackDenylist: [/^\/(sync|blobs|api|healthz)/],
				clientsClaim: true,
				skipWaiting: true,
				cleanupOutdatedCaches: true
			}
		})
	],
	test: {
		include: ['src/**/*.test.ts', 'sync-server/**/*.test.ts', 'models/**/*.test.ts'],
		environment: 'node',
		testTimeout: 20000
	}
});
