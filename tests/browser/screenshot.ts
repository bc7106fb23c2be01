/**
 * docs/screenshot.png: the pages of several people side by side, phone-sized (two people in a private room).
 * Written only when UPDATE_SCREENSHOT=1 (`UPDATE_SCREENSHOT=1 npx jest tests/browser/rooms.test.ts`), so test
 * runs leave the tree clean.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';

export const SCREENSHOT_PATH = path.join(__dirname, '..', '..', 'docs', 'screenshot.png');
export const updateScreenshot = process.env.UPDATE_SCREENSHOT === '1';

const PHONE = { width: 390, height: 700 };

/** Shows each page at phone size, then lays their captures out side by side in a page of their own. */
export async function saveSideBySide(pages: Page[], file = SCREENSHOT_PATH): Promise<void> {
  const shots: string[] = [];
  for (const page of pages) {
    await page.setViewportSize(PHONE);
    shots.push((await page.screenshot()).toString('base64'));
  }
  const browser = pages[0].context().browser();
  if (!browser) throw new Error('no browser');
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 }, deviceScaleFactor: 1 });
  try {
    const board = await context.newPage();
    await board.setContent(`<!doctype html><style>
      body { margin: 0; display: inline-flex; gap: 40px; padding: 40px 56px;
             background: linear-gradient(135deg, #e0e7ff, #f5f3ff 55%, #fce7f3); }
      img { width: ${PHONE.width}px; border-radius: 28px; box-shadow: 0 20px 45px rgb(30 27 75 / 25%), 0 0 0 8px #111827; }
      </style>${shots.map((s) => `<img src="data:image/png;base64,${s}" alt="">`).join('')}`);
    await board.locator('body').screenshot({ path: file });
  } finally {
    await context.close();
  }
}
