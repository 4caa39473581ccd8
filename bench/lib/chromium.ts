// Debian's Chromium and the flags it needs on these machines (no sandbox as root, no GPU, and
// none of the background connections that a closed network refuses).
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-dev-shm-usage',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--no-first-run'
];
