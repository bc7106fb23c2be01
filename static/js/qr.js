// Draws a QR code in the page (no outside service): uqr (npm, MIT) encodes, served by the chat itself from
// node_modules as js/vendor/uqr.mjs (src/http/vendor.ts), so the page stays within its script-src 'self'.
import { encode } from './vendor/uqr.mjs';

/** Pixels per QR module on the canvas (the CSS size scales it; image-rendering keeps the edges sharp). */
const SCALE = 8;

/** Draws `text` as a QR code (error correction M, a 2-module quiet zone) on `canvas`. */
export function drawQr(canvas, text) {
  const { size, data } = encode(text, { ecc: 'M', border: 2 });
  canvas.width = size * SCALE;
  canvas.height = size * SCALE;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#000';
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) if (data[row][col]) ctx.fillRect(col * SCALE, row * SCALE, SCALE, SCALE);
  }
  canvas.dataset.size = String(size);
}
