// An image laid on a web map by an affine transform (the site plan over tiles, turned as it lies on
// the ground): Leaflet's ImageOverlay only stretches an image into an axis-aligned box.
import L from 'leaflet';

export class AffineImageLayer extends L.Layer {
	#img: HTMLImageElement | null = null;
	#corners: [L.LatLng, L.LatLng, L.LatLng];
	#size: [number, number];
	#url: string;
	#opacity: number;

	/**
	 * `corners`: where the image's top-left, top-right and bottom-left corners lie on the map;
	 * `size`: its width and height in pixels.
	 */
	constructor(
		url: string,
		corners: [L.LatLng, L.LatLng, L.LatLng],
		size: [number, number],
		opacity = 0.7
	) {
		super();
		this.#url = url;
		this.#corners = corners;
		this.#size = size;
		this.#opacity = opacity;
	}

	override onAdd(map: L.Map): this {
		const img = L.DomUtil.create('img', 'leaflet-zoom-hide sp-affine-image') as HTMLImageElement;
		img.src = this.#url;
		img.alt = '';
		img.style.position = 'absolute';
		img.style.left = '0';
		img.style.top = '0';
		img.style.transformOrigin = '0 0';
		img.style.opacity = String(this.#opacity);
		img.style.pointerEvents = 'none';
		img.style.maxWidth = 'none';
		img.width = this.#size[0];
		img.height = this.#size[1];
		this.#img = img;
		map.getPanes().overlayPane.appendChild(img);
		map.on('zoomend viewreset moveend', this.#place, this);
		this.#place();
		return this;
	}

	override onRemove(map: L.Map): this {
		map.off('zoomend viewreset moveend', this.#place, this);
		this.#img?.remove();
		this.#img = null;
		return this;
	}

	#place() {
		const map = this._map;
		if (!map || !this.#img) return;
		const [p0, p1, p2] = this.#corners.map((c) => map.latLngToLayerPoint(c));
		const [w, h] = this.#size;
		const a = (p1!.x - p0!.x) / w;
		const b = (p1!.y - p0!.y) / w;
		const c = (p2!.x - p0!.x) / h;
		const d = (p2!.y - p0!.y) / h;
		this.#img.style.transform = `matrix(${a}, ${b}, ${c}, ${d}, ${p0!.x}, ${p0!.y})`;
	}
}
