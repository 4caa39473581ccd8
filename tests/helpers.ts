// Shared by the end-to-end tests: a relay started in-process on the built app, and the org every
// ledger test starts from (one construction site, one contractor working there).
import { chromium, test, type Browser } from '@playwright/test';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from '../playwright.config';
import { serve, type RunningServer } from '../sync-server/server';

/** The built app; SITEPASS_E2E_BUILD points elsewhere (a copy, while someone else rebuilds). */
export const STATIC_DIR = process.env.SITEPASS_E2E_BUILD ?? join(process.cwd(), 'build');

/**
 * A Chromium whose camera is the Y4M file `y4m` (Chromium re-reads it in a loop, so a test can
 * switch what the camera shows by overwriting the file in place).
 */
export function launchWithCamera(y4m: string): Promise<Browser> {
	return chromium.launch({
		executablePath: test.info().project.use.launchOptions?.executablePath,
		args: [
			...CHROMIUM_ARGS,
			'--use-fake-device-for-media-stream',
			`--use-file-for-fake-video-capture=${y4m}`
		]
	});
}

export function startRelay(dataDir: string, port = 0): Promise<RunningServer> {
	return serve({ host: '127.0.0.1', port, dataDir, staticDir: STATIC_DIR, log: () => {} });
}

export function seedSiteAndContractor(relay: RunningServer): void {
	const at = new Date().toISOString();
	relay.relay.write('org', (doc) => {
		doc.getMap('sites').set('S1', {
			schema: 1,
			id: 'S1',
			name: '滨江一号工地',
			kind: 'construction',
			timeZone: 'Asia/Shanghai',
			createdAt: at
		});
		doc.getMap('contractors').set('C1', {
			schema: 1,
			id: 'C1',
			name: '华东焊接工程有限公司',
			sites: ['S1'],
			createdAt: at
		});
	});
}
