// Hands bytes made on the device (an Excel export, an error report) to the browser as a download.
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function downloadBytes(bytes: Uint8Array, fileName: string, type = XLSX_TYPE): void {
	const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type }));
	const a = Object.assign(document.createElement('a'), { href: url, download: fileName });
	a.click();
	setTimeout(() => URL.revokeObjectURL(url), 1000);
}
