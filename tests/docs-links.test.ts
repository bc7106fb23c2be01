/**
 * Every relative link in the Markdown a newcomer reads (README.md, docs/, bench/README.md) resolves in a
 * checkout: the file or folder exists, and an anchor names a heading of its target as GitHub numbers them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../bench/launcher';
import { anchors, docFiles, relativeLinks } from './docs';
import { tempDir } from './tmpdir';

test('every relative link and image resolves, anchors included', () => {
  const links = docFiles().flatMap(relativeLinks);
  expect(links.length).toBeGreaterThan(20); // the parser found the links
  const broken = links.filter(({ file, target }) => {
    const [pathPart, anchor] = target.split('#') as [string, string | undefined];
    // A path from the root ("/docs/x.md") is the repository's root on GitHub; anything else is relative to the file.
    const resolved = pathPart === '' ? file : pathPart.startsWith('/') ? pathPart.slice(1) : path.join(path.dirname(file), decodeURI(pathPart));
    if (!fs.existsSync(path.join(PROJECT_ROOT, resolved))) return true;
    return anchor !== undefined && resolved.endsWith('.md') && !anchors(resolved).has(decodeURIComponent(anchor));
  });
  expect(broken.map(({ file, line, target }) => `${file}:${line} ${target}`)).toEqual([]);
});

test('anchors are made as GitHub makes them', () => {
  const tmp = tempDir('chat-anchors-');
  const file = path.join(tmp.dir, 'sample.md');
  try {
    fs.writeFileSync(file, '# Deploying the chat\n## When it does `not` start?\n## Names, and tokens (JWT)\n## Names, and tokens (JWT)\n### Größe & Ünïcode\n');
    expect([...anchors(file)]).toEqual([
      'deploying-the-chat',
      'when-it-does-not-start',
      'names-and-tokens-jwt',
      'names-and-tokens-jwt-1',
      'größe--ünïcode',
    ]);
  } finally {
    tmp.cleanup();
  }
});

test('the README stays a two-minute read: at most 160 lines (issue 20); the rest lives in docs/', () => {
  const lines = fs.readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8').split('\n').length;
  expect(lines).toBeLessThanOrEqual(160);
});
