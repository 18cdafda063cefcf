import sharp from 'sharp';
import type { OutgoingMedia } from '../../whatsapp/webhook-builder.ts';

type Sample = Omit<OutgoingMedia, 'mediaId'> & { label: string; albumGroup?: string };

/** Sample photos drawn with sharp, so the demo needs no files: each shows one rule of the pipeline. */
export async function makeSampleImages(): Promise<Sample[]> {
  const receipt = await sharp(Buffer.from(receiptSvg())).jpeg({ quality: 90 }).toBuffer();
  const landscape = (hue: string) => sharp(Buffer.from(sceneSvg(1600, 1200, hue))).jpeg({ quality: 88 });
  // Stored sideways with EXIF orientation 6, as phone cameras do: must come out portrait.
  const sideways = await landscape('#2a9d8f').withMetadata({ orientation: 6 }).toBuffer();
  // GPS and camera details in EXIF: must not survive into the vault.
  const withGps = await landscape('#e76f51')
    .withExif({
      IFD0: { Make: 'DemoPhone', Model: 'DemoPhone 15', DateTime: '2026:11:30 14:21:05' },
      IFD3: { GPSLatitudeRef: 'S', GPSLatitude: '23/1 33/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '46/1 38/1 0/1' },
    })
    .toBuffer();
  const screenshot = await sharp(Buffer.from(sceneSvg(1080, 2340, '#264653', 0.6))).png().toBuffer();
  const sticker = await sharp(Buffer.from(stickerSvg())).webp({ quality: 80 }).toBuffer();
  const albumA = await landscape('#8ab17d').toBuffer();
  const albumB = await landscape('#f4a261').toBuffer();

  return [
    { label: 'receipt', type: 'image', bytes: receipt, mimeType: 'image/jpeg', caption: 'Recibo do pedido 1042' },
    { label: 'portrait stored sideways (EXIF 6)', type: 'image', bytes: sideways, mimeType: 'image/jpeg' },
    { label: 'photo with GPS', type: 'image', bytes: withGps, mimeType: 'image/jpeg', caption: 'Caixa amassada' },
    { label: 'screenshot with transparency', type: 'image', bytes: screenshot, mimeType: 'image/png' },
    { label: 'sticker', type: 'sticker', bytes: sticker, mimeType: 'image/webp' },
    { label: 'album photo 1', type: 'image', bytes: albumA, mimeType: 'image/jpeg', caption: 'Entrega', albumGroup: 'album' },
    { label: 'album photo 2 (same second)', type: 'image', bytes: albumB, mimeType: 'image/jpeg', albumGroup: 'album' },
  ];
}

function receiptSvg(): string {
  const lines = ['Coffee beans 1kg ..... 89,90', 'Filters x100 ........ 12,50', 'Delivery ............ 15,00', '', 'TOTAL .............. 117,40'];
  const text = lines.map((line, i) => `<text x="60" y="${260 + i * 70}" font-family="monospace" font-size="44">${line}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="1600"><rect width="100%" height="100%" fill="#fdfcf7"/><text x="60" y="140" font-family="sans-serif" font-size="72" font-weight="bold">RECEIPT #1042</text>${text}</svg>`;
}

function sceneSvg(width: number, height: number, colour: string, opacity = 1): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${colour}"/><stop offset="1" stop-color="#ffffff"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)" fill-opacity="${opacity}"/><circle cx="${width * 0.3}" cy="${height * 0.35}" r="${Math.min(width, height) * 0.15}" fill="#1d3557"/><text x="40" y="${height - 60}" font-family="sans-serif" font-size="64" fill="#1d3557">TOP ↑ (${width}×${height})</text></svg>`;
}

function stickerSvg(): string {
  return '<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512"><circle cx="256" cy="256" r="230" fill="#ffd166"/><circle cx="180" cy="200" r="30"/><circle cx="332" cy="200" r="30"/><path d="M150 320 Q256 420 362 320" stroke="#000" stroke-width="24" fill="none"/></svg>';
}
