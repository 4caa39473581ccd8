// Renders static/icons/logo.svg into the PNG icons the manifest names, with the system
// Chromium. Run by hand when the logo changes; the PNGs are committed.
import { chromium } from '@playwright/test';
import { readFileSync } from 'node:fs';

const svg = readFileSync(new URL('../static/icons/logo.svg', import.meta.url), 'utf8');
const browser = await chromium.launch({
	executablePath: '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu']
});
const page = await browser.newPage();
const targets = [
	['static/icons/icon-192.png', 192, 0],
	['static/icons/icon-512.png', 512, 0],
	// Maskable icons keep the artwork inside the central 80% safe zone.
	['static/icons/icon-maskable-512.png', 512, 0.12],
	['static/favicon.png', 64, 0],
	['static/icons/apple-touch-icon.png', 180, 0]
];
for (const [file, size, pad] of targets) {
	await page.setViewportSize({ width: size, height: size });
	const inset = Math.round(size * pad);
	await page.setContent(
		`<body style="margin:0;background:#0f3d5e;display:grid;place-items:center;width:${size}px;height:${size}px">` +
			`<div style="width:${size - 2 * inset}px;height:${size - 2 * inset}px">${svg.replace('<svg ', '<svg width="100%" height="100%" ')}</div></body>`
	);
	await page.screenshot({ path: file, omitBackground: pad === 0 });
}
await browser.close();
