// End-to-end tests in real Chromium against the built app served by `sitepass serve`.
// Uses Debian's /usr/bin/chromium when present (this project's machines cannot download
// Playwright's own browsers); otherwise the browser `npx playwright install` put in place.
import { defineConfig } from '@playwright/test';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const systemChromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) =>
	existsSync(p)
);
const PORT = Number(process.env.SITEPASS_E2E_PORT ?? 4317);
const dataDir = mkdtempSync(join(tmpdir(), 'sitepass-e2e-'));
// SITEPASS_E2E_BUILD: a copy of the built app to serve (tests/helpers.ts reads it too), so a run is
// not disturbed by someone rebuilding build/ at the same time.
const staticArg = process.env.SITEPASS_E2E_BUILD
	? ` --static ${process.env.SITEPASS_E2E_BUILD}`
	: '';

export const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-dev-shm-usage',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--no-first-run'
];

export default defineConfig({
	testDir: 'tests',
	testMatch: '**/*.spec.ts',
	fullyParallel: false,
	workers: 1,
	retries: process.env.CI ? 1 : 0,
	timeout: 60_000,
	reporter: process.env.CI ? [['list']] : [['list']],
	use: {
		baseURL: `http://127.0.0.1:${PORT}`,
		locale: 'zh-CN',
		timezoneId: 'Asia/Shanghai',
		launchOptions: {
			executablePath: systemChromium,
			args: CHROMIUM_ARGS
		},
		trace: 'retain-on-failure'
	},
	projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
	webServer: {
		command: `node bin/sitepass.js serve --host 127.0.0.1 --port ${PORT} --data ${dataDir}${staticArg}`,
		url: `http://127.0.0.1:${PORT}/healthz`,
		reuseExistingServer: false,
		timeout: 60_000,
		stdout: 'ignore',
		stderr: 'pipe'
	}
});
